/**
 * OS-FEDERATION mapping rules: their schema, and the engine that turns an identity
 * provider's asserted attributes into local identity values (a user, groups, projects
 * with roles). Pure: no storage; federation.ts resolves group names and creates what
 * the result names.
 *
 * A rule applies when every `remote` requirement holds:
 * - `{type}`: the attribute is present; its values are captured for `{0}`, `{1}`...
 * - `any_one_of` / `not_any_of`: at least one / none of the values match (no capture);
 * - `whitelist` / `blacklist`: the values kept are the matching / the other ones (captured);
 * - `regex: true`: the listed values are regular expressions searched in each value.
 * An attribute holding several values carries them separated by `;`, as upstream.
 * Attribute names match exactly, else without regard to case: they travel as HTTP
 * header names, which proxies (and HTTP/2) may lower-case.
 */
import { ValidationFailed } from '../errors.js'

export interface MappedUser {
  id?: string
  name?: string
  email?: string
  domain?: { id?: string; name?: string }
  type: 'ephemeral' | 'local'
}

export interface MappedGroupName {
  name: string
  domain: { id?: string; name?: string }
}

export interface MappedProject {
  name: string
  roles: { name: string }[]
}

/** What the rules made of an assertion. */
export interface MappedProperties {
  user: MappedUser
  group_ids: string[]
  group_names: MappedGroupName[]
  projects: MappedProject[]
}

type Json = unknown
type Obj = Record<string, Json>

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const MATCHERS = ['any_one_of', 'not_any_of', 'blacklist', 'whitelist'] as const

/**
 * Checks a mapping body (`{"rules": [...]}`) against the mapping schema; every problem
 * found is listed, one a line, in the 400's message (as upstream lists jsonschema's).
 */
