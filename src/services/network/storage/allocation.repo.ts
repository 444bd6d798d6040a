/**
 * The rows that hand things out under a unique key: IP addresses (subnet, address),
 * segmentation ids (type, physical network, id), the default security group of a
 * project. A claim is an insert that does nothing on conflict; whoever's insert lands
 * owns the thing, so concurrent writers (threads, processes, API hosts) never share one.
 * Also the port's security groups, quotas and trunk subports: link rows without a document.
 */
import type { InsertQueryBuilder, InsertResult, Kysely } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import type {
  AutoTopologyRow,
  IpAllocationRow,
  NetworkDatabase,
  SegmentAllocationRow,
  SubportRow,
} from './schema.js'

/** INSERT that does nothing when the key exists; true when the row was inserted. */
async function claim<DB, T extends keyof DB & string>(
  dialect: Dialect,
  q: InsertQueryBuilder<DB, T, InsertResult>,
): Promise<boolean> {
  const res =
    dialect === 'mysql'
      ? await q.ignore().executeTakeFirst()
      : await q.onConflict((oc) => oc.doNothing()).executeTakeFirst()
  return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1
}

export class IpAllocationRepo {
  constructor(
    private readonly db: Kysely<NetworkDatabase>,
    private readonly dialect: Dialect,
  ) {}

  async addressesOf(subnetId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('neutron_ip_allocations')
      .select('ip_address')
      .where('subnet_id', '=', subnetId)
      .execute()
    return new Set(rows.map((r) => r.ip_address))
  }

  async countOn(subnetIds: readonly string[]): Promise<Map<string, number>> {
    if (!subnetIds.length) return new Map()
    const rows = await this.db
      .selectFrom('neutron_ip_allocations')
      .select(['subnet_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('subnet_id', 'in', subnetIds)
      .groupBy('subnet_id')
      .execute()
    return new Map(rows.map((r) => [r.subnet_id, Number(r.n)]))
  }

  /** Claims one address; false when someone holds it. */
  tryClaim(row: IpAllocationRow): Promise<boolean> {
    return claim(this.dialect, this.db.insertInto('neutron_ip_allocations').values(row))
  }

  async ofPorts(portIds: readonly string[]): Promise<IpAllocationRow[]> {
    if (!portIds.length) return []
    return this.db.selectFrom('neutron_ip_allocations').selectAll().where('port_id', 'in', portIds).execute()
  }

  async onSubnet(subnetId: string): Promise<IpAllocationRow[]> {
    return this.db
      .selectFrom('neutron_ip_allocations')
      .selectAll()
      .where('subnet_id', '=', subnetId)
      .execute()
  }

  async release(portId: string, keep: readonly { subnet_id: string; ip_address: string }[] = []) {
    const rows = await this.ofPorts([portId])
    for (const r of rows) {
      if (keep.some((k) => k.subnet_id === r.subnet_id && k.ip_address === r.ip_address)) continue
      await this.db
        .deleteFrom('neutron_ip_allocations')
        .where('subnet_id', '=', r.subnet_id)
        .where('ip_address', '=', r.ip_address)
        .where('port_id', '=', portId)
        .execute()
    }
  }
}

export class SegmentAllocationRepo {
  constructor(
    private readonly db: Kysely<NetworkDatabase>,
    private readonly dialect: Dialect,
  ) {}

  async idsOf(type: string, physnet: string): Promise<Set<number>> {
    const rows = await this.db
      .selectFrom('neutron_segment_allocations')
      .select('segmentation_id')
      .where('network_type', '=', type)
      .where('physical_network', '=', physnet)
      .execute()
    return new Set(rows.map((r) => Number(r.segmentation_id)))
  }

  tryClaim(row: SegmentAllocationRow): Promise<boolean> {
    return claim(this.dialect, this.db.insertInto('neutron_segment_allocations').values(row))
  }

  async release(type: string, physnet: string, id: number): Promise<void> {
    await this.db
      .deleteFrom('neutron_segment_allocations')
      .where('network_type', '=', type)
      .where('physical_network', '=', physnet)
      .where('segmentation_id', '=', id)
      .execute()
  }

  async releaseNetwork(networkId: string): Promise<void> {
    await this.db.deleteFrom('neutron_segment_allocations').where('network_id', '=', networkId).execute()
  }
}

export class PortSecurityGroupRepo {
  constructor(
    private readonly db: Kysely<NetworkDatabase>,
    private readonly dialect: Dialect,
  ) {}

  async set(portId: string, groupIds: readonly string[]): Promise<void> {
    await this.db.deleteFrom('neutron_port_security_groups').where('port_id', '=', portId).execute()
    for (const g of new Set(groupIds))
      await this.db
        .insertInto('neutron_port_security_groups')
        .values({ port_id: portId, security_group_id: g })
        .execute()
  }

  async portsUsing(groupId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('neutron_port_security_groups')
      .select('port_id')
      .where('security_group_id', '=', groupId)
      .execute()
    return rows.map((r) => r.port_id)
  }

  /** The default group of a project, if one was made. */
  async defaultOf(projectId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('neutron_default_security_groups')
      .select('security_group_id')
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return row?.security_group_id
  }

  claimDefault(projectId: string, groupId: string): Promise<boolean> {
    return claim(
      this.dialect,
      this.db
        .insertInto('neutron_default_security_groups')
        .values({ project_id: projectId, security_group_id: groupId }),
    )
  }

  async dropDefault(projectId: string): Promise<void> {
    await this.db.deleteFrom('neutron_default_security_groups').where('project_id', '=', projectId).execute()
  }

  /** Which of these groups are their projects' default groups. */
  async defaultsAmong(groupIds: readonly string[]): Promise<Set<string>> {
    if (!groupIds.length) return new Set()
    const rows = await this.db
      .selectFrom('neutron_default_security_groups')
      .select('security_group_id')
      .where('security_group_id', 'in', [...new Set(groupIds)])
      .execute()
    return new Set(rows.map((r) => r.security_group_id))
  }

  async isDefault(groupId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('neutron_default_security_groups')
      .select('project_id')
      .where('security_group_id', '=', groupId)
      .executeTakeFirst()
    return row !== undefined
  }
}

export class QuotaRepo {
  constructor(private readonly db: Kysely<NetworkDatabase>) {}

  async of(projectId: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('neutron_quotas')
      .selectAll()
      .where('project_id', '=', projectId)
      .execute()
    return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]))
  }

  async set(projectId: string, resource: string, limit: number): Promise<void> {
    const res = await this.db
      .updateTable('neutron_quotas')
      .set({ hard_limit: limit })
      .where('project_id', '=', projectId)
      .where('resource', '=', resource)
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) === 0)
      await this.db
        .insertInto('neutron_quotas')
        .values({ project_id: projectId, resource, hard_limit: limit })
        .execute()
  }

  async clear(projectId: string): Promise<number> {
    const res = await this.db
      .deleteFrom('neutron_quotas')
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return Number(res.numDeletedRows)
  }

  async projects(): Promise<string[]> {
    const rows = await this.db.selectFrom('neutron_quotas').select('project_id').distinct().execute()
    return rows.map((r) => r.project_id)
  }
}

