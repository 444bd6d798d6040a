/**
 * Workers cleanup (`POST /workers/cleanup`, 3.24, admins): a cloud restarted under
 * another host name leaves the old host's services down, which a cleanup answers
 * `unavailable` (nothing alive to clean them; `is_up` is false unless given, as
 * upstream) without touching their volumes; the running services are `cleaning`, and
 * their volumes and snapshots stuck in transient states are put back as a restart
 * would (creating → error, extending → error_extending, deleting → gone, a snapshot
 * creating → error), narrowed by binary, resource_type and resource_id; the scheduler
 * cleans volumes creating on no host. Work in flight in this process is left alone.
 * Bad filters are 400 in Cinder's format; members 403; before 3.24 404.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestHost } from '../../../kernel/testing/index.js'
import { InFlight } from '../domain/in-flight.js'
import { volumeModule } from '../module.js'
import { ADMIN, createVolume, MEMBER, type TestHost, V, waitFor } from './harness.js'

const W = '3.24'

describe('workers cleanup', () => {
  let t: TestHost
  let dataDir: string
  let oldVolume: string
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cloudlet-volume-workers-'))
    const first = await startTestHost({
      modules: [volumeModule],
      dataDir,
      config: { DEFAULT: { host: 'wbox1' } },
    })
    oldVolume = String((await createVolume(first)).id)
    await first.close()
    t = await startTestHost({
      modules: [volumeModule],
      dataDir,
      config: { DEFAULT: { host: 'wbox2', report_interval: 1, service_down_time: 3 } },
    })
    // the old host's services stop beating: down after service_down_time
    await new Promise((r) => setTimeout(r, 3500))
  })
  after(async () => {
    await t.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const cleanup = (body: unknown, as = ADMIN, version = W) =>
    t.call('POST', `${V}/workers/cleanup`, { as, version, body })
  const reset = async (kind: 'volumes' | 'snapshots', id: string, status: string) => {
    const r = await t.call('POST', `${V}/${kind}/${id}/action`, {
      as: ADMIN,
      body: { 'os-reset_status': { status } },
    })
    assert.equal(r.status, 202, JSON.stringify(r.body))
  }
  const status = async (kind: 'volumes' | 'snapshots', id: string) => {
    const r = await t.call('GET', `${V}/${kind}/${id}`, { as: ADMIN })
    return r.status === 404 ? 'gone' : r.body[kind.slice(0, -1)].status
  }
  const hosts = (list: { host: string; binary: string }[]) => list.map((s) => `${s.binary} ${s.host}`).sort()

  it('refuses bad filters, members and old microversions', async () => {
    assert.equal((await cleanup({}, ADMIN, '3.23')).status, 404)
    assert.equal((await cleanup({}, MEMBER)).status, 403)
    const bad: [unknown, RegExp][] = [
      [{ nope: 1 }, /Invalid filter keys: nope/],
      [{ binary: 'cinder-backup' }, /binary must be empty or set to cinder-volume or cinder-scheduler/],
      [{ resource_type: 'Backup' }, /Resource type Backup not valid, must be Volume or Snapshot/],
      [{ resource_id: 'x' }, /Resource ID must be a UUID, and x is not/],
      [{ is_up: 'maybe' }, /is_up/],
      [{ service_id: 'one' }, /service_id/],
      [{ resource_id: '0b6b8cd2-1111-4222-8333-444455556666' }, /no resource with UUID .* pending cleanup/],
      [[1], /object/],
    ]
    for (const [body, message] of bad) {
      const r = await cleanup(body)
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`)
      assert.match(r.body.badRequest.message, message)
    }
  })

  it('answers the down services unavailable and leaves their volumes', async () => {
    await reset('volumes', oldVolume, 'creating')
    const r = await cleanup({})
    assert.equal(r.status, 202, JSON.stringify(r.body))
    assert.deepEqual(r.body.cleaning, [])
    assert.deepEqual(hosts(r.body.unavailable), ['cinder-scheduler wbox1', 'cinder-volume wbox1@file'])
    for (const s of r.body.unavailable) {
      assert.deepEqual(Object.keys(s).sort(), ['binary', 'cluster_name', 'host', 'id'])
      assert.equal(s.cluster_name, null)
      assert.equal(typeof s.id, 'number')
    }
    // a resource on a down service: its service, unavailable
    const one = await cleanup({ resource_id: oldVolume })
    assert.deepEqual(hosts(one.body.unavailable), ['cinder-volume wbox1@file'])
    assert.equal(await status('volumes', oldVolume), 'creating')
    // a cluster no service is in selects nothing
    const none = await cleanup({ cluster_name: 'c1', is_up: true })
    assert.deepEqual([none.body.cleaning, none.body.unavailable], [[], []])
  })

  it('puts back the running services resources, narrowed by type and id', async () => {
    const creating = String((await createVolume(t)).id)
    const extending = String((await createVolume(t)).id)
    const deleting = String((await createVolume(t)).id)
    const untouched = String((await createVolume(t)).id)
    const snap = await t.call('POST', `${V}/snapshots`, {
      as: MEMBER,
      body: { snapshot: { volume_id: creating } },
    })
    const snapId = String(snap.body.snapshot.id)
    await waitFor(t, 'snapshots', snapId, 'available', MEMBER)
    await reset('snapshots', snapId, 'creating')
    await reset('volumes', creating, 'creating')
    await reset('volumes', extending, 'extending')
    await reset('volumes', deleting, 'deleting')

    const r = await cleanup({ is_up: true, binary: 'cinder-volume', resource_type: 'volume' })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    assert.deepEqual(hosts(r.body.cleaning), ['cinder-volume wbox2@file'])
    assert.deepEqual(r.body.unavailable, [])
    assert.equal(await status('volumes', creating), 'error')
    assert.equal(await status('volumes', extending), 'error_extending')
    assert.equal(await status('volumes', deleting), 'gone')
    assert.equal(await status('volumes', untouched), 'available')
    // only volumes were asked for: the snapshot waits; the other host's volume too
    assert.equal(await status('snapshots', snapId), 'creating')
    assert.equal(await status('volumes', oldVolume), 'creating')

    // the snapshot by its id (its service found from it)
    const s = await cleanup({ resource_id: snapId, is_up: true })
    assert.deepEqual(hosts(s.body.cleaning), ['cinder-volume wbox2@file'])
    assert.equal(await status('snapshots', snapId), 'error')
    // nothing pending any more
    assert.equal((await cleanup({ resource_id: snapId, is_up: 'true' })).status, 400)
  })

  it('lets the scheduler clean volumes creating on no host', async () => {
    const type = await t.call('POST', `${V}/types`, {
      as: ADMIN,
      body: { volume_type: { name: 'nowhere', extra_specs: { volume_backend_name: 'nosuch' } } },
    })
    const res = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, volume_type: type.body.volume_type.name } },
    })
    const id = String(res.body.volume.id)
    await waitFor(t, 'volumes', id, 'error', MEMBER)
    await reset('volumes', id, 'creating')
    const r = await cleanup({ is_up: true, binary: 'cinder-scheduler' })
    assert.deepEqual(hosts(r.body.cleaning), ['cinder-scheduler wbox2'])
    assert.equal(await status('volumes', id), 'error')
  })

  it('knows the work in flight in this process', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const spawned: Promise<void>[] = []
    const inFlight = new InFlight({
      spawn: (_name, fn) => {
        const p = fn()
        spawned.push(p)
        return p
      },
    })
    void inFlight.spawn('create 1111-aaaa', () => gate)
    assert.equal(inFlight.busy('1111-aaaa'), true)
    assert.equal(inFlight.busy('2222-bbbb'), false)
    const held = inFlight.hold('extend 2222-bbbb', async () => inFlight.busy('2222-bbbb'))
    assert.equal(await held, true)
    assert.equal(inFlight.busy('2222-bbbb'), false)
    release()
    await Promise.all(spawned)
    assert.equal(inFlight.busy('1111-aaaa'), false)
  })
})
