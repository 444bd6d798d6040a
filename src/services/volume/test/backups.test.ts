/**
 * Backups with the directory driver: random bytes written into a volume survive a full
 * backup, an incremental after the volume changed, and restores (to a new volume and
 * onto an existing one) after the source volume is deleted, each checked by sha256; an
 * incremental stores only the changed chunks; deletes refuse while an incremental
 * depends on a backup; the backups quota holds; bad input is Cinder's 400/404.
 */
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { backupStatus, GiB, MiB, sha256, write } from './backup-support.js'
import { ADMIN, createVolume, MEMBER, OTHER, startVolume, type TestHost, V, waitFor } from './harness.js'

describe('volume backups (directory driver)', { timeout: 240_000 }, () => {
  let t: TestHost
  const volumeFile = (id: string) => join(t.dataDir, 'volume', 'volumes', `volume-${id}`)
  before(async () => {
    t = await startVolume({ DEFAULT: { quota_backups: 4, quota_volumes: 50, quota_gigabytes: 500 } })
  })
  after(async () => {
    await t?.close()
  })

  it('full and incremental backups restore the bytes after the source is gone', async () => {
    const src = await createVolume(t, { name: 'src' })
    await write(volumeFile(src.id), [0, 5 * MiB + 3, 900 * MiB])
    const first = await sha256(volumeFile(src.id), GiB)

    const full = await t.call('POST', `${V}/backups`, {
      as: MEMBER,
      body: { backup: { volume_id: src.id, name: 'full' } },
    })
    assert.equal(full.status, 202, JSON.stringify(full.body))
    assert.deepEqual(Object.keys(full.body.backup).sort(), ['id', 'links', 'name'])
    const fullView = await backupStatus(t, full.body.backup.id, 'available')
    assert.equal(fullView.is_incremental, false)
    assert.equal(fullView.size, 1)
    assert.equal(fullView.container, 'backups')
    assert.ok(fullView.object_count >= 5 && fullView.object_count <= 8, String(fullView.object_count))
    await waitFor(t, 'volumes', src.id, 'available', ADMIN, 120_000)

    // change one region; the incremental stores only the chunks that changed
    await write(volumeFile(src.id), [300 * MiB])
    const second = await sha256(volumeFile(src.id), GiB)
    assert.notEqual(first, second)
    const inc = await t.call('POST', `${V}/backups`, {
      as: MEMBER,
      body: { backup: { volume_id: src.id, incremental: true, name: 'inc' } },
    })
    assert.equal(inc.status, 202, JSON.stringify(inc.body))
    const incView = await backupStatus(t, inc.body.backup.id, 'available')
    assert.equal(incView.is_incremental, true)
    assert.equal(incView.object_count, 2)
    const parent = await backupStatus(t, full.body.backup.id, 'available')
    assert.equal(parent.has_dependent_backups, true)
    // the parent cannot go while the incremental depends on it
    const refused = await t.call('DELETE', `${V}/backups/${full.body.backup.id}`, { as: MEMBER })
    assert.equal(refused.status, 400)
    assert.match(refused.body.badRequest.message, /Incremental backups exist/)

    await t.call('DELETE', `${V}/volumes/${src.id}`, { as: MEMBER })
    await waitFor(t, 'volumes', src.id, 'deleted', ADMIN, 120_000)

    // the incremental restores to a new volume: the second state
    const r1 = await t.call('POST', `${V}/backups/${inc.body.backup.id}/restore`, {
      as: MEMBER,
      body: { restore: { name: 'from-inc' } },
    })
    assert.equal(r1.status, 202, JSON.stringify(r1.body))
    assert.equal(r1.body.restore.backup_id, inc.body.backup.id)
    await waitFor(t, 'volumes', r1.body.restore.volume_id, 'available', ADMIN, 120_000)
    assert.equal(await sha256(volumeFile(r1.body.restore.volume_id), GiB), second)

    // the full backup restores onto an existing (bigger) volume: the first state
    const target = await createVolume(t, { size: 2 })
    await write(volumeFile(target.id), [0])
    const r2 = await t.call('POST', `${V}/backups/${full.body.backup.id}/restore`, {
      as: MEMBER,
      body: { restore: { volume_id: target.id } },
    })
    assert.equal(r2.status, 202, JSON.stringify(r2.body))
    await waitFor(t, 'volumes', target.id, 'available', ADMIN, 120_000)
    assert.equal(await sha256(volumeFile(target.id), GiB), first)

    // deletes: the incremental, then the parent; their folders go
    for (const id of [inc.body.backup.id, full.body.backup.id]) {
      assert.equal((await t.call('DELETE', `${V}/backups/${id}`, { as: MEMBER })).status, 202)
      await backupStatus(t, id, 'deleted')
    }
    assert.deepEqual(await readdir(join(t.dataDir, 'volume', 'backups', 'backups')), [])
  })

  it('restores the volume metadata; exports and imports records sharing the data', async () => {
    const v = await createVolume(t, { metadata: { role: 'db' } })
    await write(volumeFile(v.id), [2 * MiB])
    const sum = await sha256(volumeFile(v.id), GiB)
    const b = await t.call('POST', `${V}/backups`, { as: MEMBER, body: { backup: { volume_id: v.id } } })
    const id = b.body.backup.id
    await backupStatus(t, id, 'available')
    const exported = await t.call('GET', `${V}/backups/${id}/export_record`, { as: ADMIN })
    assert.equal(exported.status, 200, JSON.stringify(exported.body))
    const record = exported.body['backup-record']
    assert.match(record.backup_service, /^cinder\.backup\.drivers\./)
    assert.equal((await t.call('GET', `${V}/backups/${id}/export_record`, { as: MEMBER })).status, 403)
    // the same id cannot be imported twice; under a new id it can
    const dup = await t.call('POST', `${V}/backups/import_record`, {
      as: ADMIN,
      body: { 'backup-record': record },
    })
    assert.equal(dup.status, 400)
    const newId = '5a1c3e9f-2b4d-4e6f-8a0b-1c2d3e4f5a6b'
    const decoded = JSON.parse(Buffer.from(record.backup_url, 'base64').toString())
    const url = Buffer.from(JSON.stringify({ ...decoded, id: newId })).toString('base64')
    const imported = await t.call('POST', `${V}/backups/import_record`, {
      as: ADMIN,
      body: { 'backup-record': { backup_service: record.backup_service, backup_url: url } },
    })
    assert.equal(imported.status, 201, JSON.stringify(imported.body))
    assert.equal(imported.body.backup.id, newId)
    await backupStatus(t, newId, 'available')
    // the original goes; the imported record still restores the bytes and the metadata
    assert.equal((await t.call('DELETE', `${V}/backups/${id}`, { as: MEMBER })).status, 202)
    await backupStatus(t, id, 'deleted')
    const r = await t.call('POST', `${V}/backups/${newId}/restore`, { as: ADMIN, body: { restore: {} } })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const restored = await waitFor(t, 'volumes', r.body.restore.volume_id, 'available', ADMIN, 120_000)
    assert.deepEqual(restored.metadata, { role: 'db' })
    assert.equal(await sha256(volumeFile(r.body.restore.volume_id), GiB), sum)
    assert.equal((await t.call('DELETE', `${V}/backups/${newId}`, { as: ADMIN })).status, 202)
    await backupStatus(t, newId, 'deleted')
  })
  it('refuses what Cinder refuses', async () => {
    const v = await createVolume(t)
    const noParent = await t.call('POST', `${V}/backups`, {
      as: MEMBER,
      body: { backup: { volume_id: v.id, incremental: true } },
    })
    assert.equal(noParent.status, 400)
    assert.match(noParent.body.badRequest.message, /No backups available to do an incremental backup/)
    const missing = await t.call('POST', `${V}/backups`, {
      as: MEMBER,
      body: { backup: { volume_id: '7d5b3c8e-1b2a-4c3d-9e8f-0a1b2c3d4e5f' } },
    })
    assert.equal(missing.status, 404)
    const malformed = await t.call('POST', `${V}/backups`, {
      as: MEMBER,
      body: { backup: { volume_id: 'x' } },
    })
    assert.equal(malformed.status, 400)
    const b = await t.call('POST', `${V}/backups`, { as: MEMBER, body: { backup: { volume_id: v.id } } })
    await backupStatus(t, b.body.backup.id, 'available')
    // another project does not see it; the small volume is too small for a 2 GiB backup? (here: fits)
    assert.equal((await t.call('GET', `${V}/backups/${b.body.backup.id}`, { as: OTHER })).status, 404)
    const list = await t.call('GET', `${V}/backups/detail`, { as: MEMBER })
    assert.ok(list.body.backups.some((x: { id: string }) => x.id === b.body.backup.id))
    const big = await createVolume(t, { size: 2 })
    const bb = await t.call('POST', `${V}/backups`, { as: MEMBER, body: { backup: { volume_id: big.id } } })
    await backupStatus(t, bb.body.backup.id, 'available')
    const tooSmall = await t.call('POST', `${V}/backups/${bb.body.backup.id}/restore`, {
      as: MEMBER,
      body: { restore: { volume_id: v.id } },
    })
    assert.equal(tooSmall.status, 400)
    assert.match(tooSmall.body.badRequest.message, /too small/)
    // the quota of 4 backups: two exist from this test; concurrent creates stop at the limit
    const racing = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const vol = await createVolume(t)
        return t.call('POST', `${V}/backups`, { as: MEMBER, body: { backup: { volume_id: vol.id } } })
      }),
    )
    const codes = racing.map((r) => r.status).sort()
    assert.deepEqual(codes, [202, 202, 413, 413, 413], JSON.stringify(racing.map((r) => r.body)))
    const update = await t.call('PUT', `${V}/backups/${b.body.backup.id}`, {
      as: MEMBER,
      version: '3.43',
      body: { backup: { name: 'renamed', metadata: { k: 'v' } } },
    })
    assert.equal(update.status, 200, JSON.stringify(update.body))
    const shown = await t.call('GET', `${V}/backups/${b.body.backup.id}`, { as: MEMBER, version: '3.43' })
    assert.equal(shown.body.backup.name, 'renamed')
    assert.deepEqual(shown.body.backup.metadata, { k: 'v' })
  })
})
