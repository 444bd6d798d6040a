/**
 * Placement outside the host, for its dev server (the gabbi runs): a `ModuleContext`
 * over a database the caller opened, with noauth2 and the policy settings the caller
 * gives, and every option at its default otherwise. Tests use the kernel's test kit.
 *
 * NOTE: the host mounts a module at its prefix and owns `/`; upstream's gabbi files
 * address the API at the root.
 */
import type { Kysely } from 'kysely'
import pino from 'pino'
import { noauth2 } from '../../kernel/auth/index.js'
import { mergeSchemas } from '../../kernel/config/index.js'
import type { Dialect } from '../../kernel/db/index.js'
import { hostConfig, type ModuleContext, TaskGroup } from '../../kernel/host/index.js'
import { Enforcer } from '../../kernel/policy/index.js'
import type { PlacementConfig } from './config.js'
import { placementConfig } from './config.js'
import { createPlacement, type PlacementInstance } from './module.js'
import type { PlacementDatabase } from './storage/schema.js'

/** Every option of placement and the host at its default, with noauth2 and no policy file. */
export function defaultConfig(): Record<string, Record<string, unknown>> {
  const cfg = Object.fromEntries(
    Object.entries(mergeSchemas(hostConfig, placementConfig)).map(([sec, opts]) => [
      sec,
      Object.fromEntries(Object.entries(opts).map(([k, o]) => [k, (o as { default: unknown }).default])),
    ]),
  ) as Record<string, Record<string, unknown>>
  cfg.api!.auth_strategy = 'noauth2'
  // No policy file unless the caller names one (the default names one beside a config file).
  cfg.oslo_policy!.policy_file = undefined
  return cfg
}

export interface StandaloneOptions {
  db: Kysely<PlacementDatabase>
  dialect: Dialect
  /** Defaults to `defaultConfig()` without a policy file. */
  config?: Record<string, Record<string, unknown>>
  dataDir?: string
}

/** A started placement and the task group its background work runs on. */
export interface Standalone {
  service: PlacementInstance
  /** Stops the service, then waits for its background work. */
  close(): Promise<void>
}

export async function startStandalone(options: StandaloneOptions): Promise<Standalone> {
  const config = (options.config ?? defaultConfig()) as unknown as PlacementConfig
  const logger = pino({ level: 'silent' })
  const tasks = new TaskGroup('placement', logger)
  const policy = config.oslo_policy
  const ctx: ModuleContext<PlacementConfig, PlacementDatabase> = {
    config,
    logger,
    db: options.db,
    dialect: options.dialect,
    dataDir: options.dataDir ?? '/tmp',
    hostName: 'placement-standalone',
    roles: new Set(['api']),
    need: (name) => {
      throw new Error(`a standalone placement has no ${name}`)
    },
    tasks,
    client: (type) => {
      throw new Error(`a standalone placement calls no ${type}`)
    },
    enforcer: (defaults, opts) =>
      new Enforcer(defaults, {
        enforceScope: policy.enforce_scope,
        enforceNewDefaults: policy.enforce_new_defaults,
        ...(policy.policy_file ? { policyFile: policy.policy_file } : {}),
        ...(opts?.forbiddenMessage ? { forbiddenMessage: opts.forbiddenMessage } : {}),
      }),
    auth: {
      cors: config.cors,
      ...(config.api.auth_strategy === 'noauth2' ? { authenticate: noauth2 } : {}),
    },
  }
  const service = await createPlacement(ctx)
  return {
    service,
    close: async () => {
      await service.close?.()
      await tasks.close()
    },
  }
}
