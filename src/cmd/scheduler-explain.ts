/**
 * `cloudlet scheduler explain`: asks a running cloud's compute API for the scheduler's
 * decision on a hypothetical request (Cloudlet's admin route `POST
 * /v2.1/cloudlet-scheduler/explain`) and prints it as the scheduler library words it.
 * Nothing boots and nothing is claimed.
 *
 *   clouds.yaml entry (--os-cloud, $OS_CLOUD, else cloudlet-admin)
 *     ─▶ identity: password token + catalog ─▶ compute and image endpoints
 *     ─▶ flavor and image by id or name ─▶ POST …/cloudlet-scheduler/explain ─▶ text
 */
import { existsSync, readFileSync } from 'node:fs'
import yaml from 'js-yaml'
import { type Explanation, explainText } from '../scheduler/explain.js'
import { type ExplainLine, UsageError } from './args.js'
import { cloudsYamlPath } from './clouds-yaml.js'

interface CloudAuth {
  auth_url: string
  username: string
  password: string
  project_name?: string
  project_id?: string
  user_domain_name?: string
  project_domain_name?: string
}

interface Catalog {
  type: string
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[]
}

/** Answers and their statuses, with the error body's message when there is one. */
export async function call(method: string, url: string, token: string | undefined, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { 'x-auth-token': token } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json: json as Record<string, unknown> }
}

/** The first `message` of an OpenStack error body. */
function messageOf(body: unknown): string {
  if (body && typeof body === 'object') {
    for (const v of Object.values(body as Record<string, unknown>)) {
      if (v && typeof v === 'object' && 'message' in v) return String((v as { message: unknown }).message)
    }
  }
  return typeof body === 'string' ? body : JSON.stringify(body)
}

export function cloudOf(name: string): { auth: CloudAuth; region?: string } {
  const path = cloudsYamlPath()
  if (!existsSync(path))
    throw new UsageError(
      `no clouds.yaml at ${path}; start the cloud with cloudlet up or set OS_CLIENT_CONFIG_FILE`,
    )
  const doc = yaml.load(readFileSync(path, 'utf8')) as {
    clouds?: Record<string, { auth?: CloudAuth; region_name?: string }>
  }
  const entry = doc?.clouds?.[name]
  if (!entry?.auth?.auth_url)
    throw new UsageError(`clouds.yaml (${path}) has no cloud "${name}" with an auth_url`)
  return { auth: entry.auth, ...(entry.region_name ? { region: entry.region_name } : {}) }
}

export async function login(auth: CloudAuth): Promise<{ token: string; catalog: Catalog[] }> {
  const scope = auth.project_id
    ? { project: { id: auth.project_id } }
    : { project: { name: auth.project_name, domain: { name: auth.project_domain_name ?? 'Default' } } }
  const r = await call('POST', `${auth.auth_url.replace(/\/+$/, '')}/auth/tokens`, undefined, {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: auth.username,
            domain: { name: auth.user_domain_name ?? 'Default' },
            password: auth.password,
          },
        },
      },
      scope,
    },
  })
  if (r.status !== 201) throw new Error(`identity refused the login (${r.status}): ${messageOf(r.json)}`)
  const token = r.headers.get('x-subject-token') ?? ''
  const catalog = ((r.json.token as { catalog?: Catalog[] }).catalog ?? []) as Catalog[]
  return { token, catalog }
}

export function endpoint(catalog: readonly Catalog[], type: string, region?: string): string | undefined {
  const eps = catalog.find((c) => c.type === type)?.endpoints ?? []
  const ep =
    eps.find((e) => e.interface === 'public' && (!region || (e.region_id ?? e.region) === region)) ??
    eps.find((e) => e.interface === 'public')
  return ep?.url.replace(/\/+$/, '')
}

async function flavorId(compute: string, token: string, ref: string): Promise<string> {
  const byId = await call('GET', `${compute}/flavors/${encodeURIComponent(ref)}`, token)
  if (byId.status === 200) return ref
  const all = await call('GET', `${compute}/flavors?is_public=None`, token)
  const match = ((all.json?.flavors ?? []) as { id: string; name: string }[]).filter((f) => f.name === ref)
  if (match.length === 1) return match[0]!.id
  throw new UsageError(
    match.length ? `more than one flavor is named "${ref}"; give its id` : `no flavor "${ref}"`,
  )
}

async function imageId(image: string | undefined, token: string, ref: string): Promise<string> {
  if (!image) return ref
  const byId = await call('GET', `${image}/v2/images/${encodeURIComponent(ref)}`, token)
  if (byId.status === 200) return ref
  const named = await call('GET', `${image}/v2/images?name=${encodeURIComponent(ref)}`, token)
  const match = (named.json?.images ?? []) as { id: string }[]
  if (match.length === 1) return match[0]!.id
  throw new UsageError(
    match.length ? `more than one image is named "${ref}"; give its id` : `no image "${ref}"`,
  )
}

export async function schedulerExplain(x: ExplainLine): Promise<number> {
  const { auth, region } = cloudOf(x.cloud ?? process.env.OS_CLOUD ?? 'cloudlet-admin')
  const { token, catalog } = await login(auth)
  const compute = endpoint(catalog, 'compute', region)
  if (!compute) throw new Error('the catalog has no compute endpoint')
  const flavorRef = await flavorId(compute, token, x.flavor)
  const imageRef =
    x.image === undefined ? undefined : await imageId(endpoint(catalog, 'image', region), token, x.image)
  const r = await call('POST', `${compute}/cloudlet-scheduler/explain`, token, {
    request: {
      flavorRef,
      ...(imageRef ? { imageRef } : {}),
      ...(x.project ? { project_id: x.project } : {}),
      ...(x.availabilityZone ? { availability_zone: x.availabilityZone } : {}),
      ...(Object.keys(x.hints).length ? { scheduler_hints: x.hints } : {}),
      count: x.count,
    },
  })
  if (r.status !== 200) throw new Error(`compute answered ${r.status}: ${messageOf(r.json)}`)
  const e = r.json.scheduler_explanation as Explanation & { hosts: number }
  if (x.json) {
    console.log(JSON.stringify(r.json, null, 2))
    return 0
  }
  const image = x.image === undefined ? '' : `, image ${x.image}`
  const zone = x.availabilityZone ? `, zone ${x.availabilityZone}` : ''
  const hints = Object.keys(x.hints).length ? `, hints ${JSON.stringify(x.hints)}` : ''
  console.log(
    `scheduler explain: flavor ${x.flavor}${image}${zone}${hints}, ${x.count} server${x.count === 1 ? '' : 's'}; ${e.hosts} compute hosts known (nothing booted or claimed)`,
  )
  console.log(explainText(e))
  return e.status.code === 'Success' ? 0 : 3
}
