/**
 * Builds the identity service from its two halves: the resource half
 * (createIdentityResources: users, projects, roles, catalog... and the AuthnPorts) and
 * the auth half assembled here (keys, tokens, revocations, the authenticator). It gives
 * the host the token validator every other service authenticates with, the admin
 * operations of the `cloudlet` command and the token this process calls services with.
 *
 *   ModuleContext ─▶ KeyRing, RevocationList, TokenService ─▶ resources(ports, domain)
 *                 ─▶ Authenticator ─▶ plugin (routes.ts) ─▶ tasks: prune keys and events
 */
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { TokenValidator } from '../../kernel/auth/index.js'
import type { ModuleContext, ServiceInstance } from '../../kernel/host/index.js'
import type { RuleDefault } from '../../kernel/policy/index.js'
import { Authenticator } from './domain/auth.js'
import type { IdentityAuthConfig } from './domain/auth-config.js'
import type { AuthnPorts, RevocationSink } from './domain/ports.js'
import { ServiceToken } from './domain/service-token.js'
import { TokenService } from './domain/tokens.js'
import { KeyRing } from './domain/tokens-keys.js'
import { RevocationList } from './domain/tokens-revocations.js'
import { authUrlResolver, identityPlugin } from './plugin.js'
import { withBaseRules } from './policies/auth.js'
import { policyModel, strictRules } from './policies/strict.js'
import type { BootstrapResult, IdentityDomain, ServiceActor, UnifiedLimitsReader } from './resources.js'
import { TokenKeysRepo } from './storage/token-keys.repo.js'
import { TokenPrivateKeysRepo } from './storage/token-private-keys.repo.js'
import { TokenRevocationsRepo } from './storage/token-revocations.repo.js'
import type { TokenDB } from './storage/token-schema.js'

export const IDENTITY_PREFIX = '/identity'
const PRUNE_INTERVAL_MS = 10 * 60 * 1000

/** What the resource half gives the service (resources.ts's IdentityResources). */
export interface ResourcesHalf<Bootstrap> {
  ports: AuthnPorts
  limits: UnifiedLimitsReader
  domain: IdentityDomain
  policies: RuleDefault[]
  bootstrap(input: Bootstrap): Promise<BootstrapResult>
  serviceActor(): Promise<ServiceActor | undefined>
}

export type ResourcesFactory<DB, Config, Bootstrap> = (deps: {
  db: Kysely<DB>
  config: Config
  revocations: RevocationSink
  logger: Logger
}) => ResourcesHalf<Bootstrap>

/** The host sections identity reads besides its own. */
export interface HostSections {
  DEFAULT: { public_endpoint?: string | undefined }
}

/** What identity uses of the host's ModuleContext. */
export type IdentityContext<Config, DB> = Pick<
  ModuleContext<Config, DB>,
  'config' | 'logger' | 'db' | 'dataDir' | 'tasks' | 'enforcer'
>

export interface IdentityInstanceOf<Bootstrap> extends ServiceInstance {
  prefix: string
  plugin: NonNullable<ServiceInstance['plugin']>
  tokens: TokenValidator
  /**
   * Unified limits for the services of this process (image quotas), in-process.
   * NOTE: a narrow seam until the kernel's service clients carry it between processes.
   */
  limits: UnifiedLimitsReader
  bootstrap(input: Bootstrap): Promise<BootstrapResult>
  /** A new signing key for this host; tokens signed by the old one stay valid until they expire. */
  rotateSigningKey(): Promise<void>
  /** A token of the bootstrap admin for calls to other services: on its project, or the system. */
  serviceToken(scope?: 'system'): Promise<string>
}

export async function createIdentityService<DB, Config extends IdentityAuthConfig & HostSections, Bootstrap>(
  ctx: IdentityContext<Config, DB & TokenDB>,
  makeResources: ResourcesFactory<DB, Config, Bootstrap>,
): Promise<IdentityInstanceOf<Bootstrap>> {
  const { config, logger } = ctx
  const tokenDb = ctx.db as unknown as Kysely<TokenDB>
  const maxTokenLifeMs = (config.token.expiration + config.token.allow_expired_window) * 1000

  const keys = new KeyRing({
    keys: new TokenKeysRepo(tokenDb),
    privateKeys: new TokenPrivateKeysRepo(
      config.jwt_tokens.jws_private_key_repository ?? join(ctx.dataDir, 'jws-keys'),
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

  const resources = makeResources({ db: ctx.db as unknown as Kysely<DB>, config, revocations, logger })
  const authenticator = new Authenticator({
    ports: resources.ports,
    tokens,
    allowRescopeScopedToken: config.token.allow_rescope_scoped_token,
  })
  const serviceToken = new ServiceToken({ serviceActor: () => resources.serviceActor(), authenticator })
  // The same actor on the system, for calls to identity itself (the strict persona model
  // keeps cloud-wide reads such as GET /v3/projects to system-scoped tokens).
  const systemServiceToken = new ServiceToken({
    serviceActor: async () => {
      const actor = await resources.serviceActor()
      return actor && { userId: actor.userId }
    },
    authenticator,
  })
  const rules = [...resources.policies, ...withBaseRules(resources.policies)]
  const model = policyModel({
    strictScope: config.policy?.strict_scope ?? false,
    enforceScope: config.oslo_policy.enforce_scope,
    enforceNewDefaults: config.oslo_policy.enforce_new_defaults,
  })
  if (config.policy?.strict_scope && model !== 'strict') {
    logger.warn(
      '[policy] strict_scope needs [oslo_policy] enforce_scope and enforce_new_defaults on; the admin role stays admin in every scope',
    )
  }
  const enforcer = ctx.enforcer(model === 'strict' ? strictRules(rules) : rules)

  const prune = async () => {
    await keys.prune()
    await revocations.prune()
  }
  try {
    await prune()
  } catch (err) {
    logger.warn({ err }, 'pruning expired signing keys and revocation events failed')
  }
  ctx.tasks.every('prune signing keys and revocation events', PRUNE_INTERVAL_MS, prune)

  return {
    prefix: IDENTITY_PREFIX,
    tokens,
    limits: resources.limits,
    plugin: identityPlugin({
      tokens,
      enforcer,
      deps: {
        ...resources.domain,
        policyModel: model,
        auth: {
          ports: resources.ports,
          tokens,
          authenticator,
          revocations,
          revokeById: config.token.revoke_by_id,
          baseUrl: authUrlResolver(IDENTITY_PREFIX, config.DEFAULT.public_endpoint),
        },
      },
    }),
    bootstrap: (input) => resources.bootstrap(input),
    async rotateSigningKey() {
      const kid = await keys.rotate()
      logger.info({ kid }, 'rotated the token signing key')
    },
    serviceToken: (scope) => (scope === 'system' ? systemServiceToken.get() : serviceToken.get()),
  }
}
