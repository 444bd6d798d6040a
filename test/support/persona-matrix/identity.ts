/**
 * Identity in the persona matrix: each path parameter is an object of a kind named by the
 * segment before it (`/v3/users/:id` is a user, `/implies/:implied` a role), resolved
 * for an owner from the caller's point of view:
 *
 * | kind | ours | other | far |
 * |---|---|---|---|
 * | project | the caller's project | another project of its domain | a project of another domain |
 * | domain, group, domain role | of the caller's domain | (same as ours: not called) | of another domain |
 * | user, and what a user owns (credentials, application credentials, access rules, EC2) | the caller itself | a member of its project | a member of the far project |
 * | trust | the caller is the trustee | between two others of its domain | between two users of another domain |
 * | limit (unified limits) | on the caller's project | on another project of its domain | on a project of another domain |
 *
 * Reads use shared objects made once; a DELETE (and a write that would change what
 * other cells read) gets a throwaway object of the same owner, and a create is deleted
 * again, so the cells do not depend on their order.
 *
 * The expected answer is Keystone's rule evaluated against the target Keystone builds
 * from the object: `{<kind>: attributes, target: {<kind>: attributes}}`. Keystone
 * specifics, each encoded below where it applies:
 * - a refused call is 403 (Keystone loads the object first: 404 only when it is missing);
 * - a domain-scoped list of users, groups or projects is judged against the token's
 *   domain, whatever domain the query names, and must then hold that domain's rows only;
 * - the rule a call is judged by is the one its filter or object picks (list_trusts vs
 *   list_trusts_for_trustor, get_role vs get_domain_role).
 */
import type { Enforcer, Target } from '../../../src/kernel/policy/index.js'
import { minimalBody } from './bodies.js'
import type { AllowEntry, MatrixRoute, MatrixService, Owner, Prepared } from './engine.js'
import type { ProjectRef, World, WorldPersona } from './world.js'

type Kind =
  | 'domain'
  | 'project'
  | 'user'
  | 'group'
  | 'role'
  | 'tag'
  | 'region'
  | 'service'
  | 'endpoint'
  | 'endpoint_group'
  | 'credential'
  | 'ec2'
  | 'app_cred'
  | 'access_rule'
  | 'policy'
  | 'consumer'
  | 'trust'
  | 'config_group'
  | 'config_option'
  | 'compliance_option'
  | 'registered_limit'
  | 'limit'

const BY_SEGMENT: Record<string, Kind> = {
  domains: 'domain',
  projects: 'project',
  users: 'user',
  groups: 'group',
  roles: 'role',
  implies: 'role',
  tags: 'tag',
  regions: 'region',
  services: 'service',
  endpoints: 'endpoint',
  endpoint_groups: 'endpoint_group',
  credentials: 'credential',
  'OS-EC2': 'ec2',
  application_credentials: 'app_cred',
  access_rules: 'access_rule',
  policies: 'policy',
  consumers: 'consumer',
  trusts: 'trust',
  config: 'config_group',
  security_compliance: 'compliance_option',
  registered_limits: 'registered_limit',
  limits: 'limit',
}

/** Kinds whose objects belong to a project, domain or user. */
const OWNED: ReadonlySet<Kind> = new Set([
  'domain',
  'project',
  'user',
  'group',
  'tag',
  'credential',
  'ec2',
  'app_cred',
  'access_rule',
  'trust',
  'config_group',
  'config_option',
  'limit',
])

/**
 * Route families without fixtures here yet: OS-FEDERATION, OS-ENDPOINT-POLICY, the
 * OS-OAUTH1 flow and access tokens, EC2/S3 token validation. Their cells are not called.
 */
const NOT_IN_MATRIX =
  /OS-FEDERATION|OS-ENDPOINT-POLICY|OS-OAUTH1\/(request_token|access_token|authorize)|OS-OAUTH1\/access_tokens|\/v3\/(ec2|s3)tokens/

interface Param {
  name: string
  kind: Kind
}

export function paramsOf(path: string): Param[] {
  const segs = path.split('/')
  const out: Param[] = []
  segs.forEach((s, i) => {
    if (!s.startsWith(':')) return
    const prev = segs[i - 1] ?? ''
    const kind = prev.startsWith(':') ? 'config_option' : BY_SEGMENT[prev]
    if (!kind) throw new Error(`persona matrix: no identity fixture kind for :${s.slice(1)} in ${path}`)
    out.push({ name: s.slice(1), kind })
  })
  return out
}

interface Obj {
  id: string
  attrs: Record<string, unknown>
}

const isGrant = (path: string) => /\/(users|groups)\/:actor\/roles/.test(path)
const CONFIG = '/v3/domains/:id/config'

/** The parameter a write acts on, made fresh for it (default: the last one). */
function freshParam(route: MatrixRoute, params: Param[]): string | undefined {
  if (route.method === 'GET' || route.method === 'POST') return undefined
  const p = route.path
  if (isGrant(p)) return route.method === 'PATCH' ? undefined : 'actor'
  if (p.startsWith('/v3/OS-EP-FILTER/endpoint_groups/:id/projects/')) return 'id'
  if (p.startsWith(CONFIG)) return route.method === 'PATCH' ? undefined : 'id'
  if (p === '/v3/projects/:id/tags' && route.method === 'DELETE') return 'id'
  if (
    route.method === 'PATCH' &&
    ['/v3/projects/:id', '/v3/users/:id', '/v3/groups/:id', '/v3/domains/:id'].includes(p)
  )
    return undefined
  if (p === '/v3/projects/:id/tags' && route.method === 'PUT') return undefined
  return params.at(-1)?.name
}

