/**
 * Block storage through the real openstack CLI against a cloud started with `cloudlet
 * up` (identity, image and volume: the CLI's volume commands open an image client):
 * the catalog's two types, volume create (empty, --type, --property, --snapshot,
 * --source), list, show, set (--size, --bootable, --read-only, --property, --name),
 * delete; volume types (create --private --property, set, show, list, access, delete);
 * snapshots (create, list, set, show, delete); the volume services (list, disable
 * with a reason, enable); set --type --retype-policy on-demand; qos (create, associate,
 * show, disassociate, delete); transfer requests (create, list, accept in another
 * project); image create --volume (os-volume_upload_image); volume migrate to another
 * host and `cloudlet volume update-host` after the volume host was renamed. NOTE: quotas are not here: the CLI's quota commands (OSC 6.0)
 * open compute and network clients too; the API tests cover them.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import {
  type CloudProcess,
  openstack,
  openstackJson,
  openstackOk,
  startCloudProcess,
} from '../support/cloud-process.js'

type Row = Record<string, unknown>

describe('block storage with the openstack CLI', { timeout: 600_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = admin) => openstackJson<T>(env, args)
  const ok = (args: string[], env = admin) => openstackOk(env, args)

  /** Polls `volume show` or `volume snapshot show` until the status is reached. */
  async function until(kind: 'volume' | 'volume snapshot', name: string, status: string, env = admin) {
    const deadline = Date.now() + 30_000
    for (;;) {
      const shown = await json([...kind.split(' '), 'show', name], env)
      if (shown.status === status) return shown
      if (Date.now() > deadline) throw new Error(`${kind} ${name} stayed ${String(shown.status)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  async function gone(kind: 'volume' | 'volume snapshot', name: string) {
    const deadline = Date.now() + 30_000
    while ((await openstack(admin, [...kind.split(' '), 'show', name])).code === 0) {
      if (Date.now() > deadline) throw new Error(`${kind} ${name} was not deleted`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  before(async () => {
    cloud = await startCloudProcess({ args: ['--services', 'identity,image,volume'] })
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    demo = { ...cloud.env, OS_CLOUD: 'cloudlet' }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('finds block storage in the catalog as block-storage and volumev3', async () => {
    const services = await json<Row[]>(['catalog', 'list'])
    const types = services.map((s) => s.Type)
    assert.ok(types.includes('block-storage') && types.includes('volumev3'), JSON.stringify(types))
    const v3 = services.find((s) => s.Type === 'volumev3')
    assert.equal(v3?.Name, 'cinderv3')
    assert.match(JSON.stringify(v3?.Endpoints), /\/volume\/v3/)
  })

  it('creates, lists, shows, sets and deletes volumes', async () => {
    const created = await json(
      ['volume', 'create', '--size', '1', '--property', 'a=b', '--description', 'd', 'cli-v1'],
      demo,
    )
    assert.equal(created.size, 1)
    assert.equal(created.type, '__DEFAULT__')
    await until('volume', 'cli-v1', 'available', demo)
    const listed = await json<Row[]>(['volume', 'list'], demo)
    assert.ok(listed.some((v) => v.Name === 'cli-v1' && v.Status === 'available' && v.Size === 1))
    await ok(['volume', 'set', '--size', '2', '--property', 'c=d', '--name', 'cli-v1b', 'cli-v1'], demo)
    await ok(['volume', 'set', '--bootable', '--read-only', 'cli-v1b'], demo)
    const shown = await json(['volume', 'show', 'cli-v1b'], demo)
    assert.equal(shown.size, 2)
    assert.equal(shown.bootable, 'true')
    assert.deepEqual(shown.properties, { a: 'b', c: 'd', readonly: 'True' })
    const noHost = await json(['volume', 'show', 'cli-v1b'], demo)
    assert.ok(!('os-vol-host-attr:host' in noHost), 'a member does not see the host')
    const asAdmin = await json(['volume', 'show', String(shown.id)])
    assert.match(String(asAdmin['os-vol-host-attr:host']), /@file#file$/)
    const tooSmall = await openstack(demo, ['volume', 'set', '--size', '1', 'cli-v1b'])
    assert.notEqual(tooSmall.code, 0)
    await ok(['volume', 'delete', 'cli-v1b'], demo)
    await gone('volume', String(shown.id))
  })

  it('manages volume types, and volumes of a type', async () => {
    const created = await json([
      'volume',
      'type',
      'create',
      '--private',
      '--property',
      'k=v',
      '--description',
      'fast',
      'cli-gold',
    ])
    assert.equal(created.is_public, false)
    await ok(['volume', 'type', 'set', '--property', 'x=y', 'cli-gold'])
    const demoProject = await json(['project', 'show', 'demo'])
    await ok(['volume', 'type', 'set', '--project', String(demoProject.id), 'cli-gold'])
    const shown = await json(['volume', 'type', 'show', 'cli-gold'])
    assert.deepEqual(shown.properties, { k: 'v', x: 'y' })
    assert.deepEqual(shown.access_project_ids, [demoProject.id])
    const listed = await json<Row[]>(['volume', 'type', 'list', '--long'])
    assert.ok(listed.some((t) => t.Name === 'cli-gold'))
    const vol = await json(['volume', 'create', '--size', '1', '--type', 'cli-gold', 'cli-typed'], demo)
    assert.equal(vol.type, 'cli-gold')
    await until('volume', 'cli-typed', 'available', demo)
    const inUse = await openstack(admin, ['volume', 'type', 'delete', 'cli-gold'])
    assert.notEqual(inUse.code, 0)
    await ok(['volume', 'delete', 'cli-typed'], demo)
    await gone('volume', String(vol.id))
    await ok(['volume', 'type', 'unset', '--project', String(demoProject.id), 'cli-gold'])
    await ok(['volume', 'type', 'delete', 'cli-gold'])
    assert.notEqual((await openstack(admin, ['volume', 'type', 'show', 'cli-gold'])).code, 0)
  })

  it('snapshots a volume and creates volumes from the snapshot and from the volume', async () => {
    await json(['volume', 'create', '--size', '1', 'cli-src'], demo)
    await until('volume', 'cli-src', 'available', demo)
    const snap = await json(
      ['volume', 'snapshot', 'create', '--volume', 'cli-src', '--property', 'p=q', 'cli-s1'],
      demo,
    )
    assert.equal(snap.size, 1)
    await until('volume snapshot', 'cli-s1', 'available', demo)
    await ok(['volume', 'snapshot', 'set', '--name', 'cli-s1b', '--property', 'r=s', 'cli-s1'], demo)
    const shown = await json(['volume', 'snapshot', 'show', 'cli-s1b'], demo)
    assert.deepEqual(shown.properties, { p: 'q', r: 's' })
    const listed = await json<Row[]>(['volume', 'snapshot', 'list'], demo)
    assert.ok(listed.some((s) => s.Name === 'cli-s1b'))
    const fromSnap = await json(
      ['volume', 'create', '--snapshot', 'cli-s1b', '--size', '2', 'cli-from-snap'],
      demo,
    )
    assert.equal(fromSnap.snapshot_id, snap.id)
    await until('volume', 'cli-from-snap', 'available', demo)
    const clone = await json(['volume', 'create', '--source', 'cli-src', 'cli-clone'], demo)
    await until('volume', 'cli-clone', 'available', demo)
    assert.equal(clone.size, 1)
    const busy = await openstack(demo, ['volume', 'delete', 'cli-src'])
    assert.notEqual(busy.code, 0, 'a volume with snapshots is not deleted')
    await ok(['volume', 'snapshot', 'delete', 'cli-s1b'], demo)
    await gone('volume snapshot', String(snap.id))
    await ok(['volume', 'delete', 'cli-src', 'cli-from-snap', 'cli-clone'], demo)
  })

  it('lists, disables and enables volume services', async () => {
    const services = await json<Row[]>(['volume', 'service', 'list'])
    const vol = services.find((s) => s.Binary === 'cinder-volume')!
    assert.equal(vol.State, 'up')
    await ok([
      'volume',
      'service',
      'set',
      '--disable',
      '--disable-reason',
      'maintenance',
      String(vol.Host),
      'cinder-volume',
    ])
    const disabled = await json<Row[]>(['volume', 'service', 'list', '--long'])
    const row = disabled.find((s) => s.Binary === 'cinder-volume')!
    assert.equal(row.Status, 'disabled')
    assert.equal(row['Disabled Reason'], 'maintenance')
    await ok(['volume', 'service', 'set', '--enable', String(vol.Host), 'cinder-volume'])
    const enabled = await json<Row[]>(['volume', 'service', 'list'])
    assert.equal(enabled.find((s) => s.Binary === 'cinder-volume')!.Status, 'enabled')
    const denied = await openstack(demo, ['volume', 'service', 'list'])
    assert.notEqual(denied.code, 0)
  })

  it('retypes on demand, manages qos, transfers and uploads volumes', async () => {
    await ok(['volume', 'type', 'create', 'cli-gold'])
    await json(['volume', 'create', '--size', '1', 'cli-rt'], demo)
    await until('volume', 'cli-rt', 'available', demo)
    await ok(['volume', 'set', '--type', 'cli-gold', '--retype-policy', 'on-demand', 'cli-rt'], demo)
    const deadline = Date.now() + 60_000
    let shown: Row = {}
    while (Date.now() < deadline) {
      shown = await json(['volume', 'show', 'cli-rt'])
      if (shown.status === 'available' && shown['os-vol-mig-status-attr:migstat'] === 'success') break
      await new Promise((r) => setTimeout(r, 200))
    }
    assert.equal(shown.type, 'cli-gold')
    assert.equal(shown['os-vol-mig-status-attr:migstat'], 'success')

    const qos = await json(['volume', 'qos', 'create', '--property', 'read_iops_sec=100', 'cli-q'])
    assert.equal(qos.name, 'cli-q')
    await ok(['volume', 'qos', 'associate', 'cli-q', 'cli-gold'])
    const q = await json(['volume', 'qos', 'show', 'cli-q'])
    assert.match(JSON.stringify(q.associations), /cli-gold/)
    await ok(['volume', 'qos', 'disassociate', '--volume-type', 'cli-gold', 'cli-q'])
    await ok(['volume', 'qos', 'delete', 'cli-q'])

    const tr = await json(['volume', 'transfer', 'request', 'create', '--name', 'cli-t', 'cli-rt'], demo)
    assert.equal(typeof tr.auth_key, 'string')
    const listed = await json<Row[]>(['volume', 'transfer', 'request', 'list'], demo)
    assert.ok(listed.some((x) => x.Name === 'cli-t'))
    const accepted = await json(
      ['volume', 'transfer', 'request', 'accept', '--auth-key', String(tr.auth_key), String(tr.id)],
      admin,
    )
    assert.equal(accepted.volume_id, tr.volume_id)
    const moved = await json(['volume', 'show', String(tr.volume_id)])
    const adminProject = await json(['project', 'show', 'admin'])
    assert.equal(moved['os-vol-tenant-attr:tenant_id'], adminProject.id)

    await json(['image', 'create', '--volume', 'cli-rt', '--disk-format', 'raw', 'cli-from-volume'])
    const imageDeadline = Date.now() + 300_000
    let img: Row = {}
    while (Date.now() < imageDeadline) {
      img = await json(['image', 'show', 'cli-from-volume'])
      if (img.status === 'active') break
      await new Promise((r) => setTimeout(r, 500))
    }
    assert.equal(img.status, 'active')
    assert.equal(img.disk_format, 'raw')
    await until('volume', 'cli-rt', 'available')
    await ok(['image', 'delete', 'cli-from-volume'])
    await ok(['volume', 'delete', 'cli-rt'])
    await gone('volume', 'cli-rt')
    await ok(['volume', 'type', 'delete', 'cli-gold'])
  })
})

describe('volume migrate and cloudlet volume update-host with the openstack CLI', {
  timeout: 600_000,
}, () => {
  const run = promisify(execFile)
  const CLOUDLET = join(process.cwd(), 'dist', 'src', 'cmd', 'cloudlet.js')
  let dataDir: string
  let cloud: CloudProcess | undefined
  after(async () => {
    await cloud?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('moves volumes of a renamed volume host: one by migrate, the rest by update-host', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-volume-move-'))
    const start = (host: string) =>
      startCloudProcess({
        dataDir,
        args: ['--services', 'identity,image,volume'],
        env: { OS_DEFAULT__HOST: host },
      })
    cloud = await start('oldbox')
    let admin: NodeJS.ProcessEnv = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    for (const name of ['mv-1', 'mv-2']) await openstackJson(admin, ['volume', 'create', '--size', '1', name])
    const settled = async (name: string, check: (v: Row) => boolean) => {
      const deadline = Date.now() + 60_000
      for (;;) {
        const v = await openstackJson(admin, ['volume', 'show', name])
        if (check(v)) return v
        if (Date.now() > deadline) throw new Error(`volume ${name}: ${JSON.stringify(v)}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    for (const name of ['mv-1', 'mv-2']) await settled(name, (v) => v.status === 'available')
    await cloud.stop()
    cloud = await start('newbox')
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    const before = await openstackJson(admin, ['volume', 'show', 'mv-1'])
    assert.equal(before['os-vol-host-attr:host'], 'oldbox@file#file')

    await openstackOk(admin, ['volume', 'migrate', '--host', 'newbox@file#file', 'mv-1'])
    const migrated = await settled('mv-1', (v) => v['os-vol-mig-status-attr:migstat'] === 'success')
    assert.equal(migrated['os-vol-host-attr:host'], 'newbox@file#file')
    const again = await openstack(admin, ['volume', 'migrate', '--host', 'newbox@file#file', 'mv-1'])
    assert.notEqual(again.code, 0, 'a migration to the host the volume is on is refused')

    const refused = await run(
      process.execPath,
      [CLOUDLET, 'volume', 'update-host', '--currenthost', 'oldbox@file', '--newhost', 'nowhere@file'],
      { env: admin },
    ).catch((e: { code: number; stderr: string }) => e)
    assert.equal((refused as { code: number }).code, 1)
    const { stdout } = await run(
      process.execPath,
      [CLOUDLET, 'volume', 'update-host', '--currenthost', 'oldbox@file', '--newhost', 'newbox@file'],
      { env: admin },
    )
    assert.match(stdout, /1 volume\(s\) moved/)
    const rehomed = await openstackJson(admin, ['volume', 'show', 'mv-2'])
    assert.equal(rehomed['os-vol-host-attr:host'], 'newbox@file#file')
  })
})
