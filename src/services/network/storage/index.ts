/**
 * The network service's storage: one repository per table, bound to the database or to
 * one transaction. `store.tx(fn)` runs `fn` with a store whose repositories all write in
 * the same transaction (nested calls join it).
 */
import type { Kysely } from 'kysely'
import { type Dialect, isRetryableTransactionError } from '../../../kernel/db/index.js'
import {
  AutoTopologyRepo,
  IpAllocationRepo,
  PortSecurityGroupRepo,
  QuotaRepo,
  SegmentAllocationRepo,
  SubportRepo,
} from './allocation.repo.js'
import { type Doc, ResourceRepo, type StoredViews } from './resource.repo.js'
import type { NetworkDatabase, ResourceTable } from './schema.js'

export type { Cond, Doc, ExistsColumn, OrderKey, PageQuery, ViewRow, Where } from './resource.repo.js'
export { ResourceRepo, StoredViews } from './resource.repo.js'

/** The tables that store their rows' views, each with its layout (migration 0004 made the columns). */
export type ViewLayouts = Partial<Record<ResourceTable, StoredViews>>

const str = (v: unknown) => (v === undefined || v === null ? null : String(v))

export class NetworkStore {
  readonly networks: ResourceRepo
  readonly subnets: ResourceRepo
  readonly ports: ResourceRepo
  readonly segments: ResourceRepo
  readonly securityGroups: ResourceRepo
  readonly securityGroupRules: ResourceRepo
  readonly routers: ResourceRepo
  readonly floatingIps: ResourceRepo
  readonly trunks: ResourceRepo
  readonly rbacPolicies: ResourceRepo
  readonly addressScopes: ResourceRepo
  readonly subnetPools: ResourceRepo
  readonly meteringLabels: ResourceRepo
  readonly meteringRules: ResourceRepo
  readonly qosPolicies: ResourceRepo
  readonly agents: ResourceRepo
  readonly portForwardings: ResourceRepo
  readonly ips: IpAllocationRepo
  readonly segmentIds: SegmentAllocationRepo
  readonly portGroups: PortSecurityGroupRepo
  readonly quotas: QuotaRepo
  readonly subports: SubportRepo
  readonly autoTopologies: AutoTopologyRepo

  constructor(
    readonly db: Kysely<NetworkDatabase>,
    readonly dialect: Dialect,
    readonly views: ViewLayouts = {},
    private readonly inTransaction = false,
  ) {
    const r = (table: ResourceTable, cols?: (d: Doc) => Record<string, unknown>) =>
      new ResourceRepo(db, dialect, table, cols, views[table])
    this.networks = r('neutron_networks', (d) => ({
      shared: d.shared ? 1 : 0,
      external: d['router:external'] ? 1 : 0,
    }))
    this.subnets = r('neutron_subnets', (d) => ({
      network_id: d.network_id,
      ip_version: d.ip_version,
      cidr: d.cidr,
      subnetpool_id: str(d.subnetpool_id),
      segment_id: str(d.segment_id),
    }))
    this.ports = r('neutron_ports', (d) => ({
      network_id: d.network_id,
      device_id: String(d.device_id ?? ''),
      device_owner: String(d.device_owner ?? ''),
      mac_address: d.mac_address,
    }))
    this.segments = r('neutron_segments', (d) => ({
      network_id: d.network_id,
      network_type: d.network_type,
      physical_network: String(d.physical_network ?? ''),
      segmentation_id: d.segmentation_id ?? null,
      segment_index: Number(d.segment_index ?? 0),
    }))
    this.securityGroups = r('neutron_security_groups')
    this.securityGroupRules = r('neutron_security_group_rules', (d) => ({
      security_group_id: d.security_group_id,
      remote_group_id: str(d.remote_group_id),
    }))
    this.routers = r('neutron_routers')
    this.floatingIps = r('neutron_floatingips', (d) => ({
      floating_network_id: d.floating_network_id,
      floating_port_id: d.floating_port_id,
      port_id: str(d.port_id),
      router_id: str(d.router_id),
    }))
    this.trunks = r('neutron_trunks', (d) => ({ port_id: d.port_id }))
    this.rbacPolicies = r('neutron_rbac_policies', (d) => ({
      object_type: d.object_type,
      object_id: d.object_id,
      target_tenant: d.target_tenant,
      action: d.action,
    }))
    this.addressScopes = r('neutron_address_scopes')
    this.subnetPools = r('neutron_subnetpools')
    this.meteringLabels = r('neutron_metering_labels')
    this.meteringRules = r('neutron_metering_label_rules')
    this.qosPolicies = r('neutron_qos_policies')
    this.agents = r('neutron_agents')
    this.portForwardings = r('neutron_port_forwardings', (d) => ({
      floatingip_id: d.floatingip_id,
      internal_port_id: d.internal_port_id,
      protocol: d.protocol,
      external_port: String(d.external_port ?? d.external_port_range),
      internal_socket: `${d.internal_ip_address}:${d.internal_port ?? d.internal_port_range}`,
    }))
    this.ips = new IpAllocationRepo(db, dialect)
    this.segmentIds = new SegmentAllocationRepo(db, dialect)
    this.portGroups = new PortSecurityGroupRepo(db, dialect)
    this.quotas = new QuotaRepo(db)
    this.subports = new SubportRepo(db)
    this.autoTopologies = new AutoTopologyRepo(db, dialect)
  }

  /**
   * Runs `fn` in one transaction (or in the current one). A deadlock or serialization
   * failure (MariaDB's gap locks under concurrent claims) runs the whole of `fn` again:
   * nothing of the failed attempt was written.
   */
  async tx<T>(fn: (s: NetworkStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this)
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db
          .transaction()
          .execute((trx) => fn(new NetworkStore(trx, this.dialect, this.views, true)))
      } catch (e) {
        if (!isRetryableTransactionError(e) || attempt >= 20) throw e
        await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)))
      }
    }
  }
}
