/**
 * What every compute handler shares: the services it calls (`ComputeDeps`), the caller
 * as the domain sees it, links as upstream builds them, and query parsing.
 */

import type { FastifyRequest } from 'fastify'
import type { ServiceClient } from '../../../kernel/host/index.js'
import type { JsonSchema } from '../../../kernel/validation/index.js'
import type { NetworkPorts } from '../clients/network.js'
import type { VolumeApi } from '../clients/volume.js'
import type { ComputeConfig } from '../config.js'
import type { Aggregates } from '../domain/aggregates.js'
import type { AvailabilityZones } from '../domain/availability-zones.js'
import type { Caller } from '../domain/caller.js'
import type { Flavors } from '../domain/flavors.js'
import type { HostAdmin } from '../domain/host-admin.js'
import type { ComputeHosts } from '../domain/hosts.js'
import type { Keypairs } from '../domain/keypairs.js'
import type { Migrations } from '../domain/migrations.js'
import type { Quotas } from '../domain/quotas.js'
import type { SchedulerExplainer } from '../domain/scheduler-explain.js'
import type { ServerActions } from '../domain/server-actions.js'
import type { ServerGroups } from '../domain/server-groups.js'
import type { ServerNetworks } from '../domain/server-networks.js'
import type { ServerOperations } from '../domain/server-operations.js'
import type { ServerSnapshots } from '../domain/server-snapshots.js'
import type { Servers } from '../domain/servers.js'
import type { ComputeServices } from '../domain/services.js'
import type { TenantUsages } from '../domain/tenant-usage.js'
import type { UsageAudits } from '../domain/usage-audit.js'
import type { VolumeAttachments } from '../domain/volume-attachments.js'
import { ComputeBadRequest } from '../errors.js'
import { validateQuery } from '../schemas/validate.js'
import type { ActionRepo } from '../storage/action.repo.js'

export interface ComputeDeps {
  config: ComputeConfig
  /** The mount point, e.g. `/compute`. */
  prefix: string
  flavors: Flavors
  keypairs: Keypairs
  groups: ServerGroups
  aggregates: Aggregates
  zones: AvailabilityZones
  quotas: Quotas
  servers: Servers
  serverActions: ServerActions
  usages: TenantUsages
  actions: ActionRepo
  services: ComputeServices
  hosts: ComputeHosts
  /** os-hosts: the hosts with their services, a host's resources, enable/disable. */
  hostAdmin: HostAdmin
  /** os-instance-usage-audit-log reports. */
  usageAudits: UsageAudits
  /** UP, DOWN, MAINTENANCE by compute host, refreshed by the views that show it. */
  hostStatus: Map<string, string>
  /** Cloudlet's scheduler explain (the decision for a hypothetical request). */
  explainer: SchedulerExplainer
  /** Resize, migrations, shelve, rescue, evacuate (domain/server-operations.ts). */
  operations: ServerOperations
  /** createImage (domain/server-snapshots.ts). */
  snapshots: ServerSnapshots
  /** Migration records (os-migrations, server migrations). */
  migrations: Migrations
  /** A server's volumes (os-volume_attachments). */
  volumeAttachments: VolumeAttachments
  /** The block storage service, for the deprecated os-volumes / os-snapshots proxies. */
  volumeApi: VolumeApi
  /** The image service, for the deprecated /images proxy. */
  imageClient: ServiceClient
  /** A server's ports, addresses, interfaces, floating IPs and groups. */
  serverNetworks: ServerNetworks
  /** The network service, for the proxy APIs (os-networks, os-floating-ips, ...). */
  networkPorts: NetworkPorts
}

export function callerOf(req: FastifyRequest): Caller {
  const who = req.ctx.who
  return { userId: who.user_id, projectId: who.project_id ?? '', isAdmin: req.ctx.allows('context_is_admin') }
}

/** `http://host[:port]` from `[DEFAULT] public_endpoint` or the request. */
export function hostUrl(req: FastifyRequest, deps: ComputeDeps): string {
  const configured = deps.config.DEFAULT.public_endpoint
  if (configured) return configured.replace(/\/+$/, '')
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`
}

/** The versioned API root for links: `http://host/compute/v2.1`. */
export const apiUrl = (req: FastifyRequest, deps: ComputeDeps) => `${hostUrl(req, deps)}${deps.prefix}/v2.1`

/** An item's self and bookmark links (the bookmark has no version). */
export function itemLinks(req: FastifyRequest, deps: ComputeDeps, collection: string, id: string) {
  const base = `${hostUrl(req, deps)}${deps.prefix}`
  const tail = `${collection}/${encodeURIComponent(id)}`
  return [
    { rel: 'self', href: `${base}/v2.1/${tail}` },
    { rel: 'bookmark', href: `${base}/${tail}` },
  ]
}

/** The `next` link of a full page: the request's own query with the new marker. */
export function nextLink(req: FastifyRequest, deps: ComputeDeps, collection: string, marker: string) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, string | string[]>)) {
    if (k === 'marker') continue
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one)
  }
  params.append('marker', marker)
  return [{ rel: 'next', href: `${apiUrl(req, deps)}/${collection}?${params.toString()}` }]
}

/** Validates the query; returns each parameter's last value (as upstream's `GET.get`). */
export function queryOf(req: FastifyRequest, schema: JsonSchema): Record<string, string | undefined> {
  const multi = validateQuery(schema, req.query)
  return Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]]))
}

/** `limit` and `marker` as the paging helpers take them. */
export function pagingOf(q: Record<string, string | undefined>): { limit?: number; marker?: string } {
  const out: { limit?: number; marker?: string } = {}
  if (q.limit !== undefined) {
    if (!/^\d+$/.test(q.limit)) throw new ComputeBadRequest('limit param must be an integer')
    out.limit = Number(q.limit)
  }
  if (q.marker !== undefined) out.marker = q.marker
  return out
}

/** Route params, typed. */
export const params = (req: FastifyRequest) => req.params as Record<string, string>
// biome-ignore lint/suspicious/noExplicitAny: bodies are validated against their schema before handlers read them
export const bodyOf = (req: FastifyRequest) => req.body as any
