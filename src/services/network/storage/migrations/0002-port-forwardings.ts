/**
 * Floating IP port forwardings: one row each, unique per floating IP, protocol and
 * external port, and per internal port, address and port, so two concurrent creates can
 * never both map one socket. Auto-allocated topologies: one claim row per project, so two
 * concurrent "get me a network" calls build one topology.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
type Db = Kysely<any>

export const portForwardings: NamedMigration = {
  name: 'network-0002-port-forwardings',
  async up(db: Db) {
    await db.schema
      .createTable('neutron_port_forwardings')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('revision_number', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('floatingip_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('internal_port_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('protocol', 'varchar(16)', (c) => c.notNull())
      .addColumn('external_port', 'varchar(16)', (c) => c.notNull())
      .addColumn('internal_socket', 'varchar(80)', (c) => c.notNull())
      .addUniqueConstraint('neutron_pf_external_uq', ['floatingip_id', 'protocol', 'external_port'])
      .addUniqueConstraint('neutron_pf_internal_uq', ['internal_port_id', 'internal_socket', 'protocol'])
      .execute()
    await db.schema
      .createTable('neutron_auto_allocated_topologies')
      .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('router_id', 'varchar(36)', (c) => c.notNull())
      .execute()
  },
}
