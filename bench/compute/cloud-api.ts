/**
 * What the compute benches share: CPU seconds and RSS of a cloud's processes (and all
 * their descendants) from /proc, and a small Identity v3 + Compute v2.1 client.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// --- /proc: CPU and RSS of a set of processes and their descendants

const HZ = 100

export function rootPids(a: { pids: number[]; pidDir?: string }): number[] {
  if (!a.pidDir) return a.pids
  return readdirSync(a.pidDir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(a.pidDir!, f), 'utf8').trim()))
    .filter((p) => Number.isInteger(p) && p > 0)
}

export function statOf(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // NOTE: the command name (field 2) may contain spaces; fields count from after ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) }
  } catch {
    return undefined
  }
}

export function tree(roots: readonly number[]): number[] {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const s = statOf(Number(d))
    if (s) parent.set(Number(d), s.ppid)
  }
  const inTree = new Set(roots.filter((p) => parent.has(p)))
  for (let grew = true; grew; ) {
    grew = false
    for (const [pid, ppid] of parent)
      if (!inTree.has(pid) && inTree.has(ppid)) {
        inTree.add(pid)
        grew = true
      }
  }
  return [...inTree]
}

export function cpuSeconds(roots: readonly number[]): number {
  return tree(roots).reduce((sum, p) => sum + (statOf(p)?.cpuTicks ?? 0), 0) / HZ
}

export function rssMiB(roots: readonly number[]): number {
  let kb = 0
  for (const p of tree(roots)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      kb += Number(m?.[1] ?? 0)
    } catch {}
  }
  return Math.round((kb / 1024) * 10) / 10
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

export const pct = (xs: readonly number[], p: number) => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}
export const r3 = (x: number) => Math.round(x * 1000) / 1000
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
