/**
 * The network service's schema. Portable across SQLite, PostgreSQL and MariaDB: indexed
 * strings have explicit lengths, booleans are integers, documents are text.
 */
import type { CreateTableBuilder, Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ts = 'varchar(40)'
const uuid = 'varchar(36)'

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
type Db = Kysely<any>
// biome-ignore lint/suspicious/noExplicitAny: the builder of any table
type Builder = CreateTableBuilder<any, any>

/** A resource table: the common columns, then the table's own. */
async function resource(db: Db, name: string, extra: (t: Builder) => Builder = (t) => t) {
  let t = db.schema
    .createTable(name)
    .addColumn('id', uuid, (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
  t = extra(t)
  await t.execute()
  await db.schema.createIndex(`${name}_project_idx`).on(name).column('project_id').execute()
}

export const initial: NamedMigration = {
  name: 'network-0001-initial',
  async up(db: Db) {
    await resource(db, 'neutron_networks', (t) =>
      t
        .addColumn('shared', 'integer', (c) => c.notNull())
        .addColumn('external', 'integer', (c) => c.notNull()),
    )
    await resource(db, 'neutron_subnets', (t) =>
      t
        .addColumn('network_id', uuid, (c) => c.notNull())
        .addColumn('ip_version', 'integer', (c) => c.notNull())
        .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
        .addColumn('subnetpool_id', uuid)
        .addColumn('segment_id', uuid),
    )
    await db.schema
      .createIndex('neutron_subnets_network_idx')
      .on('neutron_subnets')
      .column('network_id')
      .execute()
    await resource(db, 'neutron_ports', (t) =>
      t
        .addColumn('network_id', uuid, (c) => c.notNull())
        .addColumn('device_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('device_owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('neutron_ports_mac_uq', ['network_id', 'mac_address']),
    )
    await db.schema.createIndex('neutron_ports_device_idx').on('neutron_ports').column('device_id').execute()
    await resource(db, 'neutron_segments', (t) =>
      t
        .addColumn('network_id', uuid, (c) => c.notNull())
        .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
        .addColumn('segmentation_id', 'integer')
        .addColumn('segment_index', 'integer', (c) => c.notNull()),
    )
    await db.schema
      .createIndex('neutron_segments_network_idx')
      .on('neutron_segments')
      .column('network_id')
      .execute()
    await resource(db, 'neutron_security_groups')
    await resource(db, 'neutron_security_group_rules', (t) =>
      t.addColumn('security_group_id', uuid, (c) => c.notNull()).addColumn('remote_group_id', uuid),
    )
    await db.schema
      .createIndex('neutron_sg_rules_group_idx')
      .on('neutron_security_group_rules')
      .column('security_group_id')
      .execute()
    await resource(db, 'neutron_routers')
    await resource(db, 'neutron_floatingips', (t) =>
      t
        .addColumn('floating_network_id', uuid, (c) => c.notNull())
        .addColumn('floating_port_id', uuid, (c) => c.notNull())
        .addColumn('port_id', uuid)
        .addColumn('router_id', uuid),
    )
    await resource(db, 'neutron_trunks', (t) => t.addColumn('port_id', uuid, (c) => c.notNull().unique()))
    await resource(db, 'neutron_rbac_policies', (t) =>
      t
        .addColumn('object_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('object_id', uuid, (c) => c.notNull())
        .addColumn('target_tenant', 'varchar(255)', (c) => c.notNull())
        .addColumn('action', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('neutron_rbac_uq', ['object_type', 'object_id', 'target_tenant', 'action']),
    )
    for (const name of [
      'neutron_address_scopes',
      'neutron_subnetpools',
      'neutron_metering_labels',
      'neutron_metering_label_rules',
      'neutron_qos_policies',
      'neutron_agents',
    ])
      await resource(db, name)

    await db.schema
      .createTable('neutron_ip_allocations')
      .addColumn('subnet_id', uuid, (c) => c.notNull())
      .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
      .addColumn('port_id', uuid, (c) => c.notNull())
      .addColumn('network_id', uuid, (c) => c.notNull())
      .addPrimaryKeyConstraint('neutron_ip_allocations_pk', ['subnet_id', 'ip_address'])
      .execute()
    await db.schema
      .createIndex('neutron_ip_allocations_port_idx')
      .on('neutron_ip_allocations')
      .column('port_id')
      .execute()
    await db.schema
      .createTable('neutron_segment_allocations')
      .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
      .addColumn('segmentation_id', 'integer', (c) => c.notNull())
      .addColumn('network_id', uuid, (c) => c.notNull())
      .addPrimaryKeyConstraint('neutron_segment_allocations_pk', [
        'network_type',
        'physical_network',
        'segmentation_id',
      ])
      .execute()
    await db.schema
      .createTable('neutron_port_security_groups')
      .addColumn('port_id', uuid, (c) => c.notNull())
      .addColumn('security_group_id', uuid, (c) => c.notNull())
      .addPrimaryKeyConstraint('neutron_port_sg_pk', ['port_id', 'security_group_id'])
      .execute()
    await db.schema
      .createIndex('neutron_port_sg_group_idx')
      .on('neutron_port_security_groups')
      .column('security_group_id')
      .execute()
    await db.schema
      .createTable('neutron_default_security_groups')
      .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('security_group_id', uuid, (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('neutron_quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(64)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('neutron_quotas_pk', ['project_id', 'resource'])
      .execute()
    await db.schema
      .createTable('neutron_subports')
      .addColumn('port_id', uuid, (c) => c.primaryKey())
      .addColumn('trunk_id', uuid, (c) => c.notNull())
      .addColumn('segmentation_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('segmentation_id', 'integer', (c) => c.notNull())
      .addUniqueConstraint('neutron_subports_seg_uq', ['trunk_id', 'segmentation_type', 'segmentation_id'])
      .execute()
  },
}
