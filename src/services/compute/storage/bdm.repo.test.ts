/**
 * Block device mappings on every enabled dialect: the migration runs, rows go in with a
 * build's transaction, come back boot order first, and the server views' batch read and
 * the deletes work.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { migrateToLatest } from '../../../kernel/db/index.js'
import { enabledDialects, withEachDialect } from '../../../kernel/db/testing.js'
import { BdmRepo, type BdmRow } from './bdm.repo.js'
import { computeMigrations } from './migrations/index.js'
import type { ComputeDatabase } from './schema.js'

function row(instance: string, bootIndex: number | null, volume: string): BdmRow {
  return {
    uuid: randomUUID(),
    instance_uuid: instance,
    source_type: 'volume',
    destination_type: 'volume',
    device_name: bootIndex === 0 ? '/dev/vda' : '/dev/vdb',
    device_type: 'disk',
    disk_bus: null,
    boot_index: bootIndex,
    delete_on_termination: 1,
    image_id: null,
    snapshot_id: null,
    volume_id: volume,
    volume_size: 1,
    volume_type: null,
    guest_format: null,
    tag: null,
    attachment_id: null,
    connection_info: null,
    created_at: new Date().toISOString(),
    updated_at: null,
  }
}

describe('block device mapping storage', () => {
  for (const dialect of enabledDialects())
    it(`stores, orders and deletes mappings (${dialect})`, async () => {
      await withEachDialect<ComputeDatabase>(
        async (db) => {
          await migrateToLatest(db as never, 'compute', computeMigrations)
          const repo = new BdmRepo(db)
          const server = randomUUID()
          const data = row(server, null, randomUUID())
          const root = row(server, 0, randomUUID())
          await db.transaction().execute((trx) => repo.insert([data, root], trx))
          const rows = await repo.ofInstance(server)
          assert.deepEqual(
            rows.map((r) => r.uuid),
            [root.uuid, data.uuid],
          )
          assert.equal((await repo.volumesOf([server, randomUUID()])).length, 2)
          await repo.update(data.uuid, { attachment_id: 'a1', connection_info: '{"x":1}' })
          assert.equal((await repo.byVolume(server, data.volume_id!))?.attachment_id, 'a1')
          await repo.delete(data.uuid)
          assert.equal((await repo.ofInstance(server)).length, 1)
          await repo.deleteOfInstance(server)
          assert.deepEqual(await repo.ofInstance(server), [])
        },
        [dialect],
      )
    })
})
