/**
 * The initial image schema, portable across SQLite, PostgreSQL and MariaDB: indexed
 * strings have explicit lengths, booleans are integers, timestamps are strings.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ts = 'varchar(40)'

export const initial: NamedMigration = {
  name: 'image-0001-initial',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('images')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)')
      .addColumn('status', 'varchar(30)', (c) => c.notNull())
      .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
      .addColumn('protected', 'integer', (c) => c.notNull())
      .addColumn('os_hidden', 'integer', (c) => c.notNull())
      .addColumn('owner', 'varchar(255)')
      .addColumn('size', 'bigint')
      .addColumn('virtual_size', 'bigint')
      .addColumn('checksum', 'varchar(32)')
      .addColumn('os_hash_algo', 'varchar(64)')
      .addColumn('os_hash_value', 'varchar(128)')
      .addColumn('container_format', 'varchar(32)')
      .addColumn('disk_format', 'varchar(32)')
      .addColumn('min_disk', 'integer', (c) => c.notNull())
      .addColumn('min_ram', 'integer', (c) => c.notNull())
      .addColumn('location', 'varchar(1024)')
      .addColumn('upload_token', 'varchar(64)')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('deleted', 'integer', (c) => c.notNull())
      .addColumn('deleted_at', ts)
      .execute()
    await db.schema.createIndex('images_owner_idx').on('images').columns(['owner', 'deleted']).execute()
    await db.schema.createIndex('images_status_idx').on('images').columns(['status']).execute()
    await db.schema.createIndex('images_created_idx').on('images').columns(['created_at', 'id']).execute()

    await db.schema
      .createTable('image_properties')
      .addColumn('image_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name'])
      .execute()

    await db.schema
      .createTable('image_tags')
      .addColumn('image_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'value'])
      .execute()
    await db.schema.createIndex('image_tags_value_idx').on('image_tags').columns(['value']).execute()

    await db.schema
      .createTable('image_members')
      .addColumn('image_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('member', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member'])
      .execute()
    await db.schema
      .createIndex('image_members_member_idx')
      .on('image_members')
      .columns(['member', 'status'])
      .execute()

    await db.schema
      .createTable('image_tasks')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('image_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('type', 'varchar(30)', (c) => c.notNull())
      .addColumn('status', 'varchar(30)', (c) => c.notNull())
      .addColumn('owner', 'varchar(255)')
      .addColumn('user_id', 'varchar(255)')
      .addColumn('request_id', 'varchar(64)')
      .addColumn('input', 'text', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('expires_at', ts)
      .execute()
    await db.schema.createIndex('image_tasks_image_idx').on('image_tasks').columns(['image_id']).execute()

    await db.schema
      .createTable('image_quota_usage')
      .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('images', 'integer', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .execute()
  },
}
