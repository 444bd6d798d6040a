/**
 * An in-memory AuthnPorts for the auth half's tests: a few domains, projects, users,
 * roles and assignments, with plain-text passwords.
 */

import type { FastifyInstance } from 'fastify'
import { Unauthorized } from '../../../kernel/errors/index.js'
import type { AnyServiceModule } from '../../../kernel/host/index.js'
import { startTestHost } from '../../../kernel/testing/index.js'
import type { TrustRecord } from '../domain/auth-trusts.js'
import type {
  ApplicationCredentialRecord,
  AuthnPorts,
  CatalogService,
  DomainRecord,
  NameOrId,
  ProjectRecord,
  RevocationSink,
  RoleRef,
  ScopeRef,
  UserRecord,
} from '../domain/ports.js'
import { type IdentityConfig, identityModule } from '../module.js'
import type { IdentityDomain } from '../resources.js'
import { createIdentityService } from '../service.js'
import { authMigrations } from '../storage/migrations/auth-0500-tokens.js'

export const ROLES: Record<string, RoleRef> = {
  admin: { id: 'r-admin', name: 'admin', domain_id: null },
  member: { id: 'r-member', name: 'member', domain_id: null },
  reader: { id: 'r-reader', name: 'reader', domain_id: null },
}

export class FakePorts implements AuthnPorts {
  domains: DomainRecord[] = [
    { id: 'default', name: 'Default', enabled: true },
    { id: 'd2', name: 'Other', enabled: true },
  ]
  projects: ProjectRecord[] = [
    {
      id: 'p-admin',
      name: 'admin',
      domain_id: 'default',
      enabled: true,
      is_domain: false,
      parent_id: 'default',
    },
    {
      id: 'p-demo',
      name: 'demo',
      domain_id: 'default',
      enabled: true,
      is_domain: false,
      parent_id: 'default',
    },
    { id: 'p-other', name: 'other', domain_id: 'd2', enabled: true, is_domain: false, parent_id: 'd2' },
  ]
  users: Array<UserRecord & { password: string }> = [
    user('u-admin', 'admin', 'default', 'secret-admin'),
    user('u-alice', 'alice', 'default', 'secret-alice'),
    user('u-bob', 'bob', 'd2', 'secret-bob'),
  ]
  /** userId -> scope key ('p:<id>', 'd:<id>', 'system') -> role names */
  grants: Record<string, Record<string, string[]>> = {
    'u-admin': { 'p:p-admin': ['admin', 'member', 'reader'], system: ['admin', 'member', 'reader'] },
    'u-alice': { 'p:p-demo': ['member', 'reader'], 'd:default': ['reader'] },
    'u-bob': {},
  }
  appCreds: Array<ApplicationCredentialRecord & { secret: string }> = []
  trusts: TrustRecord[] = []
  trustUses: string[] = []

