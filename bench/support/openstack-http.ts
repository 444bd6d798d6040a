/**
 * The little of the OpenStack REST APIs a benchmark needs: a password login to Identity
 * v3 with a project scope, the public endpoints of its catalog, and JSON calls with the
 * token. Speaking only the public APIs lets one program measure Cloudlet and an upstream
 * service in the same run.
 */

export interface Session {
  token: string
  /** The project the token is scoped to. */
  projectId: string
  /** The public endpoint of a service type in the token's catalog ('' if none). */
  endpoint(type: string): string
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>
}

export interface Reply {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: benchmarks read reply bodies by path
  json: any
}

async function request(
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json }
}

/** Logs in with a password, scoped to a project of the Default domain. */
export async function login(
  authUrl: string,
  user: string,
  password: string,
  project: string,
): Promise<Session> {
  const r = await request(
    'POST',
    `${authUrl.replace(/\/+$/, '')}/auth/tokens`,
    {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, domain: { name: 'Default' }, password } },
        },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    },
    {},
  )
  if (r.status !== 201) throw new Error(`auth failed ${r.status}: ${JSON.stringify(r.json)}`)
  const token = r.headers.get('x-subject-token') ?? ''
  const catalog = r.json.token.catalog as { type: string; endpoints: { interface: string; url: string }[] }[]
  return {
    token,
    projectId: r.json.token.project.id as string,
    endpoint: (type) =>
      catalog
        .find((c) => c.type === type)
        ?.endpoints.find((e) => e.interface === 'public')
        ?.url.replace(/\/+$/, '') ?? '',
    call: (method, url, body, headers = {}) =>
      request(method, url, body, { 'x-auth-token': token, ...headers }),
  }
}

/** The p-th percentile (nearest rank) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}

export const median = (xs: readonly number[]) => percentile(xs, 50)
