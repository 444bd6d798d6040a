/**
 * Who may do what, as a table: ten personas against users, projects, groups and role
 * grants in domain A (theirs) and domain B (someone else's), another user's application
 * credential and another user's token. Expected statuses follow Keystone master's
 * policy defaults (keystone/common/policies/{user,project,group,grant,
 * application_credential,token}.py) with enforce_scope and enforce_new_defaults on:
 *
 * - `rule:admin_required` is `role:admin` in any scope, so the domain admin of A and the
 *   project admin of P administer domain B too (as upstream; only `manager` is domain-bound);
 * - readers: system reader everywhere, domain reader within its domain, project users
 *   their own project only;
 * - application credential reads accept system and project scope only (domain tokens 403);
 * - a domain-scoped list is forced to the token's domain: 200, never another domain's rows.
 *
 * Plus "nothing half-written": a failed create or grant leaves no row behind.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

const PERSONAS = [
  'sysAdmin',
  'sysMember',
  'sysReader',
  'domAdmin',
  'domMember',
  'domReader',
  'domManager',
  'projAdmin',
  'projMember',
  'projReader',
  'projManager',
  'userB',
] as const
type Persona = (typeof PERSONAS)[number]

/**
 * Twelve statuses in PERSONAS order, grouped
 * `sys admin member reader | domain A admin member reader manager | project P admin member reader manager | member of B`.
 */
function exp(spec: string): Record<Persona, number> {
  const codes = spec.replace(/\|/g, ' ').trim().split(/\s+/).map(Number)
  assert.equal(codes.length, PERSONAS.length, spec)
  return Object.fromEntries(PERSONAS.map((p, i) => [p, codes[i]])) as Record<Persona, number>
}

let h: ResourceHarness
const rnd = () => Math.random().toString(36).slice(2, 8)
const tokens = {} as Record<Persona, string>
const who = {} as Record<Persona, { id: string; domain?: string }>
const fx = {
  A: '',
  B: '',
  P: '',
  PB: '',
  userA: '',
  userB: '',
  groupA: '',
  groupB: '',
  reader: '',
  member: '',
  admin: '',
  manager: '',
  owner: '',
  ownerToken: '',
  appCred: '',
}
type Dom = 'A' | 'B'
const domainOf = (d: Dom) => (d === 'A' ? fx.A : fx.B)
const projectOf = (d: Dom) => (d === 'A' ? fx.P : fx.PB)
const userOf = (d: Dom) => (d === 'A' ? fx.userA : fx.userB)
const groupOf = (d: Dom) => (d === 'A' ? fx.groupA : fx.groupB)
const other = (d: Dom): Dom => (d === 'A' ? 'B' : 'A')

async function ok<T = any>(method: string, url: string, body?: unknown): Promise<T> {
  const r = await h.call(method, url, body)
  assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json as T
}
const newUser = async (domain: string, password?: string) =>
  (await ok('POST', '/v3/users', { user: { name: `u-${rnd()}`, domain_id: domain, password } })).user as {
    id: string
    name: string
  }

