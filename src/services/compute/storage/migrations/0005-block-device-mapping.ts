/**
 * Block device mappings (upstream's `block_device_mapping`): what disks a server has
 * beyond its image, one row per device: where the data comes from (`source_type`:
 * image, volume, snapshot, blank), where it lives (`destination_type`: local, volume),
 * the boot order, and for volumes the volume, its Cinder attachment and the connection
 * the host was given. Rows go with their server.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const blockDeviceMapping: NamedMigration = {
  name: 'compute-0005-block-device-mapping',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('block_device_mapping')
      .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('source_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('destination_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('device_name', 'varchar(255)')
      .addColumn('device_type', 'varchar(255)')
      .addColumn('disk_bus', 'varchar(255)')
      .addColumn('boot_index', 'integer')
      .addColumn('delete_on_termination', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('image_id', 'varchar(36)')
      .addColumn('snapshot_id', 'varchar(36)')
      .addColumn('volume_id', 'varchar(36)')
      .addColumn('volume_size', 'integer')
      .addColumn('volume_type', 'varchar(255)')
      .addColumn('guest_format', 'varchar(255)')
      .addColumn('tag', 'varchar(255)')
      .addColumn('attachment_id', 'varchar(36)')
      .addColumn('connection_info', 'text')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute()
    await db.schema
      .createIndex('block_device_mapping_instance_idx')
      .on('block_device_mapping')
      .column('instance_uuid')
      .execute()
    await db.schema
      .createIndex('block_device_mapping_volume_idx')
      .on('block_device_mapping')
      .column('volume_id')
      .execute()
  },
}
