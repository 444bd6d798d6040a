/**
 * The pool-based driver (`volume_driver = cinder.volume.drivers.rbd.RBDDriver`) beside a
 * file backend: two thin pools of their own capacity, reported by get_pools as upstream
 * shapes them; volumes placed by the scheduler (CapabilitiesFilter, CapacityFilter with
 * thin provisioning, DriverFilter, CapacityWeigher, GoodnessWeigher) on
 * `host@ceph#<pool>`, their bytes in the pool's directory (sha256 through snapshot and
 * clone); provisioned and allocated capacity moving with them; a volume no pool takes in
 * error with a user message naming each filter and the pools it removed; a restart
 * sweeping a pool's orphan file.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestHost } from '../../../kernel/testing/index.js'
import { volumeModule } from '../module.js'
import { ADMIN, createVolume, MEMBER, type TestHost, V, waitFor } from './harness.js'

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

const CONFIG = {
  DEFAULT: {
    host: 'pbox',
    enabled_backends: 'file,ceph',
    scheduler_default_filters: 'AvailabilityZoneFilter,CapacityFilter,CapabilitiesFilter,DriverFilter',
    scheduler_default_weighers: 'CapacityWeigher,GoodnessWeigher',
  },
  ceph: {
    volume_driver: 'cinder.volume.drivers.rbd.RBDDriver',
    volume_backend_name: 'ceph',
    rbd_pools: 'gold:10, silver:4',
    max_over_subscription_ratio: 2,
    filter_function: 'volume.size <= 16 and volume.display_name != "refused"',
    goodness_function: "capabilities.pool_name == 'gold' ? 80 : 20",
  },
}

describe('block storage with a pool-based (RBD) backend', () => {
  let t: TestHost
  let dataDir: string
  const poolDir = (pool: string) => join(dataDir, 'volume', 'volumes-ceph', pool)
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cloudlet-volume-pools-'))
    t = await startTestHost({ modules: [volumeModule], dataDir, config: CONFIG })
    const res = await t.call('POST', `${V}/types`, {
      as: ADMIN,
      body: { volume_type: { name: 'ceph', extra_specs: { volume_backend_name: 'ceph' } } },
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
  })
  after(async () => {
    await t.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const pools = async () => {
    const res = await t.call('GET', `${V}/scheduler-stats/get_pools?detail=true`, { as: ADMIN })
    assert.equal(res.status, 200)
    // biome-ignore lint/suspicious/noExplicitAny: views read by path
    return new Map<string, any>(res.body.pools.map((p: any) => [p.name, p.capabilities]))
  }
  const messageOf = async (id: unknown): Promise<string> => {
    const res = await t.call('GET', `${V}/messages`, { as: MEMBER, version: '3.3' })
    assert.equal(res.status, 200)
    return res.body.messages.find((m: { resource_uuid: string }) => m.resource_uuid === id).user_message
  }
  const show = async (id: string) => (await t.call('GET', `${V}/volumes/${id}`, { as: ADMIN })).body.volume

  it('reports one cinder-volume service per backend and every pool with its capacity', async () => {
    const services = (await t.call('GET', `${V}/os-services?binary=cinder-volume`, { as: ADMIN })).body
      .services
    assert.deepEqual(services.map((s: { host: string }) => s.host).sort(), ['pbox@ceph', 'pbox@file'])
    const p = await pools()
    assert.deepEqual([...p.keys()], ['pbox@file#file', 'pbox@ceph#gold', 'pbox@ceph#silver'])
    const gold = p.get('pbox@ceph#gold')
    assert.equal(gold.pool_name, 'gold')
    assert.equal(gold.volume_backend_name, 'ceph')
    assert.equal(gold.storage_protocol, 'ceph')
    assert.equal(gold.total_capacity_gb, 10)
    assert.equal(gold.free_capacity_gb, 10)
    assert.equal(gold.provisioned_capacity_gb, 0)
    assert.equal(gold.allocated_capacity_gb, 0)
    assert.equal(gold.thin_provisioning_support, true)
    assert.equal(gold.thick_provisioning_support, false)
    assert.equal(gold.max_over_subscription_ratio, '2.0')
    assert.equal(gold.reserved_percentage, 0)
    assert.equal(gold.multiattach, true)
    assert.match(gold.filter_function, /^volume.size <= 16 and/)
    assert.match(gold.goodness_function, /pool_name == 'gold'/)
    assert.equal(p.get('pbox@ceph#silver').total_capacity_gb, 4)
    assert.equal(p.get('pbox@file#file').filter_function, null)
    // 3.28 filters
    const named = await t.call('GET', `${V}/scheduler-stats/get_pools?name=pbox@ceph%23silver`, {
      as: ADMIN,
      version: '3.28',
    })
    assert.deepEqual(named.body.pools, [{ name: 'pbox@ceph#silver' }])
    const byBackend = await t.call('GET', `${V}/scheduler-stats/get_pools?volume_backend_name=ceph`, {
      as: ADMIN,
      version: '3.28',
    })
    assert.equal(byBackend.body.pools.length, 2)
  })

  it('places volumes on the pool the weighers pick, keeps the bytes there and counts them', async () => {
    const v = await createVolume(t, { volume_type: 'ceph', name: 'data' })
    const vol = await show(v.id)
    // gold: goodness 80 against silver's 20, and more virtual free space
    assert.equal(vol['os-vol-host-attr:host'], 'pbox@ceph#gold')
    const file = join(poolDir('gold'), `volume-${v.id}`)
    assert.ok(existsSync(file))
    const fh = await open(file, 'r+')
    for (const at of [0, 7 * 1024 * 1024 + 3, 900 * 1024 * 1024 + 11])
      await fh.write(randomBytes(256 * 1024 + 5), 0, 256 * 1024 + 5, at)
    await fh.close()
    const before = await sha256(file)
    const snap = await t.call('POST', `${V}/snapshots`, {
      as: MEMBER,
      body: { snapshot: { volume_id: v.id } },
    })
    assert.equal(snap.status, 202)
    await waitFor(t, 'snapshots', snap.body.snapshot.id, 'available', MEMBER)
    assert.equal(await sha256(join(poolDir('gold'), `snapshot-${snap.body.snapshot.id}`)), before)
    const clone = await createVolume(t, { source_volid: v.id })
    assert.equal((await show(clone.id))['os-vol-host-attr:host'], 'pbox@ceph#gold')
    assert.equal(await sha256(join(poolDir('gold'), `volume-${clone.id}`)), before)
    const fromSnap = await createVolume(t, { snapshot_id: snap.body.snapshot.id, size: 2 })
    assert.equal((await show(fromSnap.id))['os-vol-host-attr:host'], 'pbox@ceph#gold')
    const gold = (await pools()).get('pbox@ceph#gold')
    // volumes 1 + 1 + 2 and the 1 GiB snapshot's file; the database's volumes: 4
    assert.equal(gold.provisioned_capacity_gb, 5)
    assert.equal(gold.allocated_capacity_gb, 4)
    // free: what the files' blocks leave (under 1 MiB written here), to two decimals
    assert.ok(gold.free_capacity_gb <= 10 && gold.free_capacity_gb > 9.9, String(gold.free_capacity_gb))
    assert.equal((await pools()).get('pbox@ceph#silver').provisioned_capacity_gb, 0)
    // a thin 12 GiB volume fits gold's 10 GiB: (5 + 12) / 10 <= 2; not silver's 4 GiB
    const big = await createVolume(t, { volume_type: 'ceph', size: 12 })
    assert.equal((await show(big.id))['os-vol-host-attr:host'], 'pbox@ceph#gold')
    // gold is now over-subscribed for 4 GiB more, silver (0 + 4) / 4 is not: placed there
    const next = await createVolume(t, { volume_type: 'ceph', size: 4 })
    assert.equal((await show(next.id))['os-vol-host-attr:host'], 'pbox@ceph#silver')
    assert.ok(existsSync(join(poolDir('silver'), `volume-${next.id}`)))
    // deletes give the space back
    for (const id of [big.id, next.id]) {
      assert.equal((await t.call('DELETE', `${V}/volumes/${id}`, { as: MEMBER })).status, 202)
      await waitFor(t, 'volumes', id, 'deleted')
    }
    assert.equal(existsSync(join(poolDir('silver'), `volume-${next.id}`)), false)
    assert.equal((await pools()).get('pbox@ceph#gold').provisioned_capacity_gb, 5)
  })

  it('puts a volume no pool takes in error, saying which filter removed which pools', async () => {
    // 16 GiB: silver (16 / 4) and gold ((5 + 16) / 10) over-subscribed, file not ceph
    const res = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 16, volume_type: 'ceph' } },
    })
    assert.equal(res.status, 202)
    const v = await waitFor(t, 'volumes', res.body.volume.id, 'error', MEMBER)
    assert.equal((await show(String(v.id)))['os-vol-host-attr:host'], null)
    const text = await messageOf(v.id)
    assert.match(text, /^schedule allocate volume:Could not find any available weighted backend\./)
    assert.match(
      text,
      /CapacityFilter removed pbox@ceph#gold \(Insufficient free space for thin provisioning/,
    )
    assert.match(text, /pbox@ceph#silver \(Insufficient free space for thin provisioning/)
    assert.match(text, /CapabilitiesFilter removed pbox@file#file/)
  })

  it('removes by the DriverFilter what its filter_function refuses', async () => {
    const res = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, volume_type: 'ceph', name: 'refused' } },
    })
    assert.equal(res.status, 202)
    const v = await waitFor(t, 'volumes', res.body.volume.id, 'error', MEMBER)
    const text = await messageOf(v.id)
    assert.match(
      text,
      /DriverFilter removed pbox@ceph#gold \(filter_function 'volume.size <= 16 and volume.display_name != "refused"' is false\.\), pbox@ceph#silver/,
    )
    assert.doesNotMatch(text, /CapacityFilter/)
    // the same request under another name passes
    await createVolume(t, { volume_type: 'ceph', name: 'accepted' })
  })

  it('sweeps a pool of files no volume owns at a restart, keeping the volumes', async () => {
    const v = await createVolume(t, { volume_type: 'ceph' })
    const host = (await show(v.id))['os-vol-host-attr:host'] as string
    const pool = host.split('#')[1]!
    const orphan = join(poolDir(pool), `volume-${randomUUID()}`)
    await writeFile(orphan, 'x')
    await writeFile(join(poolDir('silver'), `snapshot-${randomUUID()}.part`), 'x')
    await t.close()
    t = await startTestHost({ modules: [volumeModule], dataDir, config: CONFIG })
    assert.equal(existsSync(orphan), false)
    assert.ok(existsSync(join(poolDir(pool), `volume-${v.id}`)))
    assert.equal((await show(v.id)).status, 'available')
  })

  it('refuses an unknown volume_driver and a bad rbd_pools at start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cloudlet-volume-pools-bad-'))
    try {
      const bad: Record<string, string>[] = [
        { volume_driver: 'cinder.volume.drivers.lvm.LVMVolumeDriver' },
        { volume_driver: 'cinder.volume.drivers.rbd.RBDDriver', rbd_pools: 'gold:ten' },
        { volume_driver: 'cinder.volume.drivers.rbd.RBDDriver', rbd_pools: 'gold,gold' },
        { volume_driver: 'cinder.volume.drivers.rbd.RBDDriver', rbd_pools: '../up' },
      ]
      for (const ceph of bad)
        await assert.rejects(
          startTestHost({
            modules: [volumeModule],
            dataDir: dir,
            config: { DEFAULT: { enabled_backends: 'ceph' }, ceph },
          }),
        )
      await assert.rejects(
        startTestHost({
          modules: [volumeModule],
          dataDir: dir,
          config: { DEFAULT: { scheduler_default_filters: 'NoSuchFilter' } },
        }),
        /NoSuchFilter/,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