before(async () => {
  h = await startResourceHarness()
  const roles = (await ok('GET', '/v3/roles')).roles as Array<{ id: string; name: string }>
  for (const r of roles) if (r.name in fx) (fx as Record<string, string>)[r.name] = r.id
  fx.A = (await ok('POST', '/v3/domains', { domain: { name: `A-${rnd()}` } })).domain.id
  fx.B = (await ok('POST', '/v3/domains', { domain: { name: `B-${rnd()}` } })).domain.id
  fx.P = (await ok('POST', '/v3/projects', { project: { name: 'P', domain_id: fx.A } })).project.id
  fx.PB = (await ok('POST', '/v3/projects', { project: { name: 'PB', domain_id: fx.B } })).project.id
  fx.userA = (await newUser(fx.A)).id
  fx.userB = (await newUser(fx.B)).id
  fx.groupA = (await ok('POST', '/v3/groups', { group: { name: 'gA', domain_id: fx.A } })).group.id
  fx.groupB = (await ok('POST', '/v3/groups', { group: { name: 'gB', domain_id: fx.B } })).group.id
  // Existing grants the check rows look for.
  await ok('PUT', `/v3/projects/${fx.P}/users/${fx.userA}/roles/${fx.reader}`)
  await ok('PUT', `/v3/projects/${fx.PB}/users/${fx.userB}/roles/${fx.reader}`)
  // Cross-domain grants and memberships: a user of one domain on the other's project and group.
  await ok('PUT', `/v3/projects/${fx.P}/users/${fx.userB}/roles/${fx.reader}`)
  await ok('PUT', `/v3/projects/${fx.PB}/users/${fx.userA}/roles/${fx.reader}`)
  await ok('PUT', `/v3/groups/${fx.groupA}/users/${fx.userB}`)
  await ok('PUT', `/v3/groups/${fx.groupB}/users/${fx.userA}`)

  const setup: Record<Persona, [domain: string, grant: string, role: string, scope: unknown]> = {
    sysAdmin: ['default', '/v3/system', fx.admin, { system: { all: true } }],
    sysMember: ['default', '/v3/system', fx.member, { system: { all: true } }],
    sysReader: ['default', '/v3/system', fx.reader, { system: { all: true } }],
    domAdmin: [fx.A, `/v3/domains/${fx.A}`, fx.admin, { domain: { id: fx.A } }],
    domMember: [fx.A, `/v3/domains/${fx.A}`, fx.member, { domain: { id: fx.A } }],
    domReader: [fx.A, `/v3/domains/${fx.A}`, fx.reader, { domain: { id: fx.A } }],
    domManager: [fx.A, `/v3/domains/${fx.A}`, fx.manager, { domain: { id: fx.A } }],
    projAdmin: [fx.A, `/v3/projects/${fx.P}`, fx.admin, { project: { id: fx.P } }],
    projMember: [fx.A, `/v3/projects/${fx.P}`, fx.member, { project: { id: fx.P } }],
    projReader: [fx.A, `/v3/projects/${fx.P}`, fx.reader, { project: { id: fx.P } }],
    projManager: [fx.A, `/v3/projects/${fx.P}`, fx.manager, { project: { id: fx.P } }],
    userB: [fx.B, `/v3/domains/${fx.B}`, fx.member, { domain: { id: fx.B } }],
  }
  for (const p of PERSONAS) {
    const [domain, grant, role, scope] = setup[p]
    const u = await newUser(domain, `pw-${p}`)
    await ok('PUT', `${grant}/users/${u.id}/roles/${role}`)
    tokens[p] = await h.token(u.name, `pw-${p}`, scope, domain)
    who[p] = { id: u.id, domain: p.startsWith('dom') ? fx.A : p === 'userB' ? fx.B : undefined }
  }
  // Another user (member of P) with an application credential and a token.
  const owner = await newUser(fx.A, 'pw-owner')
  await ok('PUT', `/v3/projects/${fx.P}/users/${owner.id}/roles/${fx.member}`)
  fx.owner = owner.id
  fx.ownerToken = await h.token(owner.name, 'pw-owner', { project: { id: fx.P } }, fx.A)
  const ac = await h.call(
    'POST',
    `/v3/users/${owner.id}/application_credentials`,
    { application_credential: { name: 'ac' } },
    fx.ownerToken,
  )
  assert.equal(ac.status, 201, JSON.stringify(ac.json))
  fx.appCred = ac.json.application_credential.id
})
after(async () => h?.close())

interface Case {
  name: string
  expect: Record<Persona, number>
  /** Builds the request, creating fresh targets (with the admin token) when it mutates. */
  request(d: Dom): Promise<{ method: string; url: string; body?: unknown; headers?: Record<string, string> }>
  domains?: Dom[]
  /** Extra check of a 2xx body. */
  check?(json: any, p: Persona, d: Dom): void
}

/** A domain-scoped list shows the token's domain only. */
const onlyOwnDomain = (key: string) => (json: any, p: Persona, d: Dom) => {
  const own = who[p].domain
  if (!own) return
  for (const x of json[key]) assert.equal(x.domain_id, own, `${p} sees ${key} of another domain`)
  if (own !== domainOf(d)) assert.equal(json[key].length, 0)
}

