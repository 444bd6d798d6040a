/**
 * The server operations through the real openstack CLI against `cloudlet up` (three
 * simulated hosts): reboot (soft, hard), stop/start, pause/unpause, suspend/resume,
 * lock with a reason (2.73) and unlock, rebuild with another image; resize with confirm and revert, cold migration (to a host, 2.56),
 * live migration, shelve / shelve --offload / unshelve into a zone (2.77), rescue and
 * unrescue, a crash dump, evacuation from a forced-down host, migration list, server set
 * --state, an image made from a server (and booted); each ends in upstream's state, and
 * placement's usage matches the servers.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
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

describe('server operations with the openstack CLI', { timeout: 1_200_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = admin) => openstackJson<T>(env, args)
  const ok = (args: string[], env = admin) => openstackOk(env, args)
  const show = (id: string) => json(['server', 'show', id])
  const hostOf = async (id: string) => String((await show(id))['OS-EXT-SRV-ATTR:host'])
  const waitFor = async (id: string, status: string) => {
    const until = Date.now() + 60_000
    for (;;) {
      const s = await show(id)
      if (s.status === status && !s['OS-EXT-STS:task_state']) return s
      if (Date.now() > until) throw new Error(`${id} stayed ${s.status}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  /** Placement's usage summed over every provider, and the servers' flavors summed. */
  const usageMatches = async () => {
    const providers = await json<Row[]>(['resource', 'provider', 'list'])
    let vcpu = 0
    for (const p of providers) {
      const rows = await json<Row[]>(['resource', 'provider', 'usage', 'show', String(p.uuid)])
      vcpu += Number(rows.find((r) => r.resource_class === 'VCPU')?.usage ?? 0)
    }
    const servers = await json<Row[]>(['server', 'list', '--all-projects', '--long'])
    const flavors = await json<Row[]>(['flavor', 'list', '--all'])
    const want = servers
      .filter((s) => s.Status !== 'SHELVED_OFFLOADED')
      .reduce(
        (n, s) =>
          n + Number(flavors.find((f) => f.Name === s['Flavor Name'] || f.Name === s.Flavor)?.VCPUs ?? 0),
        0,
      )
    assert.equal(vcpu, want, 'placement VCPU usage equals the flavors of the servers on hosts')
  }

  before(async () => {
    cloud = await startCloudProcess({
      // NOTE: CLI_OPS_PORT lets a run use the port range its machine gives it.
      port: Number(process.env.CLI_OPS_PORT ?? 16310),
      env: { OS_DEFAULT__SHELVED_OFFLOAD_TIME: '-1' },
    })
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    demo = { ...cloud.env, OS_CLOUD: 'cloudlet' }
    const file = join(cloud.dataDir, 'ops-cirros.img')
    writeFileSync(file, Buffer.alloc(4096, 7))
    await ok([
      'image',
      'create',
      '--public',
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--file',
      file,
      'ops-cirros',
    ])
  })
  after(async () => {
    await cloud?.stop()
  })

  const boot = async (name: string, env = demo) =>
    String(
      (await json(['server', 'create', '--image', 'ops-cirros', '--flavor', 'm1.tiny', '--wait', name], env))
        .id,
    )

  it('reboots soft and hard, stops, starts, pauses, suspends, locks with a reason, rebuilds', async () => {
    const id = await boot('cli-power')
    await ok(['server', 'reboot', '--soft', '--wait', id], demo)
    assert.equal((await waitFor(id, 'ACTIVE')).status, 'ACTIVE')
    await ok(['server', 'reboot', '--hard', '--wait', id], demo)
    assert.equal((await waitFor(id, 'ACTIVE')).status, 'ACTIVE')
    for (const [verb, status] of [
      ['stop', 'SHUTOFF'],
      ['start', 'ACTIVE'],
      ['pause', 'PAUSED'],
      ['unpause', 'ACTIVE'],
      ['suspend', 'SUSPENDED'],
      ['resume', 'ACTIVE'],
    ] as const) {
      await ok(['server', verb, id], demo)
      assert.equal((await waitFor(id, status)).status, status)
    }
    await ok(
      ['--os-compute-api-version', '2.73', 'server', 'lock', '--reason', 'maintenance window', id],
      demo,
    )
    const locked = await json(['--os-compute-api-version', '2.73', 'server', 'show', id])
    assert.equal(locked.locked, true)
    assert.equal(locked.locked_reason, 'maintenance window')
    // a locked server refuses its owner's actions (409) and stays as it was
    const refused = await openstack(demo, ['server', 'stop', id])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /locked.*HTTP 409/s)
    assert.equal((await show(id)).status, 'ACTIVE')
    await ok(['server', 'unlock', id], demo)
    assert.equal((await json(['--os-compute-api-version', '2.73', 'server', 'show', id])).locked, false)
    const file = join(cloud.dataDir, 'ops-other.img')
    writeFileSync(file, Buffer.alloc(2048, 9))
    const other = String(
      (
        await json([
          'image',
          'create',
          '--public',
          '--disk-format',
          'raw',
          '--container-format',
          'bare',
          '--file',
          file,
          'ops-other',
        ])
      ).id,
    )
    await ok(['server', 'rebuild', '--image', 'ops-other', '--wait', id], demo)
    const rebuilt = await waitFor(id, 'ACTIVE')
    assert.match(JSON.stringify(rebuilt.image), new RegExp(other))
    await usageMatches()
  })

  it('resizes, confirms and reverts', async () => {
    const id = await boot('cli-resize')
    await ok(['server', 'resize', '--flavor', 'm1.small', '--wait', id], demo)
    const verify = await show(id)
    assert.equal(verify.status, 'VERIFY_RESIZE')
    await ok(['server', 'resize', 'confirm', id], demo)
    const done = await waitFor(id, 'ACTIVE')
    assert.match(JSON.stringify(done.flavor), /m1\.small/)
    const host = await hostOf(id)
    await ok(['server', 'resize', '--flavor', 'm1.tiny', '--wait', id], demo)
    await ok(['server', 'resize', 'revert', id], demo)
    const back = await waitFor(id, 'ACTIVE')
    assert.match(JSON.stringify(back.flavor), /m1\.small/)
    assert.equal(back['OS-EXT-SRV-ATTR:host'], host)
    await usageMatches()
  })

  it('cold-migrates (to a host at 2.56) and live-migrates; lists the migrations', async () => {
    const id = await boot('cli-migrate')
    const from = await hostOf(id)
    await ok(['server', 'migrate', '--wait', id])
    assert.equal((await show(id)).status, 'VERIFY_RESIZE')
    await ok(['server', 'migration', 'confirm', id])
    const moved = await waitFor(id, 'ACTIVE')
    assert.notEqual(moved['OS-EXT-SRV-ATTR:host'], from)
    const hosts = (await json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute'])).map((s) =>
      String(s.Host),
    )
    const target = hosts.find((h) => h !== moved['OS-EXT-SRV-ATTR:host'])!
    await ok(['--os-compute-api-version', '2.56', 'server', 'migrate', '--host', target, '--wait', id])
    await ok(['server', 'migration', 'confirm', id])
    assert.equal((await waitFor(id, 'ACTIVE'))['OS-EXT-SRV-ATTR:host'], target)
    await ok(['server', 'migrate', '--live-migration', '--wait', id])
    const live = await waitFor(id, 'ACTIVE')
    assert.notEqual(live['OS-EXT-SRV-ATTR:host'], target)
    const migrations = await json<Row[]>([
      '--os-compute-api-version',
      '2.80',
      'server',
      'migration',
      'list',
      '--server',
      id,
    ])
    assert.deepEqual(migrations.map((m) => [m.Type ?? m['Migration Type'], m.Status]).sort(), [
      ['live-migration', 'completed'],
      ['migration', 'confirmed'],
      ['migration', 'confirmed'],
    ])
    await usageMatches()
  })

  it('shelves, offloads and unshelves into a zone', async () => {
    const id = await boot('cli-shelve')
    await ok(['server', 'shelve', '--wait', id], demo)
    assert.equal((await show(id)).status, 'SHELVED')
    await ok(['server', 'shelve', '--offload', '--wait', id])
    const off = await show(id)
    assert.equal(off.status, 'SHELVED_OFFLOADED')
    await usageMatches()
    await ok(
      ['--os-compute-api-version', '2.77', 'server', 'unshelve', '--availability-zone', 'nova', '--wait', id],
      demo,
    )
    assert.equal((await waitFor(id, 'ACTIVE'))['OS-EXT-AZ:availability_zone'], 'nova')
    await usageMatches()
  })

  it('rescues, unrescues, dumps, and sets the state', async () => {
    const id = await boot('cli-rescue')
    await ok(['server', 'rescue', id], demo)
    await waitFor(id, 'RESCUE')
    await ok(['server', 'unrescue', id], demo)
    await waitFor(id, 'ACTIVE')
    await ok(['--os-compute-api-version', '2.17', 'server', 'dump', 'create', id], demo)
    await ok(['server', 'set', '--state', 'error', id])
    assert.equal((await show(id)).status, 'ERROR')
    await ok(['server', 'set', '--state', 'active', id])
    assert.equal((await show(id)).status, 'ACTIVE')
    // a refused action: unrescue of a server that is not in rescue
    const refused = await openstack(demo, ['server', 'unrescue', id])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /HTTP 409/)
  })

  it('makes an image from a server (--wait) that boots a server', async () => {
    const id = await boot('cli-snapshot')
    const image = await json(
      [
        'server',
        'image',
        'create',
        '--name',
        'cli-snapshot-image',
        '--property',
        'purpose=cli',
        '--wait',
        id,
      ],
      demo,
    )
    assert.equal(image.status, 'active')
    const shown = await json(['image', 'show', String(image.id)], demo)
    const props = shown.properties as Row
    assert.equal(props.image_type, 'snapshot')
    assert.equal(props.instance_uuid, id)
    assert.equal(props.purpose, 'cli')
    assert.ok(Number(shown.size) > 0, 'the disk bytes were uploaded')
    assert.equal((await waitFor(id, 'ACTIVE')).status, 'ACTIVE')
    const from = await json(
      ['server', 'create', '--image', String(image.id), '--flavor', 'm1.tiny', '--wait', 'cli-from-snapshot'],
      demo,
    )
    assert.equal(from.status, 'ACTIVE')
    await usageMatches()
  })

  it('evacuates from a forced-down host', async () => {
    const id = await boot('cli-evacuate')
    const from = await hostOf(id)
    const up = await openstack(admin, ['server', 'evacuate', id])
    assert.notEqual(up.code, 0)
    assert.match(up.stderr, /still in use.*HTTP 400/s)
    await ok([
      '--os-compute-api-version',
      '2.11',
      'compute',
      'service',
      'set',
      '--down',
      from,
      'nova-compute',
    ])
    // NOTE: openstackclient 6.0.0 sends the evacuate, then reads the server from what
    // novaclient answers for it (a tuple) and fails with "'TupleWithMeta' object has no
    // attribute ..." whatever the cloud said (upstream Nova too); the request was sent,
    // so the test checks the server itself.
    const sent = await openstack(admin, ['server', 'evacuate', id])
    if (sent.code !== 0) assert.match(sent.stderr, /TupleWithMeta/)
    const s = await waitFor(id, 'ACTIVE')
    assert.notEqual(s['OS-EXT-SRV-ATTR:host'], from)
    await ok(['--os-compute-api-version', '2.11', 'compute', 'service', 'set', '--up', from, 'nova-compute'])
    await usageMatches()
  })
})
