/**
 * The encrypted admin password a guest posts to the metadata service (upstream keeps it
 * in the instance's system metadata as `password_0..3`; os-server-password reads and
 * clears it), and whether the guest's disk is resized to fill its root disk
 * (`OS-DCF:diskConfig` AUTO, upstream's `auto_disk_config`).
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const serverPassword: NamedMigration = {
  name: 'compute-0004-server-password',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema.alterTable('instances').addColumn('password', 'text').execute()
    await db.schema
      .alterTable('instances')
      .addColumn('auto_disk_config', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()
  },
}
