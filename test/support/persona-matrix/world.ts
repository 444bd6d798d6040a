/**
 * The identity world the persona matrix runs in, made through the real API of one cloud:
 *
 *   domain A: project P ("ours"), project Q (another project of the domain)
 *   domain B: projects R and S (another domain)
 *
 * A member user in each project (uP, uQ, uR, uS), a group per domain, and one user per
 * persona holding exactly the role its name says, with a token from POST /v3/auth/tokens:
 * system admin/member/reader; domain admin/manager/member/reader of A; project
 * admin/manager/member/reader of P; a member of Q; a member of R (another domain); two
 * application credentials of a member of P (restricted with access rules, and
 * unrestricted); and the trustee of a trust from a member of P, with its trust token.
 *
 * Each persona's `creds` are written down here from what was granted (roles plus what
 * they imply: admin > manager > member > reader), not read back from its token, so that a
 * token that carries the wrong roles shows in the matrix.
 */
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { Credentials } from '../../../src/kernel/policy/index.js'
import type { AccessRule, Owner, Persona } from './engine.js'

export type RoleName = 'admin' | 'manager' | 'member' | 'reader'

const IMPLIED: Record<RoleName, RoleName[]> = {
  admin: ['admin', 'manager', 'member', 'reader'],
  manager: ['manager', 'member', 'reader'],
  member: ['member', 'reader'],
  reader: ['reader'],
}

export interface Api {
  status: number
  json: any
  headers: Record<string, unknown>
}

export interface ProjectRef {
  id: string
  domain_id: string
  /** A member of the project (not a persona), with its password. */
  user: { id: string; name: string; password: string }
}

/** Where a persona lives: its "ours", "other" and "far" projects. */
export interface Home {
  ours: ProjectRef
  other: ProjectRef
  far: ProjectRef
}

export interface WorldPersona extends Persona {
  userId: string
  userDomainId: string
  /** A password login for the persona's user, when it has one (not the app credentials). */
  password?: string
  home: Home
  /** Issues another token exactly like the persona's (for routes that revoke one). */
  reissue(): Promise<string>
}

export interface World {
  app: FastifyInstance
  adminToken: string
  adminUserId: string
  roles: Record<RoleName | 'service', string>
  domains: { A: string; B: string }
  projects: { P: ProjectRef; Q: ProjectRef; R: ProjectRef; S: ProjectRef }
  groups: { A: string; B: string }
  personas: WorldPersona[]
  /** A call with the admin token (or `token`); the prefix is part of `url`. */
  call(method: string, url: string, body?: unknown, token?: string): Promise<Api>
  /** Like `call`, but asserts a 2xx. */
  ok(method: string, url: string, body?: unknown, token?: string): Promise<any>
  /** A password token of a user. */
  login(userId: string, password: string, scope?: unknown): Promise<string>
  /** A fresh name. */
  name(prefix: string): string
  /** The project an owner names, from a persona's point of view. */
  projectOf(p: WorldPersona, owner: Owner): ProjectRef
}

let serial = 0

/**
 * A token's policy credentials as Keystone builds them: user, scope, roles, and the
 * `token` document rules such as `token.domain.id` read (is_admin_project stays true
 * while no admin project is configured, as Keystone).
 */
function tokenCreds(
  userId: string,
  userDomainId: string,
  scope: Omit<Credentials, 'roles'>,
  roles: readonly string[],
): Credentials {
  const project = scope.project_id as string | undefined
  const domain = scope.domain_id as string | undefined
  return {
    ...scope,
    user_id: userId,
    user_domain_id: userDomainId,
    roles,
    is_admin_project: true,
    token: {
      user: { id: userId, domain: { id: userDomainId } },
      ...(project ? { project: { id: project, domain: { id: scope.project_domain_id } } } : {}),
      ...(domain ? { domain: { id: domain } } : {}),
    },
  }
}