// Expectations per target domain: [A, B].
const cases: Array<Case & { expectB?: Record<Persona, number> }> = [
  {
    name: 'list users',
    expect: exp('200 200 200 | 200 200 200 200 | 200 403 403 403 | 200'),
    request: async (d) => ({ method: 'GET', url: `/v3/users?domain_id=${domainOf(d)}` }),
    check: onlyOwnDomain('users'),
  },
  {
    name: 'get user',
    expect: exp('200 200 200 | 200 200 200 200 | 200 403 403 403 | 403'),
    expectB: exp('200 200 200 | 200 403 403 403 | 200 403 403 403 | 200'),
    request: async (d) => ({ method: 'GET', url: `/v3/users/${d === 'A' ? fx.userA : fx.userB}` }),
  },
  {
    name: 'create user',
    expect: exp('201 403 403 | 201 403 403 201 | 201 403 403 403 | 403'),
    expectB: exp('201 403 403 | 201 403 403 403 | 201 403 403 403 | 403'),
    request: async (d) => ({
      method: 'POST',
      url: '/v3/users',
      body: { user: { name: `n-${rnd()}`, domain_id: domainOf(d) } },
    }),
  },
  {
    name: 'update user',
    expect: exp('200 403 403 | 200 403 403 200 | 200 403 403 403 | 403'),
    expectB: exp('200 403 403 | 200 403 403 403 | 200 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PATCH',
      url: `/v3/users/${(await newUser(domainOf(d))).id}`,
      body: { user: { description: 'x' } },
    }),
  },
  {
    name: 'delete user',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({ method: 'DELETE', url: `/v3/users/${(await newUser(domainOf(d))).id}` }),
  },
  {
    name: 'list projects',
    expect: exp('200 200 200 | 200 200 200 200 | 200 403 403 403 | 200'),
    request: async (d) => ({ method: 'GET', url: `/v3/projects?domain_id=${domainOf(d)}` }),
    check: onlyOwnDomain('projects'),
  },
  {
    name: 'get project',
    expect: exp('200 200 200 | 200 200 200 200 | 200 200 200 200 | 403'),
    expectB: exp('200 200 200 | 200 403 403 403 | 200 403 403 403 | 200'),
    request: async (d) => ({ method: 'GET', url: `/v3/projects/${projectOf(d)}` }),
  },
  {
    name: 'create project',
    expect: exp('201 403 403 | 201 403 403 201 | 201 403 403 403 | 403'),
    expectB: exp('201 403 403 | 201 403 403 403 | 201 403 403 403 | 403'),
    request: async (d) => ({
      method: 'POST',
      url: '/v3/projects',
      body: { project: { name: `n-${rnd()}`, domain_id: domainOf(d) } },
    }),
  },
  {
    name: 'update project',
    expect: exp('200 403 403 | 200 403 403 200 | 200 403 403 403 | 403'),
    expectB: exp('200 403 403 | 200 403 403 403 | 200 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PATCH',
      url: `/v3/projects/${projectOf(d)}`,
      body: { project: { description: rnd() } },
    }),
  },
  {
    name: 'delete project',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => {
      const p = await ok('POST', '/v3/projects', { project: { name: `n-${rnd()}`, domain_id: domainOf(d) } })
      return { method: 'DELETE', url: `/v3/projects/${p.project.id}` }
    },
  },
  {
    name: 'list groups',
    expect: exp('200 200 200 | 200 200 200 200 | 200 403 403 403 | 200'),
    request: async (d) => ({ method: 'GET', url: `/v3/groups?domain_id=${domainOf(d)}` }),
    check: onlyOwnDomain('groups'),
  },
  {
    name: 'get group',
    expect: exp('200 200 200 | 200 200 200 200 | 200 403 403 403 | 403'),
    expectB: exp('200 200 200 | 200 403 403 403 | 200 403 403 403 | 200'),
    request: async (d) => ({ method: 'GET', url: `/v3/groups/${d === 'A' ? fx.groupA : fx.groupB}` }),
  },
  {
    name: 'create group',
    expect: exp('201 403 403 | 201 403 403 201 | 201 403 403 403 | 403'),
    expectB: exp('201 403 403 | 201 403 403 403 | 201 403 403 403 | 403'),
    request: async (d) => ({
      method: 'POST',
      url: '/v3/groups',
      body: { group: { name: `g-${rnd()}`, domain_id: domainOf(d) } },
    }),
  },
  {
    name: 'update group',
    expect: exp('200 403 403 | 200 403 403 200 | 200 403 403 403 | 403'),
    expectB: exp('200 403 403 | 200 403 403 403 | 200 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PATCH',
      url: `/v3/groups/${d === 'A' ? fx.groupA : fx.groupB}`,
      body: { group: { description: rnd() } },
    }),
  },
  {
    name: 'delete group',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => {
      const g = await ok('POST', '/v3/groups', { group: { name: `g-${rnd()}`, domain_id: domainOf(d) } })
      return { method: 'DELETE', url: `/v3/groups/${g.group.id}` }
    },
  },
  {
    name: 'grant a role on a project',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PUT',
      url: `/v3/projects/${projectOf(d)}/users/${(await newUser(domainOf(d))).id}/roles/${fx.member}`,
    }),
  },
  {
    name: 'check a grant',
    expect: exp('204 204 204 | 204 204 204 204 | 204 403 403 403 | 403'),
    expectB: exp('204 204 204 | 204 403 403 403 | 204 403 403 403 | 204'),
    request: async (d) => ({
      method: 'HEAD',
      url: `/v3/projects/${projectOf(d)}/users/${d === 'A' ? fx.userA : fx.userB}/roles/${fx.reader}`,
    }),
  },
  {
    name: 'revoke a grant',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => {
      const u = await newUser(domainOf(d))
      await ok('PUT', `/v3/projects/${projectOf(d)}/users/${u.id}/roles/${fx.member}`)
      return { method: 'DELETE', url: `/v3/projects/${projectOf(d)}/users/${u.id}/roles/${fx.member}` }
    },
  },
  {
    name: 'grant the admin role on a project',
    expect: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PUT',
      url: `/v3/projects/${projectOf(d)}/users/${(await newUser(domainOf(d))).id}/roles/${fx.admin}`,
    }),
  },
  {
    name: 'grant the manager role on a project',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PUT',
      url: `/v3/projects/${projectOf(d)}/users/${(await newUser(domainOf(d))).id}/roles/${fx.manager}`,
    }),
  },
  {
    name: "grant a role on a project to the other domain's user",
    expect: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PUT',
      url: `/v3/projects/${projectOf(d)}/users/${(await newUser(domainOf(other(d)))).id}/roles/${fx.member}`,
    }),
  },
  {
    name: "check a grant of the other domain's user",
    expect: exp('204 204 204 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({
      method: 'HEAD',
      url: `/v3/projects/${projectOf(d)}/users/${userOf(other(d))}/roles/${fx.reader}`,
    }),
  },
  {
    name: 'list the grants of a user on a project',
    expect: exp('200 200 200 | 200 200 200 200 | 200 403 403 403 | 403'),
    expectB: exp('200 200 200 | 200 403 403 403 | 200 403 403 403 | 200'),
    request: async (d) => ({ method: 'GET', url: `/v3/projects/${projectOf(d)}/users/${userOf(d)}/roles` }),
  },
  {
    name: "list the grants of the other domain's user on a project",
    expect: exp('200 200 200 | 200 403 403 403 | 200 403 403 403 | 403'),
    request: async (d) => ({
      method: 'GET',
      url: `/v3/projects/${projectOf(d)}/users/${userOf(other(d))}/roles`,
    }),
  },
  {
    name: 'revoke the admin role on a project',
    expect: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => {
      const u = await newUser(domainOf(d))
      await ok('PUT', `/v3/projects/${projectOf(d)}/users/${u.id}/roles/${fx.admin}`)
      return { method: 'DELETE', url: `/v3/projects/${projectOf(d)}/users/${u.id}/roles/${fx.admin}` }
    },
  },
  {
    name: 'add a user to a group',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PUT',
      url: `/v3/groups/${groupOf(d)}/users/${(await newUser(domainOf(d))).id}`,
    }),
  },
  {
    name: "add the other domain's user to a group",
    expect: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({
      method: 'PUT',
      url: `/v3/groups/${groupOf(d)}/users/${(await newUser(domainOf(other(d)))).id}`,
    }),
  },
  {
    name: 'remove a user from a group',
    expect: exp('204 403 403 | 204 403 403 204 | 204 403 403 403 | 403'),
    expectB: exp('204 403 403 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => {
      const u = await newUser(domainOf(d))
      await ok('PUT', `/v3/groups/${groupOf(d)}/users/${u.id}`)
      return { method: 'DELETE', url: `/v3/groups/${groupOf(d)}/users/${u.id}` }
    },
  },
  {
    name: 'check a user in a group',
    expect: exp('204 204 204 | 204 204 204 204 | 204 403 403 403 | 403'),
    expectB: exp('204 204 204 | 204 403 403 403 | 204 403 403 403 | 204'),
    request: async (d) => {
      const u = await newUser(domainOf(d))
      await ok('PUT', `/v3/groups/${groupOf(d)}/users/${u.id}`)
      return { method: 'HEAD', url: `/v3/groups/${groupOf(d)}/users/${u.id}` }
    },
  },
  {
    name: "check the other domain's user in a group",
    expect: exp('204 204 204 | 204 403 403 403 | 204 403 403 403 | 403'),
    request: async (d) => ({ method: 'HEAD', url: `/v3/groups/${groupOf(d)}/users/${userOf(other(d))}` }),
  },
  {
    name: 'list role assignments',
    expect: exp('200 200 200 | 200 200 200 200 | 200 403 403 403 | 200'),
    domains: ['A'],
    request: async () => ({ method: 'GET', url: '/v3/role_assignments' }),
    check: (json, p) => {
      const own = who[p].domain
      if (!own) return
      const mine = own === fx.A ? [fx.A, fx.P] : [fx.B, fx.PB]
      assert.ok(json.role_assignments.length > 0, `${p} sees no assignment`)
      for (const a of json.role_assignments) {
        const on = a.scope.project?.id ?? a.scope.domain?.id
        assert.ok(mine.includes(on), `${p} sees an assignment on ${JSON.stringify(a.scope)}`)
      }
    },
  },
  {
    name: "get another user's application credential",
    expect: exp('200 200 200 | 403 403 403 403 | 200 403 403 403 | 403'),
    domains: ['A'],
    request: async () => ({
      method: 'GET',
      url: `/v3/users/${fx.owner}/application_credentials/${fx.appCred}`,
    }),
  },
  {
    name: "list another user's application credentials",
    expect: exp('200 200 200 | 403 403 403 403 | 200 403 403 403 | 403'),
    domains: ['A'],
    request: async () => ({ method: 'GET', url: `/v3/users/${fx.owner}/application_credentials` }),
  },
  {
    name: "validate another user's token",
    expect: exp('200 200 200 | 200 403 403 403 | 200 403 403 403 | 403'),
    domains: ['A'],
    request: async () => ({
      method: 'GET',
      url: '/v3/auth/tokens',
      headers: { 'x-subject-token': fx.ownerToken },
    }),
  },
]