export function validateMappingRules(mapping: Json): void {
  const problems: string[] = []
  const fail = (m: string): void => {
    problems.push(m)
  }
  const checkDomain = (d: Json, where: string) => {
    if (!isObj(d)) return fail(`${where} is not of type 'object'`)
    for (const k of Object.keys(d)) if (k !== 'id' && k !== 'name') fail(`${where}: '${k}' is not allowed`)
    for (const k of ['id', 'name'])
      if (k in d && typeof d[k] !== 'string') fail(`${where}.${k} is not a string`)
  }
  if (!isObj(mapping)) fail("The mapping is not of type 'object'")
  else if (!('rules' in mapping)) fail("'rules' is a required property")
  else if (!Array.isArray(mapping.rules)) fail("'rules' is not of type 'array'")
  else if (mapping.rules.length === 0) fail('[] is too short')
  else {
    for (const [i, rule] of (mapping.rules as Json[]).entries()) {
      const at = `rules[${i}]`
      if (!isObj(rule)) {
        fail(`${at} is not of type 'object'`)
        continue
      }
      for (const k of Object.keys(rule))
        if (k !== 'local' && k !== 'remote')
          fail(`Additional properties are not allowed ('${k}' was unexpected)`)
      if (!('local' in rule)) fail("'local' is a required property")
      if (!('remote' in rule)) fail("'remote' is a required property")
      if ('local' in rule) {
        if (!Array.isArray(rule.local)) fail(`${at}.local is not of type 'array'`)
        else for (const [j, l] of (rule.local as Json[]).entries()) checkLocal(l, `${at}.local[${j}]`)
      }
      if ('remote' in rule) {
        if (!Array.isArray(rule.remote)) fail(`${at}.remote is not of type 'array'`)
        else if (rule.remote.length === 0) fail('[] is too short')
        else for (const [j, r] of (rule.remote as Json[]).entries()) checkRemote(r, `${at}.remote[${j}]`)
      }
    }
  }
  function checkLocal(l: Json, at: string) {
    if (!isObj(l)) return fail(`${at} is not of type 'object'`)
    for (const [k, v] of Object.entries(l)) {
      if (k === 'user') {
        if (!isObj(v)) {
          fail(`${at}.user is not of type 'object'`)
          continue
        }
        for (const [uk, uv] of Object.entries(v)) {
          if (uk === 'domain') checkDomain(uv, `${at}.user.domain`)
          else if (uk === 'type') {
            if (uv !== 'ephemeral' && uv !== 'local')
              fail(`'${String(uv)}' is not one of ['ephemeral', 'local']`)
          } else if (['id', 'name', 'email'].includes(uk)) {
            if (typeof uv !== 'string') fail(`${at}.user.${uk} is not of type 'string'`)
          } else fail(`Additional properties are not allowed ('${uk}' was unexpected)`)
        }
      } else if (k === 'group') {
        if (!isObj(v)) {
          fail(`${at}.group is not of type 'object'`)
          continue
        }
        const byId = Object.keys(v).length === 1 && typeof v.id === 'string'
        const byName =
          typeof v.name === 'string' &&
          'domain' in v &&
          Object.keys(v).every((x) => x === 'name' || x === 'domain')
        if (byName) checkDomain(v.domain, `${at}.group.domain`)
        if (byId === byName) fail(`${JSON.stringify(v)} is not valid under any of the given schemas`)
      } else if (k === 'groups' || k === 'group_ids') {
        if (typeof v !== 'string') fail(`${at}.${k} is not of type 'string'`)
      } else if (k === 'domain') {
        checkDomain(v, `${at}.domain`)
      } else if (k === 'projects') {
        if (!Array.isArray(v)) {
          fail(`${at}.projects is not of type 'array'`)
          continue
        }
        for (const p of v) {
          if (!isObj(p) || typeof p.name !== 'string' || !Array.isArray(p.roles))
            fail(`${JSON.stringify(p)}: a project needs a 'name' and 'roles'`)
          else if (p.roles.some((r: Json) => !isObj(r) || typeof r.name !== 'string'))
            fail(`${JSON.stringify(p.roles)}: every role needs a 'name'`)
        }
      } else fail(`Additional properties are not allowed ('${k}' was unexpected)`)
    }
  }
  function checkRemote(r: Json, at: string) {
    if (!isObj(r)) return fail(`${at} is not of type 'object'`)
    if (typeof r.type !== 'string') fail(`${at}: 'type' is a required property`)
    const matchers = MATCHERS.filter((m) => m in r)
    const allowed = new Set(['type', ...(matchers.length === 1 ? [matchers[0]!, 'regex'] : [])])
    const extra = Object.keys(r).filter((k) => !allowed.has(k))
    if (matchers.length > 1 || extra.length > 0)
      fail(`${JSON.stringify(r)} is not valid under any of the given schemas`)
    for (const m of matchers) if (!Array.isArray(r[m])) fail(`${at}.${m} is not of type 'array'`)
    if ('regex' in r && typeof r.regex !== 'boolean') fail(`${at}.regex is not of type 'boolean'`)
  }
  if (problems.length) throw new ValidationFailed(`${problems.join('\n')}\n${CLIENT_ERROR}`)
}

const CLIENT_ERROR =
  'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'

/** The assertion: attribute name to its value(s). */
export type Assertion = Record<string, string>

/** One attribute: by its exact name, else without regard to case. */
export function assertedValue(a: Assertion, name: string): string | undefined {
  if (name in a) return a[name]
  const lower = name.toLowerCase()
  for (const [k, v] of Object.entries(a)) if (k.toLowerCase() === lower) return v
  return undefined
}

type Captured = string[]

/**
 * Applies the rules to an assertion. Throws ValidationFailed when no rule applies or a
 * local value names a capture the remote side did not make (the caller turns it into 401).
 */
export function applyMappingRules(rules: readonly Obj[], assertion: Assertion): MappedProperties {
  const values: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(assertion)) {
    values[k] = v.split(';')
    values[k.toLowerCase()] ??= values[k]
  }
  const locals: Obj[] = []
  for (const rule of rules) {
    const captures = requirementsHold(rule.remote as Obj[], values)
    if (captures === undefined) continue
    for (const local of rule.local as Obj[]) locals.push(substitute(local, captures) as Obj)
  }
  if (locals.length === 0)
    throw new ValidationFailed(
      'Could not map any federated user properties to identity values. Check debug logs or the mapping used for additional details.',
    )
  return transform(locals)
}

