/**
 * Servers and volumes through the real openstack CLI against `cloudlet up` (identity,
 * image, placement, compute, volume): `server add volume` / `server volume list` /
 * `server remove volume` (the volume in-use, then available), `server create
 * --boot-from-volume SIZE` (an image copied to a new bootable volume, the server's image
 * "N/A (booted from volume)"), `volume create --image` then `server create
 * --volume` with a blank data volume by `--block-device`, and `server delete --wait`
 * leaving the volumes the user keeps available; `volume backup create` (full, then
 * `--incremental` after the volume changed) and `volume backup restore` to new volumes,
 * the bytes checked by sha256 against the source's at each backup.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  type CloudProcess,
  openstack,
  openstackJson,
  openstackOk,
  startCloudProcess,
} from '../support/cloud-process.js'

type Row = Record<string, unknown>

describe('server volumes with the openstack CLI', { timeout: 900_000 }, () => {
  let cloud: CloudProcess
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = demo) => openstackJson<T>(env, args)
  const ok = (args: string[], env = demo) => openstackOk(env, args)

  async function volumeStatus(name: string, status: string): Promise<Row> {
    const deadline = Date.now() + 60_000
    for (;;) {
      const v = await json(['volume', 'show', name])
      if (v.status === status) return v
      if (Date.now() > deadline) throw new Error(`volume ${name} stayed ${String(v.status)}`)
      await new Promise((r) => setTimeout(r, 300))
    }
  }

  const boot = (extra: string[], name: string) =>
    json(['server', 'create', '--flavor', 'm1.tiny', '--nic', 'none', '--wait', ...extra, name])

  before(async () => {
    cloud = await startCloudProcess({ args: ['--services', 'identity,image,placement,compute,volume'] })
    demo = { ...cloud.env, OS_CLOUD: 'cloudlet' }
    const file = join(cloud.dataDir, 'cli-vol.img')
    writeFileSync(file, Buffer.alloc(4096, 9))
    await ok(
      [
        'image',
        'create',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--file',
        file,
        '--public',
        'cli-vol-image',
      ],
      { ...cloud.env, OS_CLOUD: 'cloudlet-admin' },
    )
  })
  after(async () => {
    await cloud?.stop()
  })

  it('adds, lists and removes a volume on a running server', async () => {
    const server = await boot(['--image', 'cli-vol-image'], 'cli-attach')
    assert.equal(server.status, 'ACTIVE')
    await ok(['volume', 'create', '--size', '1', 'cli-data'])
    await volumeStatus('cli-data', 'available')
    await ok(['server', 'add', 'volume', 'cli-attach', 'cli-data'])
    const inUse = await volumeStatus('cli-data', 'in-use')
    assert.match(JSON.stringify(inUse.attachments), new RegExp(String(server.id)))
    const listed = await json<Row[]>(['server', 'volume', 'list', 'cli-attach'])
    assert.equal(listed.length, 1)
    assert.equal(listed[0]!.Device, '/dev/vdb')
    assert.equal(listed[0]!['Volume ID'], inUse.id)
    const shown = await json(['server', 'show', 'cli-attach'])
    assert.match(JSON.stringify(shown.volumes_attached), new RegExp(String(inUse.id)))
    await ok(['server', 'remove', 'volume', 'cli-attach', 'cli-data'])
    await volumeStatus('cli-data', 'available')
    assert.deepEqual(await json<Row[]>(['server', 'volume', 'list', 'cli-attach']), [])
    await ok(['server', 'delete', '--wait', 'cli-attach'])
  })

  it('boots from a new volume (--boot-from-volume) and from an existing one (--block-device)', async () => {
    const bfv = await boot(['--image', 'cli-vol-image', '--boot-from-volume', '1'], 'cli-bfv')
    assert.equal(bfv.status, 'ACTIVE', JSON.stringify(bfv))
    const shown = await json(['server', 'show', 'cli-bfv'])
    assert.match(String(shown.image), /booted from volume/)
    const root = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(
      JSON.stringify(shown.volumes_attached),
    )
    assert.ok(root, JSON.stringify(shown.volumes_attached))
    const rootVolume = await json(['volume', 'show', root[1]!])
    assert.equal(rootVolume.status, 'in-use')
    assert.equal(String(rootVolume.bootable), 'true')

    await ok(['volume', 'create', '--size', '1', '--image', 'cli-vol-image', 'cli-boot'])
    const boot2 = await volumeStatus('cli-boot', 'available')
    assert.equal(String(boot2.bootable), 'true')
    // OSC 6.0 wants --image, --volume or --snapshot: the boot volume by --volume, a blank
    // data volume by --block-device (deleted with the server)
    const bd = await boot(
      [
        '--volume',
        'cli-boot',
        '--block-device',
        'source_type=blank,destination_type=volume,volume_size=1,delete_on_termination=true,boot_index=1',
      ],
      'cli-bd',
    )
    assert.equal(bd.status, 'ACTIVE', JSON.stringify(bd))
    await volumeStatus('cli-boot', 'in-use')
    const bdShown = await json(['server', 'show', 'cli-bd'])
    const ids = [
      ...JSON.stringify(bdShown.volumes_attached).matchAll(
        /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      ),
    ].map((m) => m[0])
    assert.equal(ids.length, 2, JSON.stringify(bdShown.volumes_attached))
    const blank = ids.find((id) => id !== boot2.id)!
    assert.equal((await json(['volume', 'show', blank])).status, 'in-use')

    await ok(['server', 'delete', '--wait', 'cli-bfv', 'cli-bd'])
    // the boot volumes did not ask for delete on termination: they stay, available; the
    // blank one did: it goes
    await volumeStatus('cli-boot', 'available')
    await volumeStatus(root[1]!, 'available')
    const deadline = Date.now() + 60_000
    while ((await openstack(demo, ['volume', 'show', blank])).code === 0) {
      if (Date.now() > deadline) throw new Error(`volume ${blank} was not deleted`)
      await new Promise((r) => setTimeout(r, 300))
    }
  })

  it('backs up (full and incremental) and restores volumes with the same bytes', async () => {
    const file = (id: string) => join(cloud.dataDir, 'volume', 'volumes', `volume-${id}`)
    const sha = (id: string) =>
      createHash('sha256')
        .update(readFileSync(file(id)))
        .digest('hex')
    const scribble = (id: string, offset: number) => {
      const fd = openSync(file(id), 'r+')
      writeSync(fd, randomBytes(1024 * 1024 + 5), 0, 1024 * 1024 + 5, offset)
      closeSync(fd)
    }
    await ok(['volume', 'create', '--size', '1', 'cli-src'])
    const src = await volumeStatus('cli-src', 'available')
    scribble(String(src.id), 0)
    const first = sha(String(src.id))
    await ok(['volume', 'backup', 'create', '--name', 'cli-full', 'cli-src'])
    const backupStatus = async (name: string, status: string) => {
      const deadline = Date.now() + 60_000
      for (;;) {
        const b = await json(['volume', 'backup', 'show', name])
        if (b.status === status) return b
        if (Date.now() > deadline) throw new Error(`backup ${name} stayed ${String(b.status)}`)
        await new Promise((r) => setTimeout(r, 300))
      }
    }
    await backupStatus('cli-full', 'available')
    await volumeStatus('cli-src', 'available')
    scribble(String(src.id), 512 * 1024 * 1024)
    const second = sha(String(src.id))
    await ok(['volume', 'backup', 'create', '--incremental', '--name', 'cli-inc', 'cli-src'])
    const inc = await backupStatus('cli-inc', 'available')
    assert.equal(String(inc.is_incremental).toLowerCase(), 'true')
    // NOTE: OSC 6.0's `volume backup restore` sends the restore and gets the 202, then
    // fails to print it ("cannot unpack non-iterable VolumeBackupsRestore object", its
    // ShowOne returns the object instead of columns and data): the restore itself is
    // checked below by the volumes it made and their bytes.
    for (const [backup, target] of [
      ['cli-full', 'cli-from-full'],
      ['cli-inc', 'cli-from-inc'],
    ] as const) {
      const r = await openstack(demo, ['volume', 'backup', 'restore', backup, target])
      assert.ok(
        r.code === 0 || /cannot unpack non-iterable VolumeBackupsRestore/.test(r.stderr),
        `${r.code}: ${r.stderr}`,
      )
    }
    const fromFull = await volumeStatus('cli-from-full', 'available')
    const fromInc = await volumeStatus('cli-from-inc', 'available')
    assert.equal(sha(String(fromFull.id)), first)
    assert.equal(sha(String(fromInc.id)), second)
    await ok(['volume', 'backup', 'delete', 'cli-inc'])
    const listed = await json<Row[]>(['volume', 'backup', 'list'])
    assert.ok(
      listed.some((b) => b.Name === 'cli-full'),
      JSON.stringify(listed),
    )
  })
})