export class SubportRepo {
  constructor(private readonly db: Kysely<NetworkDatabase>) {}

  async add(row: SubportRow): Promise<void> {
    await this.db.insertInto('neutron_subports').values(row).execute()
  }

  async remove(portId: string): Promise<void> {
    await this.db.deleteFrom('neutron_subports').where('port_id', '=', portId).execute()
  }

  async ofTrunk(trunkId: string): Promise<SubportRow[]> {
    return this.db.selectFrom('neutron_subports').selectAll().where('trunk_id', '=', trunkId).execute()
  }

  async ofPort(portId: string): Promise<SubportRow | undefined> {
    return this.db.selectFrom('neutron_subports').selectAll().where('port_id', '=', portId).executeTakeFirst()
  }
}

/** Auto-allocated topologies: whoever's claim row lands builds the project's topology. */
export class AutoTopologyRepo {
  constructor(
    private readonly db: Kysely<NetworkDatabase>,
    private readonly dialect: Dialect,
  ) {}

  claim(projectId: string): Promise<boolean> {
    return claim(
      this.dialect,
      this.db
        .insertInto('neutron_auto_allocated_topologies')
        .values({ project_id: projectId, network_id: '', router_id: '' }),
    )
  }

  async of(projectId: string): Promise<AutoTopologyRow | undefined> {
    return this.db
      .selectFrom('neutron_auto_allocated_topologies')
      .selectAll()
      .where('project_id', '=', projectId)
      .executeTakeFirst()
  }

  async built(projectId: string, networkId: string, routerId: string): Promise<void> {
    await this.db
      .updateTable('neutron_auto_allocated_topologies')
      .set({ network_id: networkId, router_id: routerId })
      .where('project_id', '=', projectId)
      .execute()
  }

  async drop(projectId: string): Promise<void> {
    await this.db
      .deleteFrom('neutron_auto_allocated_topologies')
      .where('project_id', '=', projectId)
      .execute()
  }
}