function requirementsHold(
  remote: readonly Obj[],
  assertion: Record<string, string[]>,
): Captured[] | undefined {
  const captures: Captured[] = []
  for (const req of remote) {
    let got = assertion[req.type as string] ?? assertion[(req.type as string).toLowerCase()]
    if (!got || got.length === 0) return undefined
    const regex = req.regex === true
    const matching = (listed: Json) => {
      const wanted = (listed as Json[]).map(String)
      return regex
        ? got!.filter((v) => wanted.some((re) => new RegExp(re).test(v)))
        : got!.filter((v) => wanted.includes(v))
    }
    if (req.any_one_of !== undefined) {
      if (matching(req.any_one_of).length === 0) return undefined
      continue
    }
    if (req.not_any_of !== undefined) {
      if (matching(req.not_any_of).length > 0) return undefined
      continue
    }
    if (req.blacklist !== undefined) {
      const out = new Set(matching(req.blacklist))
      got = got.filter((v) => !out.has(v))
    } else if (req.whitelist !== undefined) {
      got = matching(req.whitelist)
    }
    captures.push([...new Set(got)])
  }
  return captures
}

/** Replaces `{N}` with capture N; a value that is exactly `{N}` of several values becomes the list. */
function substitute(v: Json, captures: Captured[]): Json {
  if (Array.isArray(v)) return v.map((x) => substitute(x, captures))
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, captures)]))
  if (typeof v !== 'string') return v
  const whole = /^\{(\d+)\}$/.exec(v)
  if (whole) {
    const c = captures[Number(whole[1])]
    if (!c)
      throw new ValidationFailed('Local section in mapping refers to a remote match that does not exist.')
    return c.length === 1 ? c[0] : c
  }
  return v.replace(/\{(\d+)\}/g, (_m, n: string) => {
    const c = captures[Number(n)]
    if (!c)
      throw new ValidationFailed('Local section in mapping refers to a remote match that does not exist.')
    return c.join(';')
  })
}

/** A `groups` / `group_ids` value: a list, a JSON list in a string, or one name. */
function listOf(v: Json): string[] {
  if (Array.isArray(v)) return v.map(String)
  if (typeof v !== 'string') return []
  const s = v.trim()
  if (s.startsWith('[')) {
    try {
      const parsed = JSON.parse(s.replace(/'/g, '"')) as Json
      if (Array.isArray(parsed)) return parsed.map(String)
    } catch {
      // not a list: one value
    }
  }
  return [v]
}

function transform(locals: Obj[]): MappedProperties {
  let user: Obj | undefined
  const groupIds = new Set<string>()
  const groupNames: MappedGroupName[] = []
  let projects: MappedProject[] = []
  for (const l of locals) {
    if (isObj(l.user) && !user) user = l.user
    if (isObj(l.group)) {
      const g = l.group
      if (typeof g.id === 'string') groupIds.add(g.id)
      else groupNames.push({ name: String(g.name), domain: g.domain as MappedGroupName['domain'] })
    }
    if (l.groups !== undefined) {
      if (!isObj(l.domain))
        throw new ValidationFailed(
          `Invalid rule: ${JSON.stringify(l)}. Both 'groups' and 'domain' keywords must be specified.`,
        )
      for (const name of listOf(l.groups))
        groupNames.push({ name, domain: l.domain as MappedGroupName['domain'] })
    }
    if (l.group_ids !== undefined) for (const id of listOf(l.group_ids)) groupIds.add(id)
    if (Array.isArray(l.projects)) projects = l.projects as MappedProject[]
  }
  const u = (user ?? {}) as Omit<MappedUser, 'type'> & { type?: MappedUser['type'] }
  return {
    user: { ...u, type: u.type ?? 'ephemeral' },
    group_ids: [...groupIds],
    group_names: groupNames,
    projects,
  }
}
