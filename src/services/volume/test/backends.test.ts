/**
 * Two file backends (`[DEFAULT] enabled_backends = file,fast`, a `[fast]` section): each
 * is a cinder-volume service and a pool; a type's volume_backend_name (with or without
 * the `capabilities:` prefix) places a volume on its backend, whose directory holds the
 * file; a retype with migration_policy on-demand moves the bytes to the other backend
 * (type and host changed at the end, the source file removed), `never` is refused;
 * os-migrate_volume moves them back; a snapshot and a clone stay beside their source.
 * Every move is checked by sha256.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
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

describe('block storage with two file backends', () => {
  let t: TestHost
  let dataDir: string
  const dirs = () => ({
    file: join(dataDir, 'volume', 'volumes'),
    fast: join(dataDir, 'volume', 'volumes-fast'),
  })
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cloudlet-volume-backends-'))
    t = await startTestHost({
      modules: [volumeModule],
      dataDir,
      config: {
        DEFAULT: { host: 'bbox', enabled_backends: 'file,fast' },
        fast: { volume_backend_name: 'fastpool' },
      },
    })
    for (const [name, specs] of [
      ['slow-type', { volume_backend_name: 'file' }],
      ['fast-type', { volume_backend_name: 'fastpool' }],
      ['fast-prefixed', { 'capabilities:volume_backend_name': 'fastpool' }],
      ['nowhere', { volume_backend_name: 'nosuch' }],
    ] as const) {
      const res = await t.call('POST', `${V}/types`, {
        as: ADMIN,
        body: { volume_type: { name, extra_specs: specs } },
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
    }
  })
  after(async () => {
    await t.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const show = async (id: string) => (await t.call('GET', `${V}/volumes/${id}`, { as: ADMIN })).body.volume
  const action = (id: string, body: unknown, as = ADMIN) =>
    t.call('POST', `${V}/volumes/${id}/action`, { as, body })
  async function waitMigration(id: string) {
    const deadline = Date.now() + 30_000
    for (;;) {
      const v = await show(id)
      if (v.status === 'available' && ['success', 'error'].includes(v['os-vol-mig-status-attr:migstat']))
        return v
      if (Date.now() > deadline) throw new Error(`migration of ${id} did not end: ${JSON.stringify(v)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  it('reports a service and a pool per backend', async () => {
    const services = (await t.call('GET', `${V}/os-services?binary=cinder-volume`, { as: ADMIN })).body
      .services
    assert.deepEqual(services.map((s: { host: string }) => s.host).sort(), ['bbox@fast', 'bbox@file'])
    const pools = (await t.call('GET', `${V}/scheduler-stats/get_pools?detail=true`, { as: ADMIN })).body
      .pools
    assert.deepEqual(
      pools.map((p: { name: string; capabilities: { volume_backend_name: string } }) => [
        p.name,
        p.capabilities.volume_backend_name,
      ]),
      [
        ['bbox@file#file', 'file'],
        ['bbox@fast#fastpool', 'fastpool'],
      ],
    )
    const caps = await t.call('GET', `${V}/capabilities/bbox@fast`, { as: ADMIN })
    assert.equal(caps.body.volume_backend_name, 'fastpool')
  })

  let fastId: string
  let fastHash: string

  it("places volumes on the backend their type names, files in that backend's directory", async () => {
    const slow = await createVolume(t, { volume_type: 'slow-type' })
    const fast = await createVolume(t, { volume_type: 'fast-type' })
    const prefixed = await createVolume(t, { volume_type: 'fast-prefixed' })
    const plain = await createVolume(t, {})
    assert.equal((await show(String(slow.id)))['os-vol-host-attr:host'], 'bbox@file#file')
    assert.equal((await show(String(fast.id)))['os-vol-host-attr:host'], 'bbox@fast#fastpool')
    assert.equal((await show(String(prefixed.id)))['os-vol-host-attr:host'], 'bbox@fast#fastpool')
    assert.ok(existsSync(join(dirs().file, `volume-${slow.id}`)))
    assert.ok(existsSync(join(dirs().fast, `volume-${fast.id}`)))
    assert.ok(!existsSync(join(dirs().file, `volume-${fast.id}`)))
    assert.ok((await show(String(plain.id)))['os-vol-host-attr:host'].startsWith('bbox@'))
    const res = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, volume_type: 'nowhere' } },
    })
    assert.equal(res.status, 202)
    await waitFor(t, 'volumes', res.body.volume.id, 'error')
    fastId = String(fast.id)
    const fh = await open(join(dirs().fast, `volume-${fastId}`), 'r+')
    await fh.write(randomBytes(3 * MiB), 0, 3 * MiB, 7 * MiB + 11)
    await fh.close()
    fastHash = await sha256(join(dirs().fast, `volume-${fastId}`))
  })

  it('keeps snapshots and clones beside their source', async () => {
    const snap = await t.call('POST', `${V}/snapshots`, {
      as: MEMBER,
      body: { snapshot: { volume_id: fastId } },
    })
    await waitFor(t, 'snapshots', snap.body.snapshot.id, 'available')
    assert.ok(existsSync(join(dirs().fast, `snapshot-${snap.body.snapshot.id}`)))
    const clone = await createVolume(t, { snapshot_id: snap.body.snapshot.id })
    assert.equal((await show(String(clone.id)))['os-vol-host-attr:host'], 'bbox@fast#fastpool')
    assert.equal(await sha256(join(dirs().fast, `volume-${clone.id}`)), fastHash)
    // a volume with snapshots does not move to another backend
    const refused = await action(fastId, {
      'os-retype': { new_type: 'slow-type', migration_policy: 'on-demand' },
    })
    assert.equal(refused.status, 400, JSON.stringify(refused.body))
    await t.call('DELETE', `${V}/snapshots/${snap.body.snapshot.id}`, { as: MEMBER })
    await waitFor(t, 'snapshots', snap.body.snapshot.id, 'deleted')
  })

  it('retypes with migration to the other backend, bytes intact; never is refused', async () => {
    const never = await action(
      fastId,
      { 'os-retype': { new_type: 'slow-type', migration_policy: 'never' } },
      MEMBER,
    )
    assert.equal(never.status, 400, JSON.stringify(never.body))
    const before = await show(fastId)
    const res = await action(
      fastId,
      { 'os-retype': { new_type: 'slow-type', migration_policy: 'on-demand' } },
      MEMBER,
    )
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const v = await waitMigration(fastId)
    assert.equal(v['os-vol-mig-status-attr:migstat'], 'success')
    assert.equal(v.volume_type, 'slow-type')
    assert.equal(v['os-vol-host-attr:host'], 'bbox@file#file')
    for (const key of ['id', 'size', 'name', 'user_id', 'os-vol-tenant-attr:tenant_id'])
      assert.deepEqual(v[key], before[key], key)
    assert.equal(await sha256(join(dirs().file, `volume-${fastId}`)), fastHash)
    assert.ok(!existsSync(join(dirs().fast, `volume-${fastId}`)), 'the source file is gone')
  })

  it('migrates to a host of the other backend and back', async () => {
    const there = await action(fastId, { 'os-migrate_volume': { host: 'bbox@fast#fastpool' } })
    assert.equal(there.status, 202, JSON.stringify(there.body))
    const v = await waitMigration(fastId)
    assert.equal(v['os-vol-mig-status-attr:migstat'], 'success')
    assert.equal(v['os-vol-host-attr:host'], 'bbox@fast#fastpool')
    assert.equal(await sha256(join(dirs().fast, `volume-${fastId}`)), fastHash)
    assert.ok(!existsSync(join(dirs().file, `volume-${fastId}`)))
    // extend and delete find the file where it is now
    assert.equal((await action(fastId, { 'os-extend': { new_size: 2 } }, MEMBER)).status, 202)
    await waitFor(t, 'volumes', fastId, 'available')
    assert.equal((await show(fastId)).size, 2)
    assert.equal((await t.call('DELETE', `${V}/volumes/${fastId}`, { as: MEMBER })).status, 202)
    await waitFor(t, 'volumes', fastId, 'deleted')
    assert.ok(!existsSync(join(dirs().fast, `volume-${fastId}`)))
  })
})
