/**
 * Manage and unmanage with the file backend: an unmanaged volume's file stays on the
 * backend (its quota released, the row gone), survives a restart's sweep of unowned
 * files, shows in the manageable list as safe, and is adopted again by reference with
 * its bytes (sha256); snapshots likewise; a file an operator put on the backend is
 * adopted and grown to whole GiB. Bad references, unknown hosts and types, files
 * already managed and members are refused in Cinder's format with nothing created.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises'
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

describe('block storage manage and unmanage', () => {
  let t: TestHost
  let dataDir: string
  const dir = () => join(dataDir, 'volume', 'volumes')
  const start = () =>
    startTestHost({ modules: [volumeModule], dataDir, config: { DEFAULT: { host: 'mbox' } } })
  const HOST = 'mbox@file#file'
  const Q = `host=${encodeURIComponent(HOST)}`
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cloudlet-volume-manage-'))
    t = await start()
  })
  after(async () => {
    await t.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const action = (kind: 'volumes' | 'snapshots', id: string, body: unknown, as = ADMIN) =>
    t.call('POST', `${V}/${kind}/${id}/action`, { as, body })
  const manageable = async (kind: 'volumes' | 'snapshots', query = Q) => {
    const res = await t.call('GET', `${V}/manageable_${kind}/detail?${query}`, { as: ADMIN, version: '3.8' })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    // biome-ignore lint/suspicious/noExplicitAny: tests read views by path
    return res.body[`manageable-${kind}`] as Record<string, any>[]
  }
  const used = async () => {
    const res = await t.call('GET', `${V}/limits`, { as: MEMBER })
    return {
      volumes: res.body.limits.absolute.totalVolumesUsed,
      gb: res.body.limits.absolute.totalGigabytesUsed,
    }
  }
  const volumeCount = async () =>
    (await t.call('GET', `${V}/volumes?all_tenants=1`, { as: ADMIN })).body.volumes.length
  async function writeRandom(path: string, at: number, size: number) {
    const fh = await open(path, 'r+')
    await fh.write(randomBytes(size), 0, size, at)
    await fh.close()
  }

  let orgId: string
  let orgHash: string
  // biome-ignore lint/suspicious/noExplicitAny: tests read views by path
  let org: Record<string, any>

  it('unmanages a volume: the row and its quota go, the file stays and survives a restart', async () => {
    org = await createVolume(t, { name: 'org', metadata: { a: '1' } })
    orgId = String(org.id)
    await writeRandom(join(dir(), `volume-${orgId}`), 5 * MiB + 3, 3 * MiB)
    orgHash = await sha256(join(dir(), `volume-${orgId}`))
    org = (await t.call('GET', `${V}/volumes/${orgId}`, { as: ADMIN })).body.volume
    assert.equal(org['os-vol-host-attr:host'], HOST)
    const before = await used()
    assert.equal((await action('volumes', orgId, { 'os-unmanage': {} }, MEMBER)).status, 403)
    const res = await action('volumes', orgId, { 'os-unmanage': {} })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    await waitFor(t, 'volumes', orgId, 'deleted')
    assert.deepEqual(await used(), { volumes: before.volumes - 1, gb: before.gb - 1 })
    assert.equal(await sha256(join(dir(), `volume-${orgId}`)), orgHash)
    await t.close()
    t = await start()
    assert.equal(await sha256(join(dir(), `volume-${orgId}`)), orgHash, 'the restart kept the unmanaged file')
    const listed = (await manageable('volumes')).find((m) => m.reference['source-name'] === `volume-${orgId}`)
    assert.deepEqual(listed, {
      reference: { 'source-name': `volume-${orgId}` },
      size: 1,
      safe_to_manage: true,
      reason_not_safe: null,
      cinder_id: null,
      extra_info: null,
    })
  })

  it('lists manageable volumes for a host only, admins only, from 3.8', async () => {
    const managed = await createVolume(t, { name: 'managed' })
    const entry = (await manageable('volumes')).find((m) => m.cinder_id === managed.id)
    assert.equal(entry?.safe_to_manage, false)
    assert.equal(entry?.reason_not_safe, 'already managed')
    const summary = await t.call('GET', `${V}/manageable_volumes?${Q}`, { as: ADMIN, version: '3.8' })
    assert.deepEqual(Object.keys(summary.body['manageable-volumes'][0]).sort(), [
      'reference',
      'safe_to_manage',
      'size',
    ])
    const bad = [
      [`${V}/manageable_volumes`, '3.8', ADMIN, 400],
      [`${V}/manageable_volumes?${Q}`, '3.7', ADMIN, 404],
      [`${V}/manageable_volumes?${Q}`, '3.8', MEMBER, 403],
      [`${V}/manageable_volumes?host=nobox@file`, '3.8', ADMIN, 404],
      [`${V}/manageable_volumes?${Q}&sort=name`, '3.8', ADMIN, 400],
    ] as const
    for (const [url, version, as, status] of bad) {
      const res = await t.call('GET', url, { as, version })
      assert.equal(res.status, status, `${url} at ${version}: ${JSON.stringify(res.body)}`)
    }
    const sorted = await manageable('volumes', `${Q}&sort=reference:asc&limit=1&offset=1`)
    assert.equal(sorted.length, 1)
  })

  it('refuses bad manage requests in Cinder format and creates nothing', async () => {
    const n = await volumeCount()
    const managed = (await manageable('volumes')).find((m) => m.cinder_id)!
    const cases: [unknown, number, string, string?][] = [
      [{ volume: { host: HOST } }, 400, 'badRequest'],
      [{ volume: { ref: { 'source-name': `volume-${orgId}` } } }, 400, 'badRequest'],
      [
        { volume: { host: HOST, ref: { 'source-name': 'no-such-file' } } },
        400,
        'badRequest',
        'invalid backend reference',
      ],
      [{ volume: { host: HOST, ref: { 'source-name': '../volume.db' } } }, 400, 'badRequest'],
      [{ volume: { host: HOST, ref: { 'source-id': 42 } } }, 400, 'badRequest'],
      [{ volume: { host: HOST, ref: {} } }, 400, 'badRequest'],
      [{ volume: { host: HOST, ref: managed.reference } }, 400, 'badRequest', 'already managed'],
      [
        { volume: { host: 'nobox@file#file', ref: { 'source-name': `volume-${orgId}` } } },
        404,
        'itemNotFound',
      ],
      [
        { volume: { host: HOST, ref: { 'source-name': `volume-${orgId}` }, volume_type: 'nosuchtype' } },
        404,
        'itemNotFound',
      ],
      [
        { volume: { host: HOST, ref: { 'source-name': `volume-${orgId}` }, availability_zone: 'elsewhere' } },
        400,
        'badRequest',
      ],
      [{ snapshot: {} }, 400, 'badRequest'],
    ]
    for (const [body, status, fault, words] of cases) {
      const res = await t.call('POST', `${V}/os-volume-manage`, { as: ADMIN, body })
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`)
      assert.equal(res.body[fault]?.code, status, JSON.stringify(res.body))
      if (words) assert.match(res.body[fault].message, new RegExp(words))
    }
    const member = await t.call('POST', `${V}/os-volume-manage`, {
      as: MEMBER,
      body: { volume: { host: HOST, ref: { 'source-name': `volume-${orgId}` } } },
    })
    assert.equal(member.status, 403)
    assert.equal(await volumeCount(), n)
    assert.ok(existsSync(join(dir(), `volume-${orgId}`)))
  })

  it('manages the unmanaged file again with its bytes, as tempest does', async () => {
    const before = await used()
    const res = await t.call('POST', `${V}/manageable_volumes`, {
      as: ADMIN,
      version: '3.8',
      body: {
        volume: {
          name: 'adopted',
          host: org['os-vol-host-attr:host'],
          ref: { 'source-name': `volume-${orgId}` },
          volume_type: org.volume_type,
          availability_zone: org.availability_zone,
          metadata: { b: '2' },
        },
      },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const id = String(res.body.volume.id)
    assert.notEqual(id, orgId)
    const v = await waitFor(t, 'volumes', id, 'available')
    for (const key of ['size', 'volume_type', 'availability_zone', 'os-vol-host-attr:host'])
      assert.equal(v[key], org[key], key)
    assert.equal(v.name, 'adopted')
    assert.deepEqual(v.metadata, { b: '2' })
    assert.equal(await sha256(join(dir(), `volume-${id}`)), orgHash)
    assert.ok(!existsSync(join(dir(), `volume-${orgId}`)))
    // the volume counts again, and its file is no longer offered
    assert.deepEqual(await used(), { volumes: before.volumes + 1, gb: before.gb + 1 })
    const entry = (await manageable('volumes')).find((m) => m.reference['source-name'] === `volume-${id}`)
    assert.equal(entry?.cinder_id, id)
    const again = await t.call('POST', `${V}/os-volume-manage`, {
      as: ADMIN,
      body: { volume: { host: HOST, ref: { 'source-id': id } } },
    })
    assert.equal(again.status, 400)
    assert.match(again.body.badRequest.message, /already managed/)
    // an attached volume or one with snapshots is not unmanaged
    const snap = await t.call('POST', `${V}/snapshots`, { as: MEMBER, body: { snapshot: { volume_id: id } } })
    await waitFor(t, 'snapshots', snap.body.snapshot.id, 'available')
    assert.equal((await action('volumes', id, { 'os-unmanage': {} })).status, 400)
  })

  it('unmanages and manages a snapshot with its bytes', async () => {
    const vol = await createVolume(t, { name: 'snapsrc' })
    await writeRandom(join(dir(), `volume-${vol.id}`), 1 * MiB, 2 * MiB)
    const created = await t.call('POST', `${V}/snapshots`, {
      as: MEMBER,
      body: { snapshot: { volume_id: vol.id, name: 's' } },
    })
    const snapId = String(created.body.snapshot.id)
    await waitFor(t, 'snapshots', snapId, 'available')
    const snapHash = await sha256(join(dir(), `snapshot-${snapId}`))
    assert.equal((await action('snapshots', snapId, { 'os-unmanage': null }, MEMBER)).status, 403)
    assert.equal((await action('snapshots', snapId, { 'os-unmanage': null })).status, 202)
    await waitFor(t, 'snapshots', snapId, 'deleted')
    assert.equal(await sha256(join(dir(), `snapshot-${snapId}`)), snapHash)
    const listed = (await manageable('snapshots')).find(
      (m) => m.reference['source-name'] === `snapshot-${snapId}`,
    )
    assert.deepEqual(listed?.source_reference, { 'source-name': `volume-${vol.id}` })
    assert.equal(listed?.safe_to_manage, true)
    const summary = await t.call('GET', `${V}/manageable_snapshots?${Q}`, { as: ADMIN, version: '3.8' })
    assert.deepEqual(Object.keys(summary.body['manageable-snapshots'][0]).sort(), [
      'reference',
      'safe_to_manage',
      'size',
      'source_reference',
    ])
    const bad = [
      [{ snapshot: { ref: { 'source-name': `snapshot-${snapId}` } } }, 400],
      [{ snapshot: { volume_id: vol.id } }, 400],
      [
        { snapshot: { volume_id: 'f0000000-0000-4000-8000-000000000000', ref: { 'source-id': snapId } } },
        404,
      ],
      [{ snapshot: { volume_id: vol.id, ref: { 'source-id': 'nope' } } }, 400],
    ] as const
    for (const [body, status] of bad) {
      const res = await t.call('POST', `${V}/os-snapshot-manage`, { as: ADMIN, body })
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`)
    }
    const metadata = { 'manage-snap-meta1': 'value1' }
    const res = await t.call('POST', `${V}/os-snapshot-manage`, {
      as: ADMIN,
      body: {
        snapshot: {
          volume_id: vol.id,
          ref: { 'source-name': `snapshot-${snapId}` },
          name: 'adopted-snap',
          description: 'back',
          metadata,
        },
      },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const s = await waitFor(t, 'snapshots', res.body.snapshot.id, 'available')
    assert.equal(s.volume_id, vol.id)
    assert.equal(s.name, 'adopted-snap')
    assert.equal(s.description, 'back')
    assert.deepEqual(s.metadata, metadata)
    assert.equal(s.size, 1)
    assert.equal(await sha256(join(dir(), `snapshot-${s.id}`)), snapHash)
    // the adopted snapshot serves a new volume holding its bytes
    const from = await createVolume(t, { snapshot_id: s.id })
    assert.equal(await sha256(join(dir(), `volume-${from.id}`)), snapHash)
  })

  it('adopts a file an operator put on the backend, grown to whole GiB', async () => {
    const data = randomBytes(3 * MiB + 5)
    await writeFile(join(dir(), 'imported.img'), data)
    const entry = (await manageable('volumes')).find((m) => m.reference['source-name'] === 'imported.img')
    assert.deepEqual([entry?.size, entry?.safe_to_manage], [1, true])
    const res = await t.call('POST', `${V}/os-volume-manage`, {
      as: ADMIN,
      body: { volume: { host: 'mbox@file', ref: { 'source-name': 'imported.img' }, bootable: true } },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const v = await waitFor(t, 'volumes', res.body.volume.id, 'available')
    assert.equal(v.size, 1)
    assert.equal(v.bootable, 'true')
    const path = join(dir(), `volume-${v.id}`)
    assert.equal((await stat(path)).size, 1024 * MiB)
    const fh = await open(path, 'r')
    const head = Buffer.alloc(data.length)
    await fh.read(head, 0, data.length, 0)
    await fh.close()
    assert.ok(head.equals(data))
    assert.ok(!existsSync(join(dir(), 'imported.img')))
  })
})
