/**
 * Block device mappings: the only SQL on `block_device_mapping`. A server's rows are
 * written with its build (in the create's transaction) or one at a time by a volume
 * attach; they go when the server is deleted or the volume detached.
 */
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { BlockDeviceMappingTable, ComputeDatabase } from './schema.js'

export type BdmRow = Selectable<BlockDeviceMappingTable>

export class BdmRepo {
  constructor(readonly db: Kysely<ComputeDatabase>) {}

  async insert(rows: readonly BdmRow[], trx?: Transaction<ComputeDatabase>): Promise<void> {
    if (rows.length === 0) return
    await (trx ?? this.db)
      .insertInto('block_device_mapping')
      .values([...rows])
      .execute()
  }

  /** A server's mappings, boot order first (unordered ones last). */
  async ofInstance(instanceUuid: string): Promise<BdmRow[]> {
    const rows = await this.db
      .selectFrom('block_device_mapping')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .orderBy('created_at')
      .execute()
    return rows.sort((a, b) => (a.boot_index ?? 1e9) - (b.boot_index ?? 1e9))
  }

  /** The volume mappings of many servers (server views' volumes_attached). */
  async volumesOf(instanceUuids: readonly string[]): Promise<BdmRow[]> {
    if (instanceUuids.length === 0) return []
    return this.db
      .selectFrom('block_device_mapping')
      .selectAll()
      .where('instance_uuid', 'in', [...instanceUuids])
      .where('destination_type', '=', 'volume')
      .where('volume_id', 'is not', null)
      .orderBy('created_at')
      .execute()
  }

  async byVolume(instanceUuid: string, volumeId: string): Promise<BdmRow | undefined> {
    return this.db
      .selectFrom('block_device_mapping')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .where('volume_id', '=', volumeId)
      .executeTakeFirst()
  }

  async update(uuid: string, values: Partial<Omit<BdmRow, 'uuid' | 'instance_uuid'>>): Promise<void> {
    await this.db
      .updateTable('block_device_mapping')
      .set({ ...values, updated_at: new Date().toISOString() })
      .where('uuid', '=', uuid)
      .execute()
  }

  async delete(uuid: string): Promise<void> {
    await this.db.deleteFrom('block_device_mapping').where('uuid', '=', uuid).execute()
  }

  async deleteOfInstance(instanceUuid: string): Promise<void> {
    await this.db.deleteFrom('block_device_mapping').where('instance_uuid', '=', instanceUuid).execute()
  }
}
