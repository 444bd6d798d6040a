/** Volume transfers: a volume offered to another project, accepted with its auth key. */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const transfers: NamedMigration = {
  name: 'volume-0002-transfers',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('volume_transfers')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('volume_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)')
      .addColumn('salt', 'varchar(255)', (c) => c.notNull())
      .addColumn('crypt_hash', 'varchar(255)', (c) => c.notNull())
      .addColumn('source_project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('destination_project_id', 'varchar(255)')
      .addColumn('accepted', 'integer', (c) => c.notNull())
      .addColumn('no_snapshots', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute()
    await db.schema
      .createIndex('volume_transfers_volume_idx')
      .on('volume_transfers')
      .column('volume_id')
      .execute()
  },
}