  async findUser(ref: NameOrId) {
    return this.users.find((u) =>
      ref.id ? u.id === ref.id : u.name === ref.name && this.domainMatches(u.domain_id, ref.domain),
    )
  }
  async checkPassword(user: UserRecord, password: string) {
    const u = this.users.find((x) => x.id === user.id)
    if (!u || u.password !== password) throw new Unauthorized()
  }
  async findProject(ref: NameOrId) {
    return this.projects.find((p) =>
      ref.id ? p.id === ref.id : p.name === ref.name && this.domainMatches(p.domain_id, ref.domain),
    )
  }
  async findDomain(ref: { id?: string; name?: string }) {
    return this.domains.find((d) => (ref.id ? d.id === ref.id : d.name === ref.name))
  }
  async effectiveRoles(userId: string, scope: ScopeRef) {
    const key = scope.system ? 'system' : scope.projectId ? `p:${scope.projectId}` : `d:${scope.domainId}`
    return (this.grants[userId]?.[key] ?? []).map((n) => ROLES[n]!)
  }
  async findApplicationCredential(ref: { id?: string; name?: string; user?: NameOrId }) {
    if (ref.id) return this.appCreds.find((a) => a.id === ref.id)
    const owner = ref.user ? await this.findUser(ref.user) : undefined
    return this.appCreds.find((a) => a.name === ref.name && a.user_id === owner?.id)
  }
  async checkApplicationCredentialSecret(c: ApplicationCredentialRecord, secret: string) {
    if (this.appCreds.find((a) => a.id === c.id)?.secret !== secret) throw new Unauthorized()
  }
  async catalog(): Promise<CatalogService[]> {
    return [
      {
        id: 's-identity',
        type: 'identity',
        name: 'keystone',
        endpoints: [
          {
            id: 'e1',
            interface: 'public',
            region: 'RegionOne',
            region_id: 'RegionOne',
            url: 'http://localhost/identity',
          },
        ],
      },
    ]
  }
  async projectsForUser(userId: string) {
    const keys = Object.keys(this.grants[userId] ?? {}).filter((k) => k.startsWith('p:'))
    return this.projects.filter((p) => keys.includes(`p:${p.id}`))
  }
  async domainsForUser(userId: string) {
    const keys = Object.keys(this.grants[userId] ?? {}).filter((k) => k.startsWith('d:'))
    return this.domains.filter((d) => keys.includes(`d:${d.id}`))
  }
  async findTrust(id: string) {
    return this.trusts.find((t) => t.id === id)
  }
  async consumeTrustUse(id: string) {
    this.trustUses.push(id)
  }

  private domainMatches(domainId: string, ref: { id?: string; name?: string } | undefined): boolean {
    if (!ref) return false
    if (ref.id) return ref.id === domainId
    return this.domains.find((d) => d.id === domainId)?.name === ref.name
  }
}

function user(
  id: string,
  name: string,
  domain_id: string,
  password: string,
): UserRecord & { password: string } {
  return {
    id,
    name,
    domain_id,
    enabled: true,
    default_project_id: null,
    password_expires_at: null,
    options: {},
    password,
  }
}

export interface Harness {
  app: FastifyInstance
  ports: FakePorts
  /** The RevocationSink the service handed to the resource half. */
  sink(): RevocationSink
  close(): Promise<void>
}

export interface HarnessOptions {
  token?: Partial<{
    expiration: number
    allow_expired_window: number
    revoke_by_id: boolean
    allow_rescope_scoped_token: boolean
  }>
  policies?: { enforce_scope?: boolean; enforce_new_defaults?: boolean }
}

/**
 * Identity's auth half on a test host (the kernel's test kit), with FakePorts for the
 * resource half: its tables are not even created.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ports = new FakePorts()
  const sinks: RevocationSink[] = []
  const authOnly: AnyServiceModule = {
    ...identityModule,
    migrations: authMigrations,
    provides: ['tokens'],
    create: async (ctx) => {
      const identity = await createIdentityService<unknown, IdentityConfig, unknown>(ctx, (deps) => {
        sinks.push(deps.revocations)
        return {
          ports,
          // NOTE: no resource half; its routes are mounted but never called here.
          domain: {} as IdentityDomain,
          limits: { limitsFor: async () => ({}) },
          policies: [],
          bootstrap: async () => ({ adminPasswordHash: undefined }),
          serviceActor: async () => undefined,
        }
      })
      return { plugin: identity.plugin, provides: { tokens: identity.tokens } }
    },
  }
  const t = await startTestHost({
    modules: [authOnly],
    config: { token: { ...options.token }, oslo_policy: { ...options.policies } },
  })
  return { app: t.host.app, ports, sink: () => sinks[0]!, close: () => t.close() }
}

export function passwordAuth(
  user: { id?: string; name?: string; domain?: { id?: string; name?: string } },
  password: string,
  scope?: unknown,
) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { ...user, password } } },
      ...(scope === undefined ? {} : { scope }),
    },
  }
}
