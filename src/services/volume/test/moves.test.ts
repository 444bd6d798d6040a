/**
 * Moving volumes between volume hosts: a cloud whose volume host was renamed (restarted
 * with another [DEFAULT] host) has its volumes on the old host; os-migrate_volume moves
 * one to the new host with its bytes intact (migration_status success), the
 * update-host route (cloudlet volume update-host) re-homes the rest, a retype with
 * migration_policy on-demand moves the bytes too; bad hosts and personas are refused.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestHost } from '../../../kernel/testing/index.js'
import { volumeModule } from '../module.js'
import { ADMIN, createVolume, MEMBER, type TestHost, V, waitFor } from './harness.js'

const MiB = 1024 * 1024

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

describe('block storage volume moves between hosts', () => {
  let t: TestHost
  let dataDir: string
  const file = (id: string) => join(dataDir, 'volume', 'volumes', `volume-${id}`)
  const ids: string[] = []
  const hashes: string[] = []
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cloudlet-volume-moves-'))
    const old = await startTestHost({
      modules: [volumeModule],
      dataDir,
      config: { DEFAULT: { host: 'oldbox' } },
    })
    for (let i = 0; i < 3; i++) {
      const v = await createVolume(old, { name: `v${i}` })
      const fh = await open(join(dataDir, 'volume', 'volumes', `volume-${v.id}`), 'r+')
      await fh.write(randomBytes(2 * MiB), 0, 2 * MiB, i * 100 * MiB)
      await fh.close()
      ids.push(String(v.id))
    }
    await old.close()
    t = await startTestHost({ modules: [volumeModule], dataDir, config: { DEFAULT: { host: 'newbox' } } })
    for (const id of ids) hashes.push(await sha256(file(id)))
  })
  after(async () => {
    await t.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const host = async (id: string) =>
    (await t.call('GET', `${V}/volumes/${id}`, { as: ADMIN })).body.volume['os-vol-host-attr:host']
  const action = (id: string, body: unknown, as = ADMIN, version?: string) =>
    t.call('POST', `${V}/volumes/${id}/action`, { as, body, ...(version ? { version } : {}) })

  it('migrates a volume to another host with its bytes', async () => {
    assert.equal(await host(ids[0]!), 'oldbox@file#file')
    assert.equal(
      (await action(ids[0]!, { 'os-migrate_volume': { host: 'newbox@file#file' } }, MEMBER)).status,
      403,
    )
    for (const bad of ['nowhere@file#file', 'oldbox@file#file', ''])
      assert.equal(
        (await action(ids[0]!, { 'os-migrate_volume': { host: bad } })).status,
        400,
        `migrate to "${bad}"`,
      )
    const res = await action(ids[0]!, {
      'os-migrate_volume': { host: 'newbox@file#file', force_host_copy: false },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const deadline = Date.now() + 30_000
    let v: Record<string, unknown> = {}
    while (Date.now() < deadline) {
      v = (await t.call('GET', `${V}/volumes/${ids[0]}`, { as: ADMIN })).body.volume
      if (v['os-vol-mig-status-attr:migstat'] === 'success') break
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(v['os-vol-mig-status-attr:migstat'], 'success')
    assert.equal(v.status, 'available')
    assert.equal(v['os-vol-host-attr:host'], 'newbox@file#file')
    assert.equal(await sha256(file(ids[0]!)), hashes[0])
  })

  it('re-homes the rest with update-host, admin only', async () => {
    const route = `${V}/cloudlet-volume/update-host`
    assert.equal(
      (
        await t.call('POST', route, {
          as: MEMBER,
          body: { currenthost: 'oldbox@file', newhost: 'newbox@file' },
        })
      ).status,
      403,
    )
    assert.equal(
      (
        await t.call('POST', route, {
          as: ADMIN,
          body: { currenthost: 'oldbox@file', newhost: 'nowhere@file' },
        })
      ).status,
      400,
    )
    assert.equal((await t.call('POST', route, { as: ADMIN, body: {} })).status, 400)
    const res = await t.call('POST', route, {
      as: ADMIN,
      body: { currenthost: 'oldbox@file', newhost: 'newbox@file' },
    })
    assert.equal(res.status, 200)
    assert.equal(res.body.volumes_moved, 2)
    for (const id of ids) assert.equal(await host(id), 'newbox@file#file')
    assert.equal(await sha256(file(ids[1]!)), hashes[1])
  })

  it('moves the bytes of a retype with migration_policy on-demand', async () => {
    await t.call('POST', `${V}/types`, { as: ADMIN, body: { volume_type: { name: 'gold' } } })
    const res = await action(
      ids[2]!,
      { 'os-retype': { new_type: 'gold', migration_policy: 'on-demand' } },
      MEMBER,
    )
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const v = await waitFor(t, 'volumes', ids[2]!, 'available', ADMIN)
    assert.equal(v.volume_type, 'gold')
    const deadline = Date.now() + 30_000
    let migstat: unknown
    while (Date.now() < deadline) {
      migstat = (await t.call('GET', `${V}/volumes/${ids[2]}`, { as: ADMIN })).body.volume[
        'os-vol-mig-status-attr:migstat'
      ]
      if (migstat === 'success') break
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(migstat, 'success')
    assert.equal(await sha256(file(ids[2]!)), hashes[2])
  })
})