export async function buildWorld(
  app: FastifyInstance,
  adminToken: string,
  adminUserId: string,
): Promise<World> {
  const call = async (method: string, url: string, body?: unknown, token = adminToken): Promise<Api> => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-auth-token': token },
      ...(body !== undefined ? { payload: body as object } : {}),
    })
    let json: unknown
    try {
      json = res.body ? JSON.parse(res.body) : undefined
    } catch {
      json = res.body
    }
    return { status: res.statusCode, json, headers: res.headers }
  }
  const ok = async (method: string, url: string, body?: unknown, token?: string) => {
    const r = await call(method, url, body, token)
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`)
    return r.json
  }
  const issue = async (auth: unknown): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: { auth } as object,
    })
    assert.equal(res.statusCode, 201, res.body)
    return String(res.headers['x-subject-token'])
  }
  const login = (userId: string, password: string, scope?: unknown) =>
    issue({
      identity: { methods: ['password'], password: { user: { id: userId, password } } },
      ...(scope ? { scope } : {}),
    })
  const name = (prefix: string) => `${prefix}-${++serial}-${Math.random().toString(36).slice(2, 6)}`

  const roleList = (await ok('GET', '/identity/v3/roles')).roles as Array<{ id: string; name: string }>
  const roles = Object.fromEntries(roleList.map((r) => [r.name, r.id])) as World['roles']
  for (const r of ['admin', 'manager', 'member', 'reader', 'service'] as const) assert.ok(roles[r], r)

  const newDomain = async (n: string) =>
    (await ok('POST', '/identity/v3/domains', { domain: { name: name(n) } })).domain.id as string
  const newUser = async (domainId: string, n: string) => {
    const password = `pw-${n}`
    const u = (
      await ok('POST', '/identity/v3/users', { user: { name: name(n), domain_id: domainId, password } })
    ).user
    return { id: u.id as string, name: u.name as string, password }
  }
  const grant = (on: string, userId: string, role: RoleName | 'service') =>
    ok('PUT', `/identity/v3/${on}/users/${userId}/roles/${roles[role]}`)
  const newProject = async (domainId: string, n: string): Promise<ProjectRef> => {
    const id = (
      await ok('POST', '/identity/v3/projects', { project: { name: name(n), domain_id: domainId } })
    ).project.id as string
    const user = await newUser(domainId, `u${n}`)
    await grant(`projects/${id}`, user.id, 'member')
    return { id, domain_id: domainId, user }
  }

  const domains = { A: await newDomain('A'), B: await newDomain('B') }
  const projects = {
    P: await newProject(domains.A, 'P'),
    Q: await newProject(domains.A, 'Q'),
    R: await newProject(domains.B, 'R'),
    S: await newProject(domains.B, 'S'),
  }
  const groups = {
    A: (await ok('POST', '/identity/v3/groups', { group: { name: name('gA'), domain_id: domains.A } })).group
      .id as string,
    B: (await ok('POST', '/identity/v3/groups', { group: { name: name('gB'), domain_id: domains.B } })).group
      .id as string,
  }
  const homeA: Home = { ours: projects.P, other: projects.Q, far: projects.R }

  const personas: WorldPersona[] = []
  const add = async (
    personaName: string,
    domainId: string,
    on: string,
    role: RoleName,
    scope: unknown,
    creds: Omit<Credentials, 'roles' | 'user_id' | 'user_domain_id'>,
    home: Home,
  ) => {
    const u = await newUser(domainId, personaName)
    await grant(on, u.id, role)
    const reissue = () => login(u.id, u.password, scope)
    personas.push({
      name: personaName,
      token: await reissue(),
      userId: u.id,
      userDomainId: domainId,
      password: u.password,
      home,
      reissue,
      creds: tokenCreds(u.id, domainId, creds, IMPLIED[role]),
    })
  }
  const system = { system: { all: true } }
  for (const role of ['admin', 'member', 'reader'] as const)
    await add(`system-${role}`, domains.A, 'system', role, system, { system_scope: 'all' }, homeA)
  for (const role of ['admin', 'manager', 'member', 'reader'] as const)
    await add(
      `domain-${role}`,
      domains.A,
      `domains/${domains.A}`,
      role,
      { domain: { id: domains.A } },
      { domain_id: domains.A },
      homeA,
    )
  const inProject = (p: ProjectRef) => ({ project_id: p.id, project_domain_id: p.domain_id })
  for (const role of ['admin', 'manager', 'member', 'reader'] as const)
    await add(
      `project-${role}`,
      domains.A,
      `projects/${projects.P.id}`,
      role,
      { project: { id: projects.P.id } },
      inProject(projects.P),
      homeA,
    )
  await add(
    'other-project-member',
    domains.A,
    `projects/${projects.Q.id}`,
    'member',
    { project: { id: projects.Q.id } },
    inProject(projects.Q),
    { ours: projects.Q, other: projects.P, far: projects.R },
  )
  await add(
    'other-domain-member',
    domains.B,
    `projects/${projects.R.id}`,
    'member',
    { project: { id: projects.R.id } },
    inProject(projects.R),
    { ours: projects.R, other: projects.S, far: projects.P },
  )

  // Application credentials of a member of P: one restricted to a few calls by access
  // rules, one unrestricted.
  const acOwner = await newUser(domains.A, 'acowner')
  await grant(`projects/${projects.P.id}`, acOwner.id, 'member')
  const ownerToken = await login(acOwner.id, acOwner.password, { project: { id: projects.P.id } })
  const accessRules: AccessRule[] = [
    { service: 'identity', method: 'GET', path: '/v3/users/*' },
    { service: 'identity', method: 'GET', path: '/v3/projects/*' },
    { service: 'image', method: 'GET', path: '/v2/images' },
    { service: 'image', method: 'GET', path: '/v2/images/*' },
    { service: 'placement', method: 'GET', path: '/usages' },
  ]
  for (const restricted of [true, false]) {
    const ac = (
      await ok(
        'POST',
        `/identity/v3/users/${acOwner.id}/application_credentials`,
        {
          application_credential: {
            name: name('ac'),
            unrestricted: !restricted,
            ...(restricted ? { access_rules: accessRules } : {}),
          },
        },
        ownerToken,
      )
    ).application_credential
    const reissue = () =>
      issue({
        identity: {
          methods: ['application_credential'],
          application_credential: { id: ac.id, secret: ac.secret },
        },
      })
    personas.push({
      name: restricted ? 'appcred-restricted' : 'appcred-unrestricted',
      token: await reissue(),
      userId: acOwner.id,
      userDomainId: domains.A,
      home: homeA,
      reissue,
      creds: tokenCreds(acOwner.id, domains.A, inProject(projects.P), IMPLIED.member),
      ...(restricted ? { accessRules } : {}),
    })
  }

  // A trust: a member of P delegates `member` on P to a user who has no role of its own.
  const trustor = await newUser(domains.A, 'trustor')
  await grant(`projects/${projects.P.id}`, trustor.id, 'member')
  const trustee = await newUser(domains.A, 'trustee')
  const trustorToken = await login(trustor.id, trustor.password, { project: { id: projects.P.id } })
  const trust = (
    await ok(
      'POST',
      '/identity/v3/OS-TRUST/trusts',
      {
        trust: {
          trustor_user_id: trustor.id,
          trustee_user_id: trustee.id,
          impersonation: false,
          project_id: projects.P.id,
          roles: [{ name: 'member' }],
        },
      },
      trustorToken,
    )
  ).trust
  const trustScope = { 'OS-TRUST:trust': { id: trust.id } }
  personas.push({
    name: 'trustee',
    token: await login(trustee.id, trustee.password, trustScope),
    userId: trustee.id,
    userDomainId: domains.A,
    password: trustee.password,
    home: homeA,
    reissue: () => login(trustee.id, trustee.password, trustScope),
    creds: tokenCreds(trustee.id, domains.A, inProject(projects.P), IMPLIED.member),
  })

  return {
    app,
    adminToken,
    adminUserId,
    roles,
    domains,
    projects,
    groups,
    personas,
    call,
    ok,
    login,
    name,
    projectOf: (p, owner) => (owner === 'other' ? p.home.other : owner === 'far' ? p.home.far : p.home.ours),
  }
}
