/**
 * Volumes created from a backup (`backup_id`, 3.47): random bytes written into a volume
 * are backed up (full, then incremental after a change), the source deleted, and new
 * volumes made from each backup hold exactly the state it saved (sha256 over the
 * volume; a bigger volume holds it then zeros), with the source's metadata; the backup
 * is available again afterwards. Refused in Cinder's format without creating anything:
 * an unknown or another project's backup (404), a backup that is not available, a
 * second source (400). Before 3.47 backup_id is ignored, as upstream.
 */
import assert from 'node:assert/strict'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { backupStatus, GiB, MiB, sha256, write } from './backup-support.js'
import { ADMIN, createVolume, MEMBER, OTHER, startVolume, type TestHost, V, waitFor } from './harness.js'

describe('volumes from a backup (3.47)', { timeout: 240_000 }, () => {
  let t: TestHost
  const volumeFile = (id: string) => join(t.dataDir, 'volume', 'volumes', `volume-${id}`)
  const volumeCount = async () =>
    (await t.call('GET', `${V}/volumes?all_tenants=1`, { as: ADMIN })).body.volumes.length as number
  before(async () => {
    t = await startVolume()
  })
  after(async () => {
    await t?.close()
  })

  it('restores the bytes of a full and an incremental backup into new volumes', async () => {
    const src = await createVolume(t, { name: 'src', metadata: { purpose: 'db' } })
    await write(volumeFile(src.id), [0, 5 * MiB + 3, 700 * MiB + 1])
    const first = await sha256(volumeFile(src.id), GiB)
    const full = await t.call('POST', `${V}/backups`, { as: MEMBER, body: { backup: { volume_id: src.id } } })
    assert.equal(full.status, 202, JSON.stringify(full.body))
    await backupStatus(t, full.body.backup.id, 'available')
    await waitFor(t, 'volumes', src.id, 'available', ADMIN, 120_000)
    await write(volumeFile(src.id), [300 * MiB])
    const second = await sha256(volumeFile(src.id), GiB)
    const inc = await t.call('POST', `${V}/backups`, {
      as: MEMBER,
      body: { backup: { volume_id: src.id, incremental: true } },
    })
    assert.equal(inc.status, 202, JSON.stringify(inc.body))
    await backupStatus(t, inc.body.backup.id, 'available')
    await waitFor(t, 'volumes', src.id, 'available', ADMIN, 120_000)
    assert.equal((await t.call('DELETE', `${V}/volumes/${src.id}`, { as: MEMBER })).status, 202)
    await waitFor(t, 'volumes', src.id, 'deleted')

    // the full backup: size from the backup, the first state, the source's metadata
    const a = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      version: '3.47',
      body: { volume: { backup_id: full.body.backup.id, name: 'from-full' } },
    })
    assert.equal(a.status, 202, JSON.stringify(a.body))
    assert.equal(a.body.volume.size, 1)
    const av = await waitFor(t, 'volumes', a.body.volume.id, 'available', MEMBER, 120_000)
    assert.equal(await sha256(volumeFile(a.body.volume.id), GiB), first)
    assert.deepEqual(av.metadata, { purpose: 'db' })
    // the incremental into a bigger volume: the second state, then zeros
    const b = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      version: '3.47',
      body: { volume: { backup_id: inc.body.backup.id, size: 2 } },
    })
    assert.equal(b.status, 202, JSON.stringify(b.body))
    await waitFor(t, 'volumes', b.body.volume.id, 'available', MEMBER, 120_000)
    assert.equal(await sha256(volumeFile(b.body.volume.id), GiB), second)
    const fh = await open(volumeFile(b.body.volume.id), 'r')
    const tail = Buffer.alloc(MiB)
    await fh.read(tail, 0, MiB, GiB + 5 * MiB)
    assert.equal((await fh.stat()).size, 2 * GiB)
    await fh.close()
    assert.ok(tail.every((x) => x === 0))
    // both backups are available again, no restore recorded
    for (const id of [full.body.backup.id, inc.body.backup.id]) {
      const view = await backupStatus(t, id, 'available')
      assert.equal(view.status, 'available')
    }

    // refused, and nothing created
    const before = await volumeCount()
    const refusals: [string, Record<string, unknown>, number, RegExp, string?][] = [
      ['an unknown backup', { backup_id: '8c5c2a5e-0000-4000-8000-000000000000' }, 404, /could not be found/],
      ['another project', { backup_id: full.body.backup.id }, 404, /could not be found/, OTHER],
      [
        'a second source',
        { backup_id: full.body.backup.id, source_volid: a.body.volume.id },
        400,
        /Only one of snapshot_id, source_volid, imageRef and backup_id/,
      ],
      ['not a uuid', { backup_id: 'nope' }, 400, /backup_id/],
    ]
    for (const [what, body, status, message, as] of refusals) {
      const r = await t.call('POST', `${V}/volumes`, {
        as: as ?? MEMBER,
        version: '3.47',
        body: { volume: { size: 1, ...body } },
      })
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`)
      const fault = Object.values(r.body as Record<string, { code: number; message: string }>)[0]!
      assert.equal(fault.code, status, what)
      assert.match(fault.message, message, what)
    }
    const reset = await t.call('POST', `${V}/backups/${full.body.backup.id}/action`, {
      as: ADMIN,
      body: { 'os-reset_status': { status: 'error' } },
    })
    assert.equal(reset.status, 202, JSON.stringify(reset.body))
    const notAvailable = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      version: '3.47',
      body: { volume: { backup_id: full.body.backup.id } },
    })
    assert.equal(notAvailable.status, 400)
    assert.match(notAvailable.body.badRequest.message, /Backup status must be available/)
    assert.equal(await volumeCount(), before)

    // before 3.47 backup_id is not read: an empty volume
    const old = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      version: '3.46',
      body: { volume: { size: 1, backup_id: inc.body.backup.id } },
    })
    assert.equal(old.status, 202)
    await waitFor(t, 'volumes', old.body.volume.id, 'available', MEMBER)
    const head = Buffer.alloc(2 * MiB)
    const oh = await open(volumeFile(old.body.volume.id), 'r')
    await oh.read(head, 0, head.length, 0)
    await oh.close()
    assert.ok(head.every((x) => x === 0))
  })
})
