/**
 * Files an admin unmanaged, and the two moves between them and the volume and snapshot
 * tables: forgetting a row while recording its file (one transaction, so a file is
 * always either owned or recorded), and the record's removal once managed again.
 */
import type { Kysely, Selectable } from 'kysely'
import type { UnmanagedFilesTable, VolumeDatabase } from './schema.js'

export type UnmanagedRow = Selectable<UnmanagedFilesTable>

export class UnmanagedRepo {
  constructor(private readonly db: Kysely<VolumeDatabase>) {}

  async list(backend?: string): Promise<UnmanagedRow[]> {
    let q = this.db.selectFrom('volume_unmanaged_files').selectAll()
    if (backend !== undefined) q = q.where('backend', '=', backend)
    return q.orderBy('name').execute()
  }

  async get(backend: string, name: string): Promise<UnmanagedRow | undefined> {
    return this.db
      .selectFrom('volume_unmanaged_files')
      .selectAll()
      .where('backend', '=', backend)
      .where('name', '=', name)
      .executeTakeFirst()
  }

  async forget(backend: string, name: string): Promise<void> {
    await this.db
      .deleteFrom('volume_unmanaged_files')
      .where('backend', '=', backend)
      .where('name', '=', name)
      .execute()
  }

  /** The volume's rows go; its file (if it has one) is recorded as unmanaged. */
  async unmanageVolume(id: string, file: { backend: string; name: string } | undefined): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (file)
        await trx
          .insertInto('volume_unmanaged_files')
          .values({ ...file, kind: 'volume', source_volume_id: null, created_at: new Date().toISOString() })
          .execute()
      for (const t of [
        'volume_metadata',
        'volume_admin_metadata',
        'volume_glance_metadata',
        'volume_attachment',
      ] as const)
        await trx.deleteFrom(t).where('volume_id', '=', id).execute()
      await trx.deleteFrom('volumes').where('id', '=', id).execute()
    })
  }

  /** The snapshot's rows go; its file is recorded as unmanaged, with the volume it was taken of. */
  async unmanageSnapshot(
    id: string,
    volumeId: string,
    file: { backend: string; name: string } | undefined,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (file)
        await trx
          .insertInto('volume_unmanaged_files')
          .values({
            ...file,
            kind: 'snapshot',
            source_volume_id: volumeId,
            created_at: new Date().toISOString(),
          })
          .execute()
      await trx.deleteFrom('snapshot_metadata').where('snapshot_id', '=', id).execute()
      await trx.deleteFrom('snapshots').where('id', '=', id).execute()
    })
  }
}
