/**
 * Compute through the real openstack CLI against a cloud started with `cloudlet up`:
 * flavors (create, set --property, list, show, access, delete), key pairs (import,
 * generate, list, delete), server groups, aggregates with a zone, hosts and properties,
 * availability zones, quotas and absolute limits, as an operator would drive them.
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

describe('compute with the openstack CLI', { timeout: 600_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = admin) => openstackJson<T>(env, args)
  const ok = (args: string[], env = admin) => openstackOk(env, args)

  before(async () => {
    cloud = await startCloudProcess()
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
    const withHost = await json(['aggregate', 'add', 'host', 'cli-agg', 'compute-cli-1'])
    assert.deepEqual(withHost.hosts, ['compute-cli-1'])
    await ok(['aggregate', 'set', '--zone', 'az-cli-2', '--property', 'ssd=true', 'cli-agg'])
    const shown = await json(['aggregate', 'show', 'cli-agg'])
    assert.equal(shown.availability_zone, 'az-cli-2')
    assert.equal((shown.properties as Row).ssd, 'true')
    const other = await json(['aggregate', 'create', '--zone', 'az-other', 'cli-agg-2'])
    const clash = await openstack(admin, ['aggregate', 'add', 'host', String(other.id), 'compute-cli-1'])
    assert.notEqual(clash.code, 0, 'a host is in one zone at most')
    // No compute hosts run yet, so no zone is listed (as upstream without compute services).
    assert.deepEqual(await json<Row[]>(['availability', 'zone', 'list', '--compute']), [])
    await ok(['aggregate', 'remove', 'host', 'cli-agg', 'compute-cli-1'])
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
})