/** Routes that join two objects: a PUT is undone with DELETE, a DELETE first joins them. */
function isRelation(path: string): boolean {
  return (
    isGrant(path) ||
    /\/groups\/:id\/users\/:user$/.test(path) ||
    /\/implies\/:implied$/.test(path) ||
    /\/OS-EP-FILTER\/projects\/:project\/endpoints\/:id$/.test(path) ||
    /\/endpoint_groups\/:id\/projects\/:project$/.test(path) ||
    /\/tags\/:tag$/.test(path)
  )
}

export function identityMatrix(
  routes: readonly MatrixRoute[],
  enforcer: Enforcer,
  w: World,
  allowList: readonly AllowEntry[],
): MatrixService & { setup(): Promise<void> } {
  const I = (url: string) => `/identity${url}`
  const ok = (method: string, url: string, body?: unknown, token?: string) =>
    w.ok(method, I(url), body, token)
  const call = (method: string, url: string, body?: unknown, token?: string) =>
    w.call(method, I(url), body, token)
  const A = w.domains.A
  const projects = Object.values(w.projects)
  const groupOf = (domainId: string) => (domainId === A ? w.groups.A : w.groups.B)
  const shared = {
    prior: '',
    implied: '',
    domainRole: {} as Record<string, Obj>,
    region: '',
    service: '',
    endpoint: '',
    endpointGroup: '',
    policy: '',
    consumer: '',
    accessRule: {} as Record<string, string>,
    /** Read by GET /v3/registered_limits/:id. */
    registeredLimit: { id: '', resource_name: '' },
    /** What the projects' shared limits refer to. */
    limitsOf: { id: '', resource_name: '' },
    /** What POST /v3/limits creates a limit on (each deleted again). */
    createsOf: { id: '', resource_name: '' },
    /** A limit per project, read by GET /v3/limits/:id. */
    limit: {} as Record<string, Obj>,
  }
  const perUser = {
    credential: new Map<string, string>(),
    ec2: new Map<string, string>(),
    appCred: new Map<string, string>(),
    trust: new Map<string, Obj>(),
  }
  /** Project-scoped password tokens of users with a project role (to make what only owners may). */
  const ownerTokens = new Map<string, () => Promise<string>>()
  for (const p of projects)
    ownerTokens.set(p.user.id, () => w.login(p.user.id, p.user.password, { project: { id: p.id } }))
  for (const p of w.personas as WorldPersona[]) {
    if (p.creds.project_id && p.password && !p.name.startsWith('trust'))
      ownerTokens.set(p.userId, () => p.reissue())
  }
  const tokenCache = new Map<string, string>()
  const ownerToken = async (userId: string) => {
    const have = tokenCache.get(userId)
    if (have) return have
    const make = ownerTokens.get(userId)
    if (!make) return undefined
    const t = await make()
    tokenCache.set(userId, t)
    return t
  }
  const projectOfUser = (userId: string): string | undefined => {
    const p = projects.find((x) => x.user.id === userId)
    if (p) return p.id
    const persona = (w.personas as WorldPersona[]).find((x) => x.userId === userId && x.creds.project_id)
    return persona?.creds.project_id as string | undefined
  }

  // --- object makers (admin unless only the owner may)
  const make = {
    domain: async (disabled: boolean) => {
      const d = (await ok('POST', '/v3/domains', { domain: { name: w.name('d'), enabled: !disabled } }))
        .domain
      return { id: d.id as string, attrs: { id: d.id } }
    },
    project: async (domainId: string) => {
      const p = (await ok('POST', '/v3/projects', { project: { name: w.name('p'), domain_id: domainId } }))
        .project
      return { id: p.id as string, attrs: { id: p.id, domain_id: domainId } }
    },
    user: async (domainId: string) => {
      const u = (await ok('POST', '/v3/users', { user: { name: w.name('u'), domain_id: domainId } })).user
      return { id: u.id as string, attrs: { id: u.id, domain_id: domainId } }
    },
    group: async (domainId: string) => {
      const g = (await ok('POST', '/v3/groups', { group: { name: w.name('g'), domain_id: domainId } })).group
      return { id: g.id as string, attrs: { id: g.id, domain_id: domainId } }
    },
    role: async (domainId?: string) => {
      const name = w.name('r')
      const r = (
        await ok('POST', '/v3/roles', { role: { name, ...(domainId ? { domain_id: domainId } : {}) } })
      ).role
      return { id: r.id as string, attrs: { id: r.id, name, domain_id: domainId ?? null } }
    },
    credential: async (userId: string) =>
      (
        await ok('POST', '/v3/credentials', {
          credential: { user_id: userId, type: 'cert', blob: w.name('blob') },
        })
      ).credential.id as string,
    ec2: async (userId: string, projectId: string) =>
      (await ok('POST', `/v3/users/${userId}/credentials/OS-EC2`, { tenant_id: projectId })).credential
        .access as string,
    appCred: async (userId: string, withRule = false) => {
      const token = await ownerToken(userId)
      if (!token) return undefined
      const ac = (
        await ok(
          'POST',
          `/v3/users/${userId}/application_credentials`,
          {
            application_credential: {
              name: w.name('ac'),
              ...(withRule
                ? { access_rules: [{ service: 'identity', method: 'GET', path: `/v3/${w.name('rule')}` }] }
                : {}),
            },
          },
          token,
        )
      ).application_credential
      return { id: ac.id as string, token }
    },
    trust: async (trustorId: string, trusteeId: string) => {
      const token = await ownerToken(trustorId)
      const projectId = projectOfUser(trustorId)
      if (!token || !projectId) return undefined
      const t = (
        await ok(
          'POST',
          '/v3/OS-TRUST/trusts',
          {
            trust: {
              trustor_user_id: trustorId,
              trustee_user_id: trusteeId,
              impersonation: false,
              project_id: projectId,
              roles: [{ name: 'member' }],
            },
          },
          token,
        )
      ).trust
      return { id: t.id as string, attrs: { trustor_user_id: trustorId, trustee_user_id: trusteeId } }
    },
    region: async () =>
      (await ok('POST', '/v3/regions', { region: { description: 'matrix' } })).region.id as string,
    service: async () =>
      (await ok('POST', '/v3/services', { service: { type: w.name('t') } })).service.id as string,
    endpoint: async () =>
      (
        await ok('POST', '/v3/endpoints', {
          endpoint: { service_id: shared.service, interface: 'public', url: 'http://matrix.test/' },
        })
      ).endpoint.id as string,
    endpointGroup: async () =>
      (
        await ok('POST', '/v3/OS-EP-FILTER/endpoint_groups', {
          endpoint_group: { name: w.name('eg'), filters: { interface: 'public' } },
        })
      ).endpoint_group.id as string,
    policy: async () =>
      (await ok('POST', '/v3/policies', { policy: { type: 'x', blob: '{}' } })).policy.id as string,
    consumer: async () =>
      (await ok('POST', '/v3/OS-OAUTH1/consumers', { consumer: { description: 'matrix' } })).consumer
        .id as string,
    registeredLimit: async () => {
      const r = (
        await ok('POST', '/v3/registered_limits', {
          registered_limits: [
            { service_id: shared.service, resource_name: w.name('res'), default_limit: 10 },
          ],
        })
      ).registered_limits[0]
      return { id: r.id as string, resource_name: r.resource_name as string }
    },
    /** A limit on a project, on `of` (default: a registered limit of its own). */
    limit: async (proj: ProjectRef, of?: { resource_name: string }) => {
      const resource = of ?? (await make.registeredLimit())
      const l = (
        await ok('POST', '/v3/limits', {
          limits: [
            {
              project_id: proj.id,
              service_id: shared.service,
              resource_name: resource.resource_name,
              resource_limit: 5,
            },
          ],
        })
      ).limits[0]
      return {
        id: l.id as string,
        attrs: { id: l.id, project_id: proj.id, project: { id: proj.id, domain_id: proj.domain_id } },
      }
    },
  }

  async function setup() {
    shared.service = await make.service()
    shared.region = await make.region()
    shared.endpoint = await make.endpoint()
    shared.endpointGroup = await make.endpointGroup()
    shared.policy = await make.policy()
    shared.consumer = await make.consumer()
    shared.registeredLimit = await make.registeredLimit()
    shared.limitsOf = await make.registeredLimit()
    shared.createsOf = await make.registeredLimit()
    const prior = await make.role()
    const implied = await make.role()
    shared.prior = prior.id
    shared.implied = implied.id
    await ok('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`)
    for (const d of [w.domains.A, w.domains.B]) {
      shared.domainRole[d] = await make.role(d)
      await ok('PUT', `/v3/domains/${d}/config`, {
        config: { identity: { driver: 'ldap' }, ldap: { url: 'ldap://matrix.test' } },
      })
    }
    const reader = w.roles.reader
    for (const p of projects) {
      const g = groupOf(p.domain_id)
      await ok('PUT', `/v3/projects/${p.id}/tags/matrix-tag`)
      await ok('PUT', `/v3/groups/${g}/users/${p.user.id}`)
      await ok('PUT', `/v3/OS-EP-FILTER/projects/${p.id}/endpoints/${shared.endpoint}`)
      await ok('PUT', `/v3/OS-EP-FILTER/endpoint_groups/${shared.endpointGroup}/projects/${p.id}`)
      // Grants every grant family's check finds: on the project and its domain, direct and
      // inherited, to the project's member and to its domain's group; and system grants.
      for (const [actor, id] of [
        ['users', p.user.id],
        ['groups', g],
      ] as const) {
        for (const on of [`projects/${p.id}`, `domains/${p.domain_id}`]) {
          await ok('PUT', `/v3/${on}/${actor}/${id}/roles/${reader}`)
          await ok('PUT', `/v3/OS-INHERIT/${on}/${actor}/${id}/roles/${reader}/inherited_to_projects`)
        }
        await ok('PUT', `/v3/system/${actor}/${id}/roles/${reader}`)
      }
    }
  }

  // --- resolving parameters
  const selfOrUser = (p: WorldPersona, owner: Owner): Obj | undefined => {
    if (owner === 'ours') return { id: p.userId, attrs: { id: p.userId, domain_id: p.userDomainId } }
    const proj = w.projectOf(p, owner)
    return { id: proj.user.id, attrs: { id: proj.user.id, domain_id: proj.domain_id } }
  }
  /** The domain an owner names; `other` is the caller's own domain again, so not called. */
  const domainFor = (p: WorldPersona, owner: Owner): string | undefined =>
    owner === 'other' ? undefined : owner === 'far' ? p.home.far.domain_id : p.home.ours.domain_id
  /** A project's member, for a user parameter under a project, domain or group. */
  const memberOf = (proj: ProjectRef): Obj => ({
    id: proj.user.id,
    attrs: { id: proj.user.id, domain_id: proj.domain_id },
  })
  const projectRef = (id: unknown) => projects.find((x) => x.id === id)
  const projectInDomain = (d: unknown) => projects.find((x) => x.domain_id === d)!

  async function resolve(
    route: MatrixRoute,
    param: Param,
    owner: Owner,
    p: WorldPersona,
    got: Map<Kind, Obj>,
    fresh: boolean,
  ): Promise<Obj | string> {
    const path = route.path
    switch (param.kind) {
      case 'domain': {
        // The password rules are the default domain's only (another domain is a 403 by design).
        if (path.includes('/security_compliance')) return { id: 'default', attrs: { id: 'default' } }
        if (fresh) {
          if (owner !== 'ours') return 'a throwaway domain has no owner: called once'
          const d = await make.domain(!path.startsWith(CONFIG))
          if (path.startsWith(CONFIG) && route.method === 'DELETE')
            await ok('PUT', `/v3/domains/${d.id}/config`, {
              config: { identity: { driver: 'ldap' }, ldap: { url: 'ldap://matrix.test' } },
            })
          return d
        }
        const d = domainFor(p, owner)
        return d ? { id: d, attrs: { id: d } } : 'the other project is in the same domain'
      }
      case 'project': {
        const proj = w.projectOf(p, owner)
        if (fresh) return make.project(proj.domain_id)
        return { id: proj.id, attrs: { id: proj.id, domain_id: proj.domain_id } }
      }
      case 'user': {
        const parent = got.get('project') ?? got.get('group') ?? got.get('domain')
        if (param.name === 'actor' || path.startsWith('/v3/groups/:id/users')) {
          const domainId = (parent?.attrs.domain_id ?? parent?.attrs.id ?? p.home.ours.domain_id) as string
          if (path.startsWith('/v3/system/')) {
            const proj = w.projectOf(p, owner)
            return fresh ? make.user(proj.domain_id) : memberOf(proj)
          }
          if (fresh) return make.user(domainId)
          const proj = got.has('project') ? projectRef(got.get('project')!.id)! : projectInDomain(domainId)
          return memberOf(proj)
        }
        if (fresh) {
          if (owner === 'ours') return 'the caller cannot be deleted'
          return make.user(w.projectOf(p, owner).domain_id)
        }
        return selfOrUser(p, owner)!
      }
      case 'group': {
        if (path.startsWith('/v3/system/') || isGrant(path)) {
          const parent = got.get('project') ?? got.get('domain')
          const domainId = (parent?.attrs.domain_id ??
            parent?.attrs.id ??
            w.projectOf(p, owner).domain_id) as string
          return fresh
            ? make.group(domainId)
            : { id: groupOf(domainId), attrs: { id: groupOf(domainId), domain_id: domainId } }
        }
        const d = domainFor(p, owner)
        if (!d) return 'the other project is in the same domain'
        return fresh ? make.group(d) : { id: groupOf(d), attrs: { id: groupOf(d), domain_id: d } }
      }
      case 'role': {
        if (isGrant(path)) {
          const id = route.method === 'GET' ? w.roles.reader : w.roles.member
          return { id, attrs: { id, name: route.method === 'GET' ? 'reader' : 'member', domain_id: null } }
        }
        if (path.startsWith('/v3/OS-TRUST/'))
          return { id: w.roles.member, attrs: { id: w.roles.member, name: 'member' } }
        if (param.name === 'implied')
          return fresh ? make.role() : { id: shared.implied, attrs: { id: shared.implied } }
        if (path.includes('/implies')) return { id: shared.prior, attrs: { id: shared.prior } }
        const d = owner === 'none' ? undefined : domainFor(p, owner)
        if (owner !== 'none' && !d) return 'the other project is in the same domain'
        if (fresh) return make.role(d)
        if (d) return shared.domainRole[d]!
        return { id: w.roles.reader, attrs: { id: w.roles.reader, name: 'reader', domain_id: null } }
      }
      case 'tag': {
        const proj = got.get('project')!
        if (!fresh) return { id: 'matrix-tag', attrs: {} }
        const tag = w.name('tag')
        if (route.method === 'DELETE') await ok('PUT', `/v3/projects/${proj.id}/tags/${tag}`)
        return { id: tag, attrs: {} }
      }
      case 'region':
        if (route.method === 'PUT') return { id: w.name('region'), attrs: {} }
        return { id: fresh ? await make.region() : shared.region, attrs: {} }
      case 'service':
        return { id: fresh ? await make.service() : shared.service, attrs: {} }
      case 'endpoint':
        return { id: fresh ? await make.endpoint() : shared.endpoint, attrs: {} }
      case 'endpoint_group':
        return { id: fresh ? await make.endpointGroup() : shared.endpointGroup, attrs: {} }
      case 'policy':
        return { id: fresh ? await make.policy() : shared.policy, attrs: {} }
      case 'consumer':
        return { id: fresh ? await make.consumer() : shared.consumer, attrs: {} }
      case 'credential': {
        const u = selfOrUser(p, owner)!
        let id = perUser.credential.get(u.id)
        if (fresh || !id) {
          id = await make.credential(u.id)
          if (!fresh) perUser.credential.set(u.id, id)
        }
        return { id, attrs: { user_id: u.id } }
      }
      case 'ec2': {
        const u = got.get('user')!
        const projectId = projectOfUser(u.id) ?? p.home.ours.id
        let id = perUser.ec2.get(u.id)
        if (fresh || !id) {
          id = await make.ec2(u.id, projectId)
          if (!fresh) perUser.ec2.set(u.id, id)
        }
        return { id, attrs: { user_id: u.id } }
      }
      case 'app_cred': {
        const u = got.get('user')!
        let id = perUser.appCred.get(u.id)
        if (fresh || !id) {
          const ac = await make.appCred(u.id)
          if (!ac) return 'the user has no project role to own an application credential'
          id = ac.id
          if (!fresh) perUser.appCred.set(u.id, id)
        }
        return { id, attrs: { user_id: u.id } }
      }
      case 'access_rule': {
        const u = got.get('user')!
        if (!fresh && shared.accessRule[u.id])
          return { id: shared.accessRule[u.id]!, attrs: { user_id: u.id } }
        const ac = await make.appCred(u.id, true)
        if (!ac) return 'the user has no project role to own an application credential'
        const rules = (await ok('GET', `/v3/users/${u.id}/access_rules`)).access_rules as Array<{
          id: string
        }>
        const known = new Set(Object.values(shared.accessRule))
        const rule = rules.find((r) => !known.has(r.id))!
        // NOTE: a rule still used by an application credential cannot be deleted; the
        // throwaway's credential goes first.
        if (fresh)
          await ok('DELETE', `/v3/users/${u.id}/application_credentials/${ac.id}`, undefined, ac.token)
        else shared.accessRule[u.id] = rule.id
        return { id: rule.id, attrs: { user_id: u.id } }
      }
      case 'trust': {
        const ours = w.projectOf(p, 'ours')
        const [trustor, trustee] =
          owner === 'ours'
            ? [ours.user.id, p.userId]
            : owner === 'other'
              ? [ours.user.id, p.home.other.user.id]
              : [p.home.far.user.id, ours.user.id]
        const key = `${trustor}>${trustee}`
        let t = perUser.trust.get(key)
        if (fresh || !t) {
          t = await make.trust(trustor, trustee)
          if (!t) return 'the trustor has no project role'
          if (!fresh) perUser.trust.set(key, t)
        }
        return t
      }
      case 'registered_limit':
        return fresh
          ? { id: (await make.registeredLimit()).id, attrs: {} }
          : { id: shared.registeredLimit.id, attrs: {} }
      case 'limit': {
        const proj = w.projectOf(p, owner)
        if (fresh) return make.limit(proj)
        shared.limit[proj.id] ??= await make.limit(proj, shared.limitsOf)
        return shared.limit[proj.id]!
      }
      case 'config_group':
        return { id: 'ldap', attrs: {} }
      case 'config_option':
        return { id: 'url', attrs: {} }
      case 'compliance_option':
        return { id: 'password_regex', attrs: {} }
    }
  }

  // --- the rule and target Keystone judges a call by
  const TARGET_KEY: Partial<Record<Kind, string>> = {
    domain: 'domain',
    project: 'project',
    user: 'user',
    group: 'group',
    role: 'role',
    credential: 'credential',
    ec2: 'credential',
    app_cred: 'application_credential',
    trust: 'trust',
    limit: 'limit',
  }
  const keystoneTarget = (frag: Record<string, unknown>): Target => ({ ...frag, target: frag })

  function ruleFor(
    route: MatrixRoute,
    got: Map<Kind, Obj>,
    query: Record<string, string>,
    body: { role?: { domain_id?: string } } | undefined,
  ): string | undefined {
    const rules =
      route.policy === undefined ? [] : typeof route.policy === 'string' ? [route.policy] : route.policy
    const role = got.get('role')
    const domainRole = role?.attrs.domain_id && !isGrant(route.path)
    if (route.path === '/v3/roles' && route.method === 'GET')
      return query.domain_id ? 'identity:list_domain_roles' : 'identity:list_roles'
    if (route.path === '/v3/roles')
      return body?.role?.domain_id ? 'identity:create_domain_role' : 'identity:create_role'
    if (route.path === '/v3/roles/:id') return rules[domainRole ? 1 : 0]
    if (route.path === '/v3/OS-TRUST/trusts' && route.method === 'GET')
      return query.trustor_user_id
        ? 'identity:list_trusts_for_trustor'
        : query.trustee_user_id
          ? 'identity:list_trusts_for_trustee'
          : 'identity:list_trusts'
    return rules[0]
  }

  const BODY_OVERRIDES: Record<
    string,
    (
      p: WorldPersona,
      owner: Owner,
      got: Map<Kind, Obj>,
    ) => { body: unknown; target?: Record<string, unknown> } | string
  > = {
    'POST /v3/domains': () => ({ body: { domain: { name: w.name('d'), enabled: false } } }),
    'POST /v3/projects': (p, owner) => {
      const d = domainFor(p, owner)
      if (!d) return 'the other project is in the same domain'
      return { body: { project: { name: w.name('p'), domain_id: d } }, target: { project: { domain_id: d } } }
    },
    'POST /v3/users': (p, owner) => {
      const d = domainFor(p, owner)
      if (!d) return 'the other project is in the same domain'
      return { body: { user: { name: w.name('u'), domain_id: d } }, target: { user: { domain_id: d } } }
    },
    'POST /v3/groups': (p, owner) => {
      const d = domainFor(p, owner)
      if (!d) return 'the other project is in the same domain'
      return { body: { group: { name: w.name('g'), domain_id: d } }, target: { group: { domain_id: d } } }
    },
    'POST /v3/roles': (p, owner) => {
      const name = w.name('r')
      if (owner === 'none') return { body: { role: { name } }, target: { role: { name } } }
      const d = domainFor(p, owner)
      if (!d) return 'the other project is in the same domain'
      return { body: { role: { name, domain_id: d } }, target: { role: { name, domain_id: d } } }
    },
    'POST /v3/credentials': (p, owner) => {
      const u = selfOrUser(p, owner)!
      const credential = { user_id: u.id, type: 'cert', blob: w.name('blob') }
      return { body: { credential }, target: { credential } }
    },
    'POST /v3/users/:user/credentials/OS-EC2': (p, _o, got) => {
      const u = got.get('user')!
      return {
        body: { tenant_id: projectOfUser(u.id) ?? p.home.ours.id },
        target: { user_id: u.id, credential: { user_id: u.id } },
      }
    },
    'POST /v3/users/:user/application_credentials': (_p, _o, got) => ({
      body: { application_credential: { name: w.name('ac') } },
      target: { user_id: got.get('user')!.id },
    }),
    'POST /v3/OS-TRUST/trusts': (p, owner) => {
      const trustor = selfOrUser(p, owner)!.id
      // A project-scoped caller delegates a role it holds on its project; others delegate
      // no role (Keystone: a trust with roles must name a project the trustor has them on).
      const trust = {
        trustor_user_id: trustor,
        trustee_user_id: p.home.other.user.id,
        impersonation: false,
        ...(p.creds.project_id ? { project_id: p.creds.project_id, roles: [{ name: 'reader' }] } : {}),
      }
      return { body: { trust }, target: { trust } }
    },
    'POST /v3/endpoints': () => ({
      body: { endpoint: { service_id: shared.service, interface: 'public', url: 'http://matrix.test/' } },
    }),
    'POST /v3/OS-EP-FILTER/endpoint_groups': () => ({
      body: { endpoint_group: { name: w.name('eg'), filters: { interface: 'public' } } },
    }),
    'PUT /v3/projects/:id/tags': () => ({ body: { tags: ['matrix-tag', 'matrix-extra'] } }),
    'PUT /v3/domains/:id/config': () => ({ body: { config: { identity: { driver: 'ldap' } } } }),
    'PATCH /v3/domains/:id/config': () => ({ body: { config: { ldap: { url: 'ldap://matrix.test' } } } }),
    'PATCH /v3/domains/:id/config/:group': () => ({
      body: { config: { ldap: { url: 'ldap://matrix.test' } } },
    }),
    'PATCH /v3/domains/:id/config/:group/:option': () => ({
      body: { config: { url: 'ldap://matrix.test' } },
    }),
    'PATCH /v3/credentials/:id': () => ({ body: { credential: { blob: 'matrix' } } }),
    // (the handler checks this body after the lookup, so the table has no schema to build from)
    'PATCH /v3/domains/:id': () => ({ body: { domain: { description: 'matrix' } } }),
    'POST /v3/registered_limits': () => ({
      body: {
        registered_limits: [{ service_id: shared.service, resource_name: w.name('res'), default_limit: 1 }],
      },
    }),
    'PATCH /v3/registered_limits/:id': () => ({ body: { registered_limit: { description: 'matrix' } } }),
    'POST /v3/limits': (p) => ({
      body: {
        limits: [
          {
            project_id: p.home.ours.id,
            service_id: shared.service,
            resource_name: shared.createsOf.resource_name,
            resource_limit: 1,
          },
        ],
      },
    }),
    'PATCH /v3/limits/:id': () => ({ body: { limit: { resource_limit: 7 } } }),
    'PATCH /v3/endpoints/:id': () => ({ body: { endpoint: { url: 'http://matrix.test/x' } } }),
  }

  /** The query a list is called with for an owner, and the target Keystone judges it by. */
  function listQuery(
    route: MatrixRoute,
    p: WorldPersona,
    owner: Owner,
  ):
    | { query: Record<string, string>; target?: Record<string, unknown>; inspect?: Prepared['inspect'] }
    | string {
    const key = route.path.slice('/v3/'.length)
    if (['users', 'projects', 'groups'].includes(key)) {
      const d = domainFor(p, owner)
      if (!d) return 'the other project is in the same domain'
      // Keystone: a domain-scoped token lists its own domain, whatever the query names.
      const judged = (p.creds.domain_id as string | undefined) ?? d
      const target: Record<string, unknown> = { domain_id: judged }
      if (key === 'groups' && p.creds.domain_id) target.group = { domain_id: judged }
      return {
        query: { domain_id: d },
        target,
        inspect: (json) => {
          const own = p.creds.domain_id
          if (!own) return undefined
          const rows = (json as Record<string, Array<{ domain_id?: string }>>)[key] ?? []
          const foreign = rows.filter((r) => r.domain_id !== own)
          return foreign.length ? `${foreign.length} ${key} of another domain in the list` : undefined
        },
      }
    }
    if (key === 'credentials') {
      // Keystone: the list is judged against the caller's own user id (none for a system
      // token), and each row is then kept only if get_credential allows it.
      const u = selfOrUser(p, owner)!
      return {
        query: { user_id: u.id },
        target: p.creds.system_scope ? {} : { credential: { user_id: p.userId } },
        inspect: (json) => {
          const rows = (json as { credentials: Array<{ user_id: string }> }).credentials
          const hidden = rows.filter(
            (r) => !enforcer.check('identity:get_credential', keystoneTarget({ credential: r }), p.creds),
          )
          return hidden.length ? `${hidden.length} credentials get_credential refuses in the list` : undefined
        },
      }
    }
    if (key === 'OS-TRUST/trusts') {
      const u = selfOrUser(p, owner)!
      return owner === 'far'
        ? { query: {}, target: {} }
        : {
            query: { [owner === 'ours' ? 'trustee_user_id' : 'trustor_user_id']: u.id },
            target: { trust: { [owner === 'ours' ? 'trustee_user_id' : 'trustor_user_id']: u.id } },
          }
    }
    if (key === 'limits') {
      // Keystone lists every limit to a system token or an admin or service role, a
      // domain's (its own and its projects') to a domain token, the project's to a
      // project token.
      const c = p.creds
      const roles = (c.roles ?? []) as readonly string[]
      if (c.system_scope || roles.includes('admin') || roles.includes('service')) return { query: {} }
      const domainOf = (projectId: string | null) => projects.find((x) => x.id === projectId)?.domain_id
      return {
        query: {},
        inspect: (json) => {
          const rows = (json as { limits: Array<{ project_id: string | null; domain_id: string | null }> })
            .limits
          const foreign = rows.filter((r) =>
            c.domain_id
              ? (r.domain_id ?? domainOf(r.project_id)) !== c.domain_id
              : r.project_id !== c.project_id,
          )
          return foreign.length ? `${foreign.length} limits of others in the list` : undefined
        },
      }
    }
    if (key === 'roles') {
      if (owner === 'none') return { query: {}, target: {} }
      const d = domainFor(p, owner)
      if (!d) return 'the other project is in the same domain'
      return { query: { domain_id: d }, target: { domain_id: d } }
    }
    return { query: {} }
  }

  const LISTS_BY_OWNER = new Set([
    'GET /v3/users',
    'GET /v3/projects',
    'GET /v3/groups',
    'GET /v3/credentials',
    'GET /v3/OS-TRUST/trusts',
    'POST /v3/projects',
    'POST /v3/users',
    'POST /v3/groups',
    'POST /v3/credentials',
    'POST /v3/OS-TRUST/trusts',
  ])

  return {
    name: 'identity',
    serviceType: 'identity',
    prefix: '/identity',
    routes,
    enforcer,
    allowList,
    setup,
    owners(route) {
      if (NOT_IN_MATRIX.test(route.path)) return ['none']
      const name = `${route.method} ${route.path}`
      if (route.path.startsWith('/v3/auth/tokens')) return ['ours', 'other', 'far']
      if (route.path === '/v3/roles' || (route.path === '/v3/roles/:id' && !isGrant(route.path)))
        return ['none', 'ours', 'far']
      if (LISTS_BY_OWNER.has(name)) return ['ours', 'other', 'far']
      const kinds = paramsOf(route.path).map((p) => p.kind)
      return kinds.some((k) => OWNED.has(k)) ? ['ours', 'other', 'far'] : ['none']
    },
    async prepare(route, owner, persona): Promise<Prepared | { skip: string }> {
      const p = persona as WorldPersona
      const name = `${route.method} ${route.path}`
      const denied = [403]
      if (NOT_IN_MATRIX.test(route.path))
        return {
          skip: 'federation, endpoint policy, the OAuth1 flow and EC2/S3 tokens have no matrix fixtures yet (their own tests: src/services/identity/test/)',
        }

      // The token API: the subject token is the caller's own, a colleague's or a far user's.
      if (route.path === '/v3/auth/tokens') {
        const subject =
          owner === 'ours'
            ? route.method === 'DELETE'
              ? await p.reissue()
              : p.token
            : await ownerToken(w.projectOf(p, owner).user.id)
        const fresh =
          owner !== 'ours' && route.method === 'DELETE'
            ? await ownerTokens.get(w.projectOf(p, owner).user.id)!()
            : subject
        const subjectUser = owner === 'ours' ? p.userId : w.projectOf(p, owner).user.id
        const headers = { 'x-subject-token': fresh! }
        return {
          method: route.method,
          url: route.path,
          headers,
          rule: route.method === 'GET' ? 'identity:validate_token' : 'identity:revoke_token',
          target: { target: { token: { user_id: subjectUser } } },
          denied,
          ...(route.method === 'DELETE'
            ? {
                tookEffect: async () => {
                  const r = await w.app.inject({
                    method: 'GET',
                    url: '/identity/v3/auth/tokens',
                    headers: { 'x-auth-token': w.adminToken, 'x-subject-token': fresh! },
                  })
                  return r.statusCode === 404 ? 'the token was revoked' : undefined
                },
              }
            : {}),
        }
      }

      const params = paramsOf(route.path)
      const freshName = freshParam(route, params)
      const got = new Map<Kind, Obj>()
      let url = route.path
      for (const param of params) {
        const o = await resolve(route, param, owner, p, got, param.name === freshName)
        if (typeof o === 'string') return { skip: o }
        // NOTE: the first object of a kind is the one the target names (grants' role last).
        if (!got.has(param.kind) || param.kind === 'role') got.set(param.kind, o)
        url = url.replace(`:${param.name}`, encodeURIComponent(o.id))
      }

      let target: Record<string, unknown> = {}
      for (const [kind, o] of got) {
        const key = TARGET_KEY[kind]
        if (key) target[key] = o.attrs
      }
      if (route.path.includes('/application_credentials') && !route.path.endsWith('/:id'))
        target = { user: got.get('user')!.attrs }
      if (route.path.includes('/access_rules')) target = { user: { id: got.get('user')!.id } }
      if (route.path.includes('/credentials/OS-EC2')) {
        const u = got.get('user')!.id
        target = { user_id: u, credential: { user_id: u } }
      }
      if (route.path === '/v3/users/:id/groups') target = { ...target, user_id: got.get('user')!.id }
      if (route.path === '/v3/role_assignments')
        target = p.creds.domain_id ? { domain_id: p.creds.domain_id } : {}

      let query: Record<string, string> = {}
      let inspect: Prepared['inspect']
      if (route.method === 'GET' && !route.path.includes(':')) {
        const q = listQuery(route, p, owner)
        if (typeof q === 'string') return { skip: q }
        query = q.query
        if (q.target) target = q.target
        inspect = q.inspect
      }

      let body: unknown
      const override = BODY_OVERRIDES[name]
      if (override) {
        const b = override(p, owner, got)
        if (typeof b === 'string') return { skip: b }
        body = b.body
        if (b.target) target = { ...target, ...b.target }
      } else if (route.body && typeof route.body === 'object') {
        body = minimalBody(route.body)
      }

      const qs = new URLSearchParams(query).toString()
      const fullUrl = qs ? `${url}?${qs}` : url
      const prep: Prepared = {
        method: route.method,
        url: fullUrl,
        ...(body !== undefined ? { body } : {}),
        rule: ruleFor(route, got, query, body as { role?: { domain_id?: string } } | undefined),
        target: keystoneTarget(target),
        denied,
        ...(inspect ? { inspect } : {}),
      }
      const relation = isRelation(route.path)
      if (route.method === 'DELETE' && relation && !route.path.endsWith('/tags/:tag')) await ok('PUT', url)
      if (route.method === 'DELETE') {
        const hasGet = routes.some((r) => r.method === 'GET' && r.path === route.path)
        if (hasGet)
          prep.tookEffect = async () =>
            (await call('GET', url)).status === 404 ? 'the object is gone (admin GET answers 404)' : undefined
      }
      if (route.method === 'PUT' && relation) prep.cleanup = async () => void (await call('DELETE', url))
      if (route.method === 'POST' && !route.path.includes(':')) {
        prep.cleanup = async (_status, json) => {
          const key = Object.keys((json as object) ?? {})[0]
          const id = key ? (json as Record<string, { id?: string }>)[key]?.id : undefined
          if (!id) return
          if (route.path === '/v3/domains')
            await call('PATCH', `/v3/domains/${id}`, { domain: { enabled: false } })
          await call('DELETE', `${route.path}/${id}`)
        }
      }
      // Unified limits are created as a list: delete what was made.
      if (
        route.method === 'POST' &&
        (route.path === '/v3/limits' || route.path === '/v3/registered_limits')
      ) {
        const key = route.path.slice('/v3/'.length)
        prep.cleanup = async (_s, json) => {
          for (const x of (json as Record<string, Array<{ id: string }>>)[key] ?? [])
            await call('DELETE', `${route.path}/${x.id}`)
        }
      }
      if (route.path === '/v3/users/:user/credentials/OS-EC2' && route.method === 'POST')
        prep.cleanup = async (_s, json) => {
          const access = (json as { credential?: { access?: string } })?.credential?.access
          if (access) await call('DELETE', `${url}/${access}`)
        }
      return prep
    },
  }
}
