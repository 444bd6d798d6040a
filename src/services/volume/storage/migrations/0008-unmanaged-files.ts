/**
 * Files an admin unmanaged (os-unmanage of a volume or snapshot): the backend keeps
 * them, the database forgets the volume, and start-up's sweep of unowned files leaves
 * these alone. A snapshot's row keeps the volume it was taken of (its source reference).
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const unmanagedFiles: NamedMigration = {
  name: 'volume-0008-unmanaged-files',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('volume_unmanaged_files')
      .addColumn('backend', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('source_volume_id', 'varchar(36)')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addPrimaryKeyConstraint('volume_unmanaged_files_pk', ['backend', 'name'])
      .execute()
  },
}
