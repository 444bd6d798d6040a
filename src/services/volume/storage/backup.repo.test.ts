/**
 * Backup rows on every enabled dialect: the migration runs; a create under the project's
 * lock moves the volume to backing-up and counts the parent's dependents; a delete is
 * refused while an incremental depends on its parent; imported rows share data.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { migrateToLatest } from '../../../kernel/db/index.js'
import { enabledDialects, withEachDialect } from '../../../kernel/db/testing.js'
import { BackupRepo, type BackupRow } from './backup.repo.js'
import { volumeMigrations } from './migrations/index.js'
import type { VolumeDatabase } from './schema.js'
import type { VolumeRow } from './volume.repo.js'

const now = () => new Date().toISOString()

function volume(id: string, typeId: string): VolumeRow {
  return {
    id,
    project_id: 'p1',
    user_id: 'u1',
    display_name: null,
    display_description: null,
    size: 1,
    status: 'available',
    previous_status: null,
    attach_status: 'detached',
    availability_zone: 'nova',
    volume_type_id: typeId,
    snapshot_id: null,
    source_volid: null,
    bootable: 0,
    multiattach: 0,
    host: 'h@file#file',
    migration_status: null,
    replication_status: 'disabled',
    use_quota: 1,
    created_at: now(),
    updated_at: null,
    launched_at: null,
    group_id: null,
  }
}

function backup(volumeId: string, parent?: string): BackupRow {
  return {
    id: randomUUID(),
    project_id: 'p1',
    user_id: 'u1',
    volume_id: volumeId,
    snapshot_id: null,
    parent_id: parent ?? null,
    status: 'creating',
    display_name: null,
    display_description: null,
    container: 'backups',
    availability_zone: 'nova',
    size: 1,
    object_count: 0,
    is_incremental: parent ? 1 : 0,
    num_dependent_backups: 0,
    fail_reason: null,
    restore_volume_id: null,
    metadata: '{}',
    service_metadata: null,
    volume_meta: '{}',
    data_timestamp: now(),
    created_at: now(),
    updated_at: null,
  }
}

describe('backup storage', () => {
  for (const dialect of enabledDialects())
    it(`creates, counts and deletes backups (${dialect})`, async () => {
      await withEachDialect<VolumeDatabase>(
        async (db, d) => {
          await migrateToLatest(db as never, 'volume', volumeMigrations)
          const type = await db.selectFrom('volume_types').select('id').executeTakeFirstOrThrow()
          const vol = randomUUID()
          await db.insertInto('volumes').values(volume(vol, type.id)).execute()
          const repo = new BackupRepo(db, d)
          const full = backup(vol)
          assert.equal(await repo.create(full, ['available'], () => {}), true)
          const v = await db.selectFrom('volumes').selectAll().where('id', '=', vol).executeTakeFirstOrThrow()
          assert.equal(v.status, 'backing-up')
          assert.equal(v.previous_status, 'available')
          // the volume is busy: a second backup is refused by state
          assert.equal(await repo.create(backup(vol), ['available'], () => {}), false)
          await db.updateTable('volumes').set({ status: 'available' }).where('id', '=', vol).execute()
          await repo.update(full.id, { status: 'available' }, ['creating'])
          const inc = backup(vol, full.id)
          let counted = -1
          assert.equal(
            await repo.create(inc, ['available'], (usage) => {
              counted = usage.backups
            }),
            true,
          )
          assert.equal(counted, 1)
          assert.equal((await repo.get(full.id))?.num_dependent_backups, 1)
          assert.equal(await repo.startDelete(full.id, ['available', 'error']), 'dependents')
          await repo.update(inc.id, { status: 'available' })
          assert.equal((await repo.latestAvailable(vol, 'p1'))?.id !== undefined, true)
          assert.equal(await repo.latestAvailable(vol, 'another-project'), undefined)
          assert.equal(await repo.startDelete(inc.id, ['available', 'error']), 'ok')
          await repo.remove((await repo.get(inc.id))!)
          assert.equal((await repo.get(full.id))?.num_dependent_backups, 0)
          const imported = { ...backup(vol), status: 'available', service_metadata: full.id }
          assert.equal(await repo.insert(imported), true)
          assert.equal(await repo.insert(imported), false)
          assert.equal(await repo.sharesData(full.id, full.id), true)
          assert.equal(await repo.startDelete(full.id, ['available']), 'ok')
          await repo.remove((await repo.get(full.id))!)
          assert.equal(await repo.sharesData(imported.id, full.id), false)
        },
        [dialect],
      )
    })
})
