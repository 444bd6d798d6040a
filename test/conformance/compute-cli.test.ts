/**
 * Compute through the real openstack CLI against a cloud started with `cloudlet up`:
 * flavors (create, set --property, list, show, access, delete), key pairs (import,
 * generate, list, delete), server groups, aggregates with a zone, hosts and properties,
 * availability zones, quotas and absolute limits; then servers on the simulated hypervisors
 * (create --wait with image, flavor, key, zone, hints and --min/--max; list filters; show;
 * set/unset; events; delete --wait back to zero placement usage), compute services and
 * hypervisors, as an operator would drive them.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
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

/** An ed25519 public key in OpenSSH form, from node:crypto. */
function sshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'jwk' }).x as string
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(Buffer.from(raw, 'base64url'))])
  return `ssh-ed25519 ${blob.toString('base64')} cli@test`
}

// NOTE: 15 scenarios of one to a few dozen client calls each: about 5 minutes on an idle
// machine, over 10 when several test runs share two cores (each call starts Python).
describe('compute with the openstack CLI', { timeout: 1_200_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = admin) => openstackJson<T>(env, args)
  const ok = (args: string[], env = admin) => openstackOk(env, args)

  before(async () => {
    // NOTE: upstream's default filters ignore same_host/different_host; the hint scenarios
    // enable the two filters as an operator would.
    cloud = await startCloudProcess({
      env: {
        OS_FILTER_SCHEDULER__ENABLED_FILTERS:
          'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,SameHostFilter,DifferentHostFilter',
      },
    })
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    demo = { ...cloud.env, OS_CLOUD: 'cloudlet' }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('finds compute in the catalog at a versioned endpoint', async () => {
    const services = await json<Row[]>(['catalog', 'list'])
    const compute = services.find((s) => s.Type === 'compute')
    assert.equal(compute?.Name, 'nova')
    assert.match(JSON.stringify(compute?.Endpoints), /\/compute\/v2\.1/)
  })

  it('creates, sets, lists, shows, shares and deletes flavors', async () => {
    const listed = await json<Row[]>(['flavor', 'list'])
    assert.ok(listed.some((f) => f.Name === 'm1.tiny' && f.ID === '1'))
    const created = await json([
      'flavor',
      'create',
      '--id',
      'cli-1',
      '--ram',
      '256',
      '--disk',
      '1',
      '--vcpus',
      '2',
      '--private',
      '--property',
      'hw:cpu_policy=dedicated',
      'cli-flavor',
    ])
    assert.equal(created.id, 'cli-1')
    assert.equal(created['os-flavor-access:is_public'], false)
    await ok([
      'flavor',
      'set',
      '--property',
      'hw:mem_encryption=true',
      '--property',
      'resources:VCPU=2',
      'cli-flavor',
    ])
    const demoProject = await json(['project', 'show', 'demo'])
    await ok(['flavor', 'set', '--project', String(demoProject.id), 'cli-flavor'])
    const shown = await json(['flavor', 'show', 'cli-flavor'])
    assert.deepEqual(shown.properties, {
      'hw:cpu_policy': 'dedicated',
      'hw:mem_encryption': 'true',
      'resources:VCPU': '2',
    })
    assert.deepEqual(shown.access_project_ids, [demoProject.id])
    // The demo project now sees the private flavor.
    const seen = await json<Row[]>(['flavor', 'list'], demo)
    assert.ok(seen.some((f) => f.ID === 'cli-1'))
    const badSpec = await openstack(admin, [
      '--os-compute-api-version',
      '2.86',
      'flavor',
      'set',
      '--property',
      'hw:cpu_policy=lazy',
      'cli-flavor',
    ])
    assert.notEqual(badSpec.code, 0)
    assert.match(badSpec.stderr, /is not one of/)
    await ok(['flavor', 'unset', '--project', String(demoProject.id), 'cli-flavor'])
    await ok(['flavor', 'delete', 'cli-flavor'])
    const gone = await openstack(admin, ['flavor', 'show', 'cli-1'])
    assert.notEqual(gone.code, 0)
  })

  it('imports, generates, lists and deletes key pairs', async () => {
    const file = join(cloud.dataDir, 'cli-key.pub')
    writeFileSync(file, `${sshPublicKey()}\n`)
    const imported = await json(['keypair', 'create', '--public-key', file, 'cli-imported'], demo)
    assert.match(String(imported.fingerprint), /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/)
    const privateKey = await ok(['keypair', 'create', 'cli-generated'], demo)
    assert.match(privateKey, /BEGIN RSA PRIVATE KEY/)
    const listed = await json<Row[]>(['keypair', 'list'], demo)
    assert.deepEqual(listed.map((k) => k.Name).sort(), ['cli-generated', 'cli-imported'])
    assert.deepEqual(await json<Row[]>(['keypair', 'list']), [], "the admin does not see demo's key pairs")
    await ok(['keypair', 'delete', 'cli-imported', 'cli-generated'], demo)
    assert.deepEqual(await json<Row[]>(['keypair', 'list'], demo), [])
  })

  it('creates, lists and deletes server groups', async () => {
    const group = await json(
      ['server', 'group', 'create', '--policy', 'soft-anti-affinity', 'cli-group'],
      demo,
    )
    assert.equal(group.policy, 'soft-anti-affinity')
    const listed = await json<Row[]>(['server', 'group', 'list'], demo)
    assert.deepEqual(
      listed.map((g) => g.Name),
      ['cli-group'],
    )
    await ok(['server', 'group', 'delete', 'cli-group'], demo)
    assert.deepEqual(await json<Row[]>(['server', 'group', 'list'], demo), [])
  })

  it('creates aggregates, adds hosts, sets a zone and properties; lists zones', async () => {
    const agg = await json(['aggregate', 'create', '--zone', 'az-cli', 'cli-agg'])
    assert.equal(agg.availability_zone, 'az-cli')
    // NOTE: only a host with a running nova-compute service may join an aggregate.
    const host = String((await json<Row[]>(['hypervisor', 'list']))[0]!['Hypervisor Hostname'])
    const unknown = await openstack(admin, ['aggregate', 'add', 'host', 'cli-agg', 'compute-cli-1'])
    assert.match(unknown.stderr, /could not be found/)
    const withHost = await json(['aggregate', 'add', 'host', 'cli-agg', host])
    assert.deepEqual(withHost.hosts, [host])
    await ok(['aggregate', 'set', '--zone', 'az-cli-2', '--property', 'ssd=true', 'cli-agg'])
    const shown = await json(['aggregate', 'show', 'cli-agg'])
    assert.equal(shown.availability_zone, 'az-cli-2')
    assert.equal((shown.properties as Row).ssd, 'true')
    const other = await json(['aggregate', 'create', '--zone', 'az-other', 'cli-agg-2'])
    const clash = await openstack(admin, ['aggregate', 'add', 'host', String(other.id), host])
    assert.notEqual(clash.code, 0, 'a host is in one zone at most')
    // The host's zone is the aggregate's; the other simulated hosts stay in the default zone,
    // and an admin also sees the services' internal zone.
    const zones = await json<Row[]>(['availability', 'zone', 'list', '--compute'])
    assert.deepEqual(zones.map((z) => z['Zone Name']).sort(), ['az-cli-2', 'internal', 'nova'])
    await ok(['aggregate', 'remove', 'host', 'cli-agg', host])
    await ok(['aggregate', 'delete', 'cli-agg', 'cli-agg-2'])
  })

  it('sets and shows quotas; shows absolute limits', async () => {
    await ok(['quota', 'set', '--cores', '30', '--instances', '12', '--key-pairs', '7', 'demo'])
    const quota = await json(['quota', 'show', 'demo'])
    assert.equal(quota.cores, 30)
    assert.equal(quota.instances, 12)
    assert.equal(quota['key-pairs'], 7)
    const limits = await json<Row[]>(['limits', 'show', '--absolute'], demo)
    const byName = new Map(limits.map((l) => [l.Name, l.Value]))
    assert.equal(byName.get('maxTotalCores'), 30)
    assert.equal(byName.get('maxTotalInstances'), 12)
    assert.equal(byName.get('totalCoresUsed'), 0)
  })

  describe('servers on the simulated hypervisors', () => {
    let imageId = ''
    let first: Row = {}
    let second: Row = {}
    const boot = (extra: string[], name: string) =>
      json(
        [
          'server',
          'create',
          '--image',
          'cli-cirros',
          '--flavor',
          'm1.tiny',
          '--key-name',
          'cli-boot-key',
          '--wait',
          ...extra,
          name,
        ],
        demo,
      )
    const hostOf = async (id: string) =>
      String((await json(['server', 'show', id]))['OS-EXT-SRV-ATTR:host'] ?? '')

    /** Placement usage summed over every compute node root provider. */
    async function usages(): Promise<Record<string, number>> {
      const providers = await json<Row[]>(['resource', 'provider', 'list'])
      const sum: Record<string, number> = {}
      for (const p of providers) {
        const rows = await json<Row[]>(['resource', 'provider', 'usage', 'show', String(p.uuid)])
        for (const r of rows)
          sum[String(r.resource_class)] = (sum[String(r.resource_class)] ?? 0) + Number(r.usage)
      }
      return sum
    }

    before(async () => {
      // A small raw image is enough: the fake driver never reads the bits.
      const file = join(cloud.dataDir, 'cli-cirros.img')
      writeFileSync(file, Buffer.alloc(4096, 7))
      const image = await json(
        [
          'image',
          'create',
          '--disk-format',
          'raw',
          '--container-format',
          'bare',
          '--file',
          file,
          'cli-cirros',
        ],
        demo,
      )
      imageId = String(image.id)
      assert.equal((await json(['image', 'show', imageId], demo)).status, 'active')
      const key = join(cloud.dataDir, 'cli-boot-key.pub')
      writeFileSync(key, `${sshPublicKey()}\n`)
      await ok(['keypair', 'create', '--public-key', key, 'cli-boot-key'], demo)
    })

    it('boots with image, flavor, key, zone, properties and tags; --wait returns ACTIVE', async () => {
      first = await boot(
        ['--availability-zone', 'nova', '--property', 'role=web', '--tag', 'blue', '--description', 'first'],
        'cli-web',
      )
      assert.equal(first.status, 'ACTIVE')
      assert.equal(first.key_name, 'cli-boot-key')
      assert.equal(first['OS-EXT-AZ:availability_zone'], 'nova')
      assert.equal(first.description, 'first')
      assert.match(String(first.image), new RegExp(imageId))
    })

    it('honours a different_host hint and --min/--max', async () => {
      second = await boot(['--hint', `different_host=${first.id}`], 'cli-apart')
      assert.equal(second.status, 'ACTIVE')
      assert.notEqual(await hostOf(String(second.id)), await hostOf(String(first.id)))
      const sameHost = await boot(['--hint', `same_host=${first.id}`, '--min', '2', '--max', '2'], 'cli-pair')
      assert.equal(sameHost.status, 'ACTIVE')
      const pair = await json<Row[]>(['server', 'list', '--name', '^cli-pair', '--long'], demo)
      assert.deepEqual(pair.map((s) => s.Name).sort(), ['cli-pair-1', 'cli-pair-2'])
      // NOTE: --wait waits for the first server only; the second is polled until it settles.
      for (let i = 0; i < 50; i++) {
        const rows = await json<Row[]>(['server', 'list', '--name', '^cli-pair'], demo)
        if (rows.every((r) => r.Status === 'ACTIVE')) break
        await new Promise((r) => setTimeout(r, 200))
      }
      for (const s of pair) assert.equal(await hostOf(String(s.ID)), await hostOf(String(first.id)))
      const bad = await openstack(demo, [
        'server',
        'create',
        '--image',
        'cli-cirros',
        '--flavor',
        'm1.tiny',
        '--hint',
        'different_host=not-a-uuid',
        'cli-bad-hint',
      ])
      assert.notEqual(bad.code, 0)
      assert.match(bad.stderr, /HTTP 400/)
    })

    it('lists servers with filters and shows one', async () => {
      const all = await json<Row[]>(['server', 'list'], demo)
      assert.equal(all.length, 4)
      const byTag = await json<Row[]>(['server', 'list', '--tags', 'blue'], demo)
      assert.deepEqual(
        byTag.map((s) => s.Name),
        ['cli-web'],
      )
      const byStatus = await json<Row[]>(
        ['server', 'list', '--status', 'ACTIVE', '--flavor', 'm1.tiny'],
        demo,
      )
      assert.equal(byStatus.length, 4)
      const byImage = await json<Row[]>(['server', 'list', '--image', imageId, '--name', 'cli-apart'], demo)
      assert.deepEqual(
        byImage.map((s) => s.ID),
        [second.id],
      )
      const host = await hostOf(String(first.id))
      const onHost = await json<Row[]>(['server', 'list', '--all-projects', '--host', host])
      assert.deepEqual(onHost.map((s) => s.Name).sort(), ['cli-pair-1', 'cli-pair-2', 'cli-web'])
      const none = await json<Row[]>(['server', 'list', '--status', 'ERROR'], demo)
      assert.deepEqual(none, [])
      const shown = await json(['server', 'show', 'cli-web'], demo)
      assert.equal(shown.id, first.id)
      assert.deepEqual(shown.properties, { role: 'web' })
      assert.deepEqual(shown.tags, ['blue'])
      assert.equal(shown['OS-EXT-STS:vm_state'], 'active')
      assert.equal(shown['OS-EXT-STS:power_state'], 1)
      assert.equal(shown['OS-EXT-SRV-ATTR:host'], undefined, 'a member does not see the host')
    })

    it('sets and unsets properties and tags', async () => {
      await ok(['server', 'set', '--property', 'tier=gold', '--tag', 'green', 'cli-web'], demo)
      let shown = await json(['server', 'show', 'cli-web'], demo)
      assert.deepEqual(shown.properties, { role: 'web', tier: 'gold' })
      assert.deepEqual((shown.tags as string[]).sort(), ['blue', 'green'])
      await ok(['server', 'unset', '--property', 'role', '--tag', 'blue', 'cli-web'], demo)
      shown = await json(['server', 'show', 'cli-web'], demo)
      assert.deepEqual(shown.properties, { tier: 'gold' })
      assert.deepEqual(shown.tags, ['green'])
    })

    it('lists and shows server events', async () => {
      const events = await json<Row[]>(['server', 'event', 'list', 'cli-web'], demo)
      assert.deepEqual(
        events.map((e) => e.Action),
        ['create'],
      )
      const requestId = String(events[0]!['Request ID'])
      const member = await json(['server', 'event', 'show', 'cli-web', requestId], demo)
      assert.equal(member.action, 'create')
      assert.equal(member.request_id, requestId)
      const asAdmin = await json(['server', 'event', 'show', String(first.id), requestId])
      const steps = asAdmin.events as Row[]
      assert.ok(steps.length > 0)
      assert.ok(
        steps.every((e) => e.result === 'Success'),
        JSON.stringify(steps),
      )
    })

    it('shows hypervisors and their statistics', async () => {
      const hypervisors = await json<Row[]>(['hypervisor', 'list'])
      assert.equal(hypervisors.length, 3)
      assert.ok(hypervisors.every((h) => h.State === 'up' && h['Hypervisor Type'] === 'fake'))
      const host = await hostOf(String(first.id))
      const shown = await json(['hypervisor', 'show', host])
      assert.equal(shown.hypervisor_hostname, host)
      assert.equal(shown.status, 'enabled')
      // NOTE: statistics were removed at 2.88, so the CLI asks for them at 2.87.
      const stats = await json(['--os-compute-api-version', '2.87', 'hypervisor', 'stats', 'show'])
      assert.equal(stats.count, 3)
      assert.equal(stats.running_vms, 4)
      assert.equal(stats.vcpus_used, 4)
      assert.ok(Number(stats.memory_mb_used) >= 4 * 512)
    })

    it('disables a compute service with a reason; a disabled host gets no new builds', async () => {
      const services = await json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute'])
      assert.equal(services.length, 3)
      const target = await hostOf(String(second.id))
      await ok([
        'compute',
        'service',
        'set',
        '--disable',
        '--disable-reason',
        'cli maintenance',
        target,
        'nova-compute',
      ])
      const listed = await json<Row[]>(['compute', 'service', 'list', '--long', '--host', target])
      assert.equal(listed[0]!.Status, 'disabled')
      assert.equal(listed[0]!['Disabled Reason'], 'cli maintenance')
      const forced = await openstack(demo, [
        'server',
        'create',
        '--image',
        'cli-cirros',
        '--flavor',
        'm1.tiny',
        '--hint',
        `same_host=${second.id}`,
        '--wait',
        'cli-on-disabled',
      ])
      // NOTE: the client reports a build that ends in ERROR on its output but exits 0.
      assert.match(forced.stdout + forced.stderr, /Error creating server/)
      const failed = await json(['server', 'show', 'cli-on-disabled'], demo)
      assert.equal(failed.status, 'ERROR')
      // The only host the hint allows is disabled: its provider carries
      // COMPUTE_STATUS_DISABLED from the moment the service was disabled, so placement
      // leaves it out and the hint removes the two hosts left.
      assert.match(
        JSON.stringify(failed.fault),
        /No valid host was found\. Placement returned 2 candidates; SameHostFilter removed 2/,
      )
      await ok(['server', 'delete', '--wait', 'cli-on-disabled'], demo)
      await ok(['compute', 'service', 'set', '--enable', target, 'nova-compute'])
      const back = await json<Row[]>([
        'compute',
        'service',
        'list',
        '--host',
        target,
        '--service',
        'nova-compute',
      ])
      assert.equal(back[0]!.Status, 'enabled')
    })

    it('usage list and usage show count the servers of the period', async () => {
      // `-f json` gives the Servers column as the servers' usages (a table shows their count)
      const count = (v: unknown) => (Array.isArray(v) ? v.length : Number(v))
      // four servers run in the demo project (cli-web, cli-apart, cli-pair-1, cli-pair-2)
      const rows = await json<Row[]>(['usage', 'list'])
      const busy = rows.find((r) => count(r.Servers) >= 4)
      assert.ok(busy, JSON.stringify(rows))
      // a running server counts to the period's end (upstream's rule): the default period
      // ends a day from now
      assert.ok(Number(busy['RAM MB-Hours']) >= 4 * 512 * 23, JSON.stringify(busy))
      const shown = await json(['usage', 'show'], demo)
      assert.ok(count(shown.Servers) >= 4, JSON.stringify(shown))
      assert.ok(Number(shown['CPU Hours']) > 0, JSON.stringify(shown))
      // a member may not list every project's usage
      const refused = await openstack(demo, ['usage', 'list'])
      assert.notEqual(refused.code, 0)
    })

    it('deletes with --wait and leaves no placement usage', async () => {
      const before = await usages()
      assert.equal(before.VCPU, 4)
      assert.equal(before.MEMORY_MB, 4 * 512)
      assert.equal(before.DISK_GB, 4)
      await ok(['server', 'delete', '--wait', 'cli-web', 'cli-apart', 'cli-pair-1', 'cli-pair-2'], demo)
      assert.deepEqual(await json<Row[]>(['server', 'list'], demo), [])
      const after = await usages()
      assert.deepEqual(
        Object.values(after).filter((n) => n !== 0),
        [],
        JSON.stringify(after),
      )
    })
  })
})
