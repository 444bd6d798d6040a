/**
 * What the compute benches share: the cloud's processes (their CPU and RSS come from
 * bench/support/processes.ts) and a small Identity v3 + Compute v2.1 client.
 */
import { pidsInDir } from '../support/processes.js'

export { percentile as pct } from '../support/openstack-http.js'
export { cpuSeconds, processTree as tree, rssMiB } from '../support/processes.js'

/** The cloud's processes: the pids given, or those recorded in a directory. */
export function rootPids(a: { pids: number[]; pidDir?: string }): number[] {
  return a.pidDir ? pidsInDir(a.pidDir) : a.pids
}

// --- the API

let token = ''
/** The catalog's public compute and image endpoints, once logged in. */
export const endpoints = { compute: '', image: '' }

export async function call(method: string, url: string, body?: unknown, mv?: string) {
  const res = await fetch(url, {
    method,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      ...(token ? { 'x-auth-token': token } : {}),
      ...(mv ? { 'x-openstack-nova-api-version': mv, 'openstack-api-version': `compute ${mv}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  // biome-ignore lint/suspicious/noExplicitAny: bench reads reply bodies by path
  let json: any
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json }
}

export async function login(a: {
  authUrl: string
  user: string
  password: string
  project: string
}): Promise<void> {
  const r = await call('POST', `${a.authUrl}/auth/tokens`, {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: a.user, domain: { name: 'Default' }, password: a.password } },
      },
      scope: { project: { name: a.project, domain: { name: 'Default' } } },
    },
  })
  if (r.status !== 201) throw new Error(`auth failed ${r.status}: ${JSON.stringify(r.json)}`)
  token = r.headers.get('x-subject-token') ?? ''
  const pub = (type: string) =>
    (r.json.token.catalog as { type: string; endpoints: { interface: string; url: string }[] }[])
      .find((c) => c.type === type)
      ?.endpoints.find((e) => e.interface === 'public')
      ?.url.replace(/\/+$/, '') ?? ''
  endpoints.compute = pub('compute')
  endpoints.image = pub('image')
}

export const r3 = (x: number) => Math.round(x * 1000) / 1000
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
