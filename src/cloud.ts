/**
 * The composition root: this program's modules (services/index.ts) handed to the
 * kernel's host, plus what the `cloudlet` command asks of a running cloud (the catalog
 * of what it serves, identity's admin capability for bootstrap and key rotation).
 *
 *   config files ─▶ startHost(MODULE_LIST) ─▶ per module: open DB ─▶ migrate ─▶ create
 *                                            ─▶ one Fastify app ─▶ listen
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { SchemaShape } from './kernel/config/index.js'
import { type Host, hostSchema, type Role, startHost } from './kernel/host/index.js'
import type { IdentityAdmin } from './services/identity/module.js'
import { MODULE_LIST, type ServiceName } from './services/index.js'

export { connectionFor } from './kernel/host/index.js'

export interface CloudOptions {
  /** Everything the process writes lives here. */
  dataDir: string
  configFiles?: readonly string[]
  /** Which services this process serves. @default every service */
  services?: readonly ServiceName[]
  /** Which roles of them. @default every role */
  roles?: readonly Role[]
  host?: string
  /** 0 picks a free port. */
  port?: number
  /**
   * Serve HTTP. Admin commands (bootstrap, db upgrade, token rotate) build the cloud
   * without listening, so they run beside a live one. @default true
   */
  listen?: boolean
  logger?: Logger | false
  env?: Readonly<Record<string, string | undefined>>
  /** Told about every route as it is registered (tests that sweep every route use it). */
  onRoute?: (route: { method: string; url: string }) => void
  /** This process's host name in the service registry; overrides `[DEFAULT] host`. */
  hostName?: string
}

/** A service this process serves, as the catalog names it. */
export interface ServedService {
  name: string
  serviceType: string
  prefix: string
  /** Added to the prefix in the catalog endpoint (compute's '/v2.1'). */
  catalogPath?: string
  /** Further catalog types of the same endpoint (block storage's `volumev3`). */
  extraServiceTypes?: readonly string[]
}

export interface Cloud {
  app: FastifyInstance
  /** Base URL, e.g. http://127.0.0.1:5000 */
  url: string
  /** The services whose APIs this process serves. */
  services: readonly ServedService[]
  /** Identity's admin operations, when this process serves identity. */
  identity?: IdentityAdmin
  config: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  host: Host
  close(): Promise<void>
}

/** The schema of every option any service of this program reads. */
export function fullSchema(): SchemaShape {
  return hostSchema(MODULE_LIST)
}

/** Builds, starts and returns a cloud; `close()` stops it and closes the databases. */
export async function startCloud(options: CloudOptions): Promise<Cloud> {
  const host = await startHost({ ...options, modules: MODULE_LIST })
  const served = host.modules.filter((m) => m.serving)
  return {
    app: host.app,
    url: host.url,
    services: served.map(({ module: m }) => ({
      name: m.name,
      serviceType: m.serviceType,
      prefix: m.prefix,
      ...(m.catalogPath ? { catalogPath: m.catalogPath } : {}),
      ...(m.extraServiceTypes?.length ? { extraServiceTypes: m.extraServiceTypes } : {}),
    })),
    identity: served.some((m) => m.module.provides?.includes('identityAdmin'))
      ? host.capability('identityAdmin')
      : undefined,
    config: host.config,
    host,
    close: () => host.close(),
  }
}
