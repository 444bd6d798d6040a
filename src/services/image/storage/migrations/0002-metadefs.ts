/**
 * Metadata definitions (metadefs): namespaces, their resource-type associations,
 * objects, properties and tags; the seeded resource types. Portable as 0001: indexed
 * strings have lengths, booleans are integers, timestamps are ISO strings. Children
 * reference their namespace by id, so renaming a namespace touches one row.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ts = 'varchar(40)'

/** The resource types Glance's seed data defines (OS::Nova::Instance became Server). */
export const SEEDED_RESOURCE_TYPES = [
  'OS::Glance::Image',
  'OS::Cinder::Volume',
  'OS::Nova::Flavor',
  'OS::Nova::Aggregate',
  'OS::Nova::Server',
] as const

export const metadefs: NamedMigration = {
  name: 'image-0002-metadefs',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('metadef_namespaces')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('namespace', 'varchar(80)', (c) => c.notNull().unique())
      .addColumn('display_name', 'varchar(80)')
      .addColumn('description', 'text')
      .addColumn('visibility', 'varchar(32)', (c) => c.notNull())
      .addColumn('protected', 'integer', (c) => c.notNull())
      .addColumn('owner', 'varchar(255)')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('metadef_namespaces_owner_idx')
      .on('metadef_namespaces')
      .columns(['owner'])
      .execute()

    await db.schema
      .createTable('metadef_resource_types')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(80)', (c) => c.notNull().unique())
      .addColumn('protected', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('metadef_namespace_resource_types')
      .addColumn('namespace_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('resource_type_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('properties_target', 'varchar(80)')
      .addColumn('prefix', 'varchar(80)')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('metadef_ns_rt_pk', ['namespace_id', 'resource_type_id'])
      .execute()

    for (const table of ['metadef_objects', 'metadef_properties', 'metadef_tags'] as const) {
      let t = db.schema
        .createTable(table)
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('namespace_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('name', 'varchar(80)', (c) => c.notNull())
      if (table === 'metadef_objects') {
        t = t
          .addColumn('description', 'text')
          .addColumn('required', 'text')
          .addColumn('json_schema', 'text', (c) => c.notNull())
      }
      if (table === 'metadef_properties') t = t.addColumn('json_schema', 'text', (c) => c.notNull())
      await t
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addUniqueConstraint(`${table}_ns_name_uq`, ['namespace_id', 'name'])
        .execute()
    }

    const at = new Date().toISOString()
    await db
      .insertInto('metadef_resource_types')
      .values(
        SEEDED_RESOURCE_TYPES.map((name, i) => ({
          id: `00000000-0000-4000-8000-00000000000${i + 1}`,
          name,
          protected: 1,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute()
  },
}
