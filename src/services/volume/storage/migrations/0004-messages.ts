/** User messages (3.3): what went wrong with a user's request, kept for a while. */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const messages: NamedMigration = {
  name: 'volume-0004-messages',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('volume_messages')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('request_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource_uuid', 'varchar(36)')
      .addColumn('event_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('message_level', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_message', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('volume_messages_project_idx')
      .on('volume_messages')
      .column('project_id')
      .execute()
  },
}
