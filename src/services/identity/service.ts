/**
 * Builds the identity service from its two halves: the resource half
 * (createIdentityResources: users, projects, roles, catalog... and the AuthnPorts) and
 * the auth half (keys, tokens, revocations, /v3/auth/*). It exports the token
 * validator every other service authenticates with.
 */
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { TokenValidator } from '../../kernel/auth/index.js'
import type { NamedMigration } from '../../kernel/db/index.js'
import { Enforcer, type RuleDefault } from '../../kernel/policy/index.js'
import type { ServiceDeps, ServiceInstance } from '../../kernel/service.js'
import { Authenticator } from './domain/auth.js'
import type { IdentityAuthConfig } from './domain/auth-config.js'
import type { AuthnPorts, RevocationSink } from './domain/ports.js'
import { TokenService } from './domain/tokens.js'
import { KeyRing } from './domain/tokens-keys.js'
import { RevocationList } from './domain/tokens-revocations.js'
import { authUrlResolver, identityPlugin } from './plugin.js'
import { withBaseRules } from './policies/auth.js'
import type { BootstrapInput } from './resources.js'
import { TokenKeysRepo } from './storage/token-keys.repo.js'
import { TokenPrivateKeyStore } from './storage/token-private-keys.js'
import { TokenRevocationsRepo } from './storage/token-revocations.repo.js'
import type { TokenDB } from './storage/token-schema.js'

export const IDENTITY_PREFIX = '/identity'
const PRUNE_INTERVAL_MS = 10 * 60 * 1000

/** What the resource half gives the service (resources.ts's IdentityResources). */
export interface ResourcesHalf<Bootstrap> {
  ports: AuthnPorts
  registerRoutes(app: FastifyInstance): void
  policies: RuleDefault[]
  bootstrap(input: Bootstrap): Promise<void>
  migrations: NamedMigration[]
}

export type ResourcesFactory<DB, Config, Bootstrap> = (deps: {
  db: Kysely<DB>
  config: Config
  revocations: RevocationSink
  logger: Logger
}) => ResourcesHalf<Bootstrap>

/** The host sections identity reads besides its own. */
export interface HostSections {
  DEFAULT?: { public_endpoint?: string | undefined }
  oslo_policy?: { enforce_scope?: boolean; enforce_new_defaults?: boolean; policy_file?: string | undefined }
}

export interface IdentityInstanceOf<Bootstrap> extends ServiceInstance {
  tokens: TokenValidator
  bootstrap(input: Bootstrap): Promise<void>
  /** A new signing key for this host; tokens signed by the old one stay valid until they expire. */
  rotateSigningKey(): Promise<void>
}

export async function createIdentityService<DB, Config extends IdentityAuthConfig & HostSections, Bootstrap>(
  deps: ServiceDeps<Config, DB & TokenDB>,
  makeResources: ResourcesFactory<DB, Config, Bootstrap>,
): Promise<IdentityInstanceOf<Bootstrap>> {
  const { config, logger } = deps
  const tokenDb = deps.db as unknown as Kysely<TokenDB>
  const maxTokenLifeMs = (config.token.expiration + config.token.allow_expired_window) * 1000

  const keys = new KeyRing({
    keys: new TokenKeysRepo(tokenDb),
    privateKeys: new TokenPrivateKeyStore(
      config.jwt_tokens.jws_private_key_repository ?? join(deps.dataDir, 'jws-keys'),
    ),
    maxTokenLifeMs,
  })
  await keys.init()
  const revocations = new RevocationList({ repo: new TokenRevocationsRepo(tokenDb), maxTokenLifeMs })
  await revocations.refresh(true)
  const tokens = new TokenService({
    keys,
    revocations,
    expirationSeconds: config.token.expiration,
    allowExpiredWindowSeconds: config.token.allow_expired_window,
  })

  const resources = makeResources({ db: deps.db as unknown as Kysely<DB>, config, revocations, logger })
  const authenticator = new Authenticator({
    ports: resources.ports,
    tokens,
    allowRescopeScopedToken: config.token.allow_rescope_scoped_token,
  })
  const enforcer = new Enforcer([...resources.policies, ...withBaseRules(resources.policies)], {
    enforceScope: config.oslo_policy?.enforce_scope ?? true,
    enforceNewDefaults: config.oslo_policy?.enforce_new_defaults ?? true,
    ...(config.oslo_policy?.policy_file ? { policyFile: config.oslo_policy.policy_file } : {}),
  })
  const baseUrl = authUrlResolver(IDENTITY_PREFIX, config.DEFAULT?.public_endpoint)

  const prune = async () => {
    try {
      await keys.prune()
      await revocations.prune()
    } catch (err) {
      logger.warn({ err }, 'pruning expired signing keys and revocation events failed')
    }
  }
  await prune()
  const timer = setInterval(prune, PRUNE_INTERVAL_MS)
  timer.unref()

  return {
    name: 'identity',
    serviceType: 'identity',
    prefix: IDENTITY_PREFIX,
    tokens,
    plugin: identityPlugin({
      tokens,
      enforcer,
      auth: {
        ports: resources.ports,
        tokens,
        authenticator,
        revocations,
        revokeById: config.token.revoke_by_id,
        baseUrl,
      },
      registerResourceRoutes: (app) => resources.registerRoutes(app),
    }),
    bootstrap: (input) => resources.bootstrap(input),
    async rotateSigningKey() {
      const kid = await keys.rotate()
      logger.info({ kid }, 'rotated the token signing key')
    },
    async close() {
      clearInterval(timer)
    },
  }
}

/** The identity instance the host holds (see module.ts). */
export type IdentityInstance = IdentityInstanceOf<BootstrapInput>
