/** Encryption types: how volumes of a type are encrypted (provider, cipher, key size, where). */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const typeEncryption: NamedMigration = {
  name: 'volume-0005-type-encryption',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('volume_type_encryption')
      .addColumn('volume_type_id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('encryption_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('provider', 'varchar(255)', (c) => c.notNull())
      .addColumn('cipher', 'varchar(255)')
      .addColumn('key_size', 'integer')
      .addColumn('control_location', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute()
  },
}