describe('personas: upstream secure-RBAC defaults', () => {
  for (const c of cases) {
    for (const d of c.domains ?? (['A', 'B'] as Dom[])) {
      const expected = d === 'B' && c.expectB ? c.expectB : c.expect
      it(`${c.name}${c.domains ? '' : ` in domain ${d}`}`, async () => {
        const wrong: string[] = []
        for (const p of PERSONAS) {
          const req = await c.request(d)
          const res = await h.app.inject({
            method: req.method as 'GET',
            url: `/identity${req.url}`,
            headers: { host: 'cloud.test', 'x-auth-token': tokens[p], ...req.headers },
            ...(req.body !== undefined ? { payload: req.body as object } : {}),
          })
          if (res.statusCode !== expected[p]) wrong.push(`${p}: ${res.statusCode} (want ${expected[p]})`)
          if (res.statusCode >= 400 && req.method !== 'HEAD') {
            const body = JSON.parse(res.body)
            assert.equal(body.error.code, res.statusCode, `${p}: Keystone error body`)
          }
          if (res.statusCode < 300 && c.check) c.check(JSON.parse(res.body), p, d)
        }
        assert.deepEqual(wrong, [])
      })
    }
  }
})

describe('nothing half-written', () => {
  const count = async (url: string, key: string) => ((await ok('GET', url)) as any)[key].length as number

  const failedCreates: Array<[string, string, unknown, number, string, string]> = [
    [
      'user in an unknown domain',
      '/v3/users',
      { user: { name: 'x', domain_id: 'nope' } },
      404,
      '/v3/users',
      'users',
    ],
    [
      'user with a wrong type',
      '/v3/users',
      { user: { name: 'x', enabled: 'yes' } },
      400,
      '/v3/users',
      'users',
    ],
    ['user with a duplicate name', '/v3/users', { user: { name: 'admin' } }, 409, '/v3/users', 'users'],
    [
      'project under an unknown parent',
      '/v3/projects',
      { project: { name: 'x', parent_id: 'nope' } },
      404,
      '/v3/projects',
      'projects',
    ],
    [
      'project with no name',
      '/v3/projects',
      { project: { description: 'x' } },
      400,
      '/v3/projects',
      'projects',
    ],
    [
      'group in an unknown domain',
      '/v3/groups',
      { group: { name: 'x', domain_id: 'nope' } },
      404,
      '/v3/groups',
      'groups',
    ],
    [
      'role with a 300-char name',
      '/v3/roles',
      { role: { name: 'r'.repeat(300) } },
      400,
      '/v3/roles',
      'roles',
    ],
  ]
  for (const [name, url, body, status, listUrl, key] of failedCreates) {
    it(`a failed create leaves no row: ${name}`, async () => {
      const before = await count(listUrl, key)
      const r = await h.call('POST', url, body)
      assert.equal(r.status, status, JSON.stringify(r.json))
      assert.equal(r.json.error.code, status)
      assert.equal(await count(listUrl, key), before)
    })
  }

  it('a failed or forbidden grant leaves no assignment', async () => {
    const u = await newUser(fx.A)
    const list = `/v3/role_assignments?user.id=${u.id}`
    const attempts: Array<[string, string, number]> = [
      [`/v3/projects/${fx.P}/users/${u.id}/roles/nope`, h.adminToken, 404],
      [`/v3/projects/nope/users/${u.id}/roles/${fx.member}`, h.adminToken, 404],
      [`/v3/domains/nope/users/${u.id}/roles/${fx.member}`, h.adminToken, 404],
      [`/v3/projects/${fx.P}/users/${u.id}/roles/${fx.member}`, tokens.domMember, 403],
      [`/v3/projects/${fx.P}/users/${u.id}/roles/${fx.admin}`, tokens.projMember, 403],
      [`/v3/projects/${fx.P}/users/${u.id}/roles/${fx.admin}`, tokens.domManager, 403],
      [`/v3/projects/${fx.PB}/users/${u.id}/roles/${fx.member}`, tokens.domManager, 403],
      [`/v3/projects/${fx.PB}/users/${u.id}/roles/${fx.member}`, tokens.userB, 403],
    ]
    for (const [url, token, status] of attempts) {
      assert.equal((await h.call('PUT', url, undefined, token)).status, status, url)
    }
    assert.equal(((await ok('GET', list)) as any).role_assignments.length, 0)
  })

  it('an oversized body gets 413 in Keystone format and writes nothing', async () => {
    const before = await count('/v3/users', 'users')
    const r = await h.call('POST', '/v3/users', {
      user: { name: 'big', description: 'x'.repeat(2 * 1024 * 1024) },
    })
    assert.equal(r.status, 413, JSON.stringify(r.json).slice(0, 200))
    assert.equal(r.json.error.code, 413)
    assert.equal(await count('/v3/users', 'users'), before)
  })

  it('a failed user create with a password writes neither user nor password', async () => {
    const before = await count('/v3/users', 'users')
    const r = await h.call('POST', '/v3/users', { user: { name: 'admin', password: 'x-secret' } })
    assert.equal(r.status, 409)
    assert.equal(await count('/v3/users', 'users'), before)
    await assert.rejects(h.token('admin', 'x-secret'))
  })
})
