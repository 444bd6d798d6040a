/**
 * An in-memory AuthnPorts for the auth half's tests: a few domains, projects, users,
 * roles and assignments, with plain-text passwords.
 */

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Kysely } from 'kysely'
import pino from 'pino'
import type { Dialect } from '../../../kernel/db/index.js'
import { migrateToLatest, openDatabase } from '../../../kernel/db/index.js'
import { Unauthorized } from '../../../kernel/errors/index.js'
import { createApp } from '../../../kernel/http/index.js'
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
import { createIdentityService, type IdentityInstanceOf } from '../service.js'
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
  identity: IdentityInstanceOf<unknown>
  /** The RevocationSink the service handed to the resource half. */
  sink(): RevocationSink
  db: Kysely<unknown>
  /** Another process on the same database and key directory (validates, issues). */
  second(): Promise<IdentityInstanceOf<unknown>>
  close(): Promise<void>
}

export interface HarnessOptions {
  connection?: string
  dialect?: Dialect
  token?: Partial<{
    expiration: number
    allow_expired_window: number
    revoke_by_id: boolean
    allow_rescope_scoped_token: boolean
  }>
  policies?: { enforce_scope?: boolean; enforce_new_defaults?: boolean }
  now?: () => number
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-auth-'))
  const connection = options.connection ?? `sqlite:///${join(dir, 'identity.db')}`
  const { db, dialect } = await openDatabase<unknown>(connection)
  await migrateToLatest(db, 'identity', authMigrations)
  const ports = new FakePorts()
  const config = {
    token: {
      expiration: 3600,
      allow_expired_window: 172800,
      revoke_by_id: true,
      allow_rescope_scoped_token: true,
      provider: 'jws' as const,
      ...options.token,
    },
    jwt_tokens: { jws_private_key_repository: join(dir, 'keys') },
    oslo_policy: { enforce_scope: true, enforce_new_defaults: true, ...options.policies },
  }
  const sinks: RevocationSink[] = []
  const make = () =>
    createIdentityService<unknown, typeof config, unknown>(
      { config, logger: pino({ level: 'silent' }), db: db as never, dialect, dataDir: dir },
      (deps) => {
        sinks.push(deps.revocations)
        return { ports, registerRoutes: () => {}, policies: [], bootstrap: async () => {}, migrations: [] }
      },
    )
  const identity = await make()
  const app = createApp({ logger: false, metrics: false })
  await app.register(identity.plugin, { prefix: identity.prefix })
  await app.ready()
  const others: IdentityInstanceOf<unknown>[] = []
  return {
    app,
    ports,
    identity,
    sink: () => sinks[0]!,
    db,
    async second() {
      const other = await make()
      others.push(other)
      return other
    },
    async close() {
      await app.close()
      await identity.close()
      for (const o of others) await o.close()
      await db.destroy()
    },
  }
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

export { Kysely }
