/**
 * Identity (Keystone v3) as the host sees it: config sections of both halves, their
 * migrations (resources 0100-0499, auth 0500+), what it provides to other modules
 * (token validation, the `cloudlet` command's admin operations, the service token,
 * the unified limits other services' quotas read), and `create`, which builds it from
 * the host's ModuleContext (service.ts).
 *
 * NOTE: identity authenticates with its own tokens whatever `[api] auth_strategy` says
 * (ctx.auth is for the services that validate identity's tokens), and it does not
 * answer CORS (it never did).
 */
import { type ConfigOf, mergeSchemas } from '../../kernel/config/index.js'
import type { HostConfig, ServiceModule } from '../../kernel/host/index.js'
import { identityAuthConfig } from './domain/auth-config.js'
import {
  type BootstrapInput,
  type BootstrapResult,
  createIdentityResources,
  type IdentityDB,
  identityResourcesConfig,
  type UnifiedLimitsReader,
} from './resources.js'
import { createIdentityService, IDENTITY_PREFIX } from './service.js'
import { resourceMigrations } from './storage/migrations/0100-resources.js'
import { authMigrations } from './storage/migrations/auth-0500-tokens.js'
import type { TokenDB } from './storage/token-schema.js'

export const identityConfigSchema = mergeSchemas(identityResourcesConfig, identityAuthConfig)

/** Identity's own sections plus the host's. */
export type IdentityConfig = ConfigOf<typeof identityConfigSchema> & HostConfig

/** What the `cloudlet` command asks of identity: first-start set-up and key rotation. */
export interface IdentityAdmin {
  bootstrap(input: BootstrapInput): Promise<BootstrapResult>
  /** A new signing key for this host; tokens signed by the old one stay valid until they expire. */
  rotateSigningKey(): Promise<void>
}

declare module '../../kernel/host/module.js' {
  interface Capabilities {
    identityAdmin: IdentityAdmin
    /**
     * Unified limits for services in this process (image quotas read them).
     * NOTE: in-process only; a process without identity reads none until service
     * clients carry the same one-method port between processes.
     */
    unifiedLimits: UnifiedLimitsReader
  }
}

export const identityModule: ServiceModule<IdentityConfig, IdentityDB & TokenDB> = {
  name: 'identity',
  serviceType: 'identity',
  prefix: IDENTITY_PREFIX,
  configSchema: identityConfigSchema,
  migrations: [...resourceMigrations, ...authMigrations],
  roles: ['api'],
  provides: ['tokens', 'identityAdmin', 'serviceToken', 'unifiedLimits'],
  create: async (ctx) => {
    const identity = await createIdentityService<IdentityDB, IdentityConfig, BootstrapInput>(
      ctx,
      createIdentityResources,
    )
    return {
      plugin: identity.plugin,
      provides: {
        tokens: identity.tokens,
        identityAdmin: { bootstrap: identity.bootstrap, rotateSigningKey: identity.rotateSigningKey },
        serviceToken: identity.serviceToken,
        unifiedLimits: identity.limits,
      },
    }
  },
}
