/**
 * Indexes in the order lists walk: creation then id (the order without sort keys, and
 * the keyset after a marker), and for ports the same within a network (a network's
 * ports, the list compute and clients make most), so a page reads its rows in order and
 * stops at the limit instead of sorting every candidate.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
type Db = Kysely<any>

export const listIndexes: NamedMigration = {
  name: 'network-0003-list-indexes',
  async up(db: Db) {
    for (const table of ['neutron_networks', 'neutron_ports', 'neutron_subnets'])
      await db.schema.createIndex(`${table}_created_idx`).on(table).columns(['created_at', 'id']).execute()
    await db.schema
      .createIndex('neutron_ports_network_created_idx')
      .on('neutron_ports')
      .columns(['network_id', 'created_at', 'id'])
      .execute()
  },
}
