/**
 * Quotas, limits and availability zones over HTTP: defaults from `[quota]`, the
 * `default` quota class, project and user quotas (show, detail, update, revert), the
 * resources each microversion shows, absolute limits with usage, and who may read what.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestHost } from '../../../kernel/testing/index.js'
import { computeModule } from '../module.js'
import { createCompute } from '../service.js'
import { ADMIN, MEMBER, OTHER, startCompute, type TestHost } from './harness.js'

const Q = '/compute/v2.1/os-quota-sets'
const QC = '/compute/v2.1/os-quota-class-sets'

describe('compute quotas, limits and zones', () => {
  let t: TestHost
  before(async () => {
    t = await startCompute({ quota: { instances: 7 } })
  })
  after(() => t.close())

  it('shows defaults from [quota], filtered per microversion', async () => {
    const v21 = await t.call('GET', `${Q}/p-own/defaults`, { as: MEMBER })
    assert.equal(v21.status, 200)
    assert.equal(v21.body.quota_set.id, 'p-own')
    assert.equal(v21.body.quota_set.instances, 7)
    assert.equal(v21.body.quota_set.cores, 20)
    assert.equal(v21.body.quota_set.ram, 51200)
    assert.equal(v21.body.quota_set.key_pairs, 100)
    assert.equal(v21.body.quota_set.floating_ips, -1)
    assert.equal(v21.body.quota_set.injected_file_path_bytes, 255)
    const v236 = await t.call('GET', `${Q}/p-own/defaults`, { as: MEMBER, version: '2.36' })
    assert.ok(!('floating_ips' in v236.body.quota_set) && 'injected_files' in v236.body.quota_set)
    const v257 = await t.call('GET', `${Q}/p-own/defaults`, { as: MEMBER, version: '2.57' })
    assert.deepEqual(Object.keys(v257.body.quota_set).sort(), [
      'cores',
      'id',
      'instances',
      'key_pairs',
      'metadata_items',
      'ram',
      'server_group_members',
      'server_groups',
    ])
  })

  it('updates, shows with usage and reverts a project quota; user quotas stay within it', async () => {
    const set = await t.call('PUT', `${Q}/p-own`, {
      as: ADMIN,
      version: '2.57',
      body: { quota_set: { cores: 40, key_pairs: '3' } },
    })
    assert.equal(set.status, 200)
    assert.ok(!('id' in set.body.quota_set), 'update answers without the id')
    assert.equal(set.body.quota_set.cores, 40)
    assert.equal(set.body.quota_set.key_pairs, 3)
    assert.equal((await t.call('GET', `${Q}/p-own`, { as: MEMBER })).body.quota_set.cores, 40)
    const user = await t.call('PUT', `${Q}/p-own?user_id=u-project-member`, {
      as: ADMIN,
      body: { quota_set: { cores: 10 } },
    })
    assert.equal(user.body.quota_set.cores, 10)
    const tooBig = await t.call('PUT', `${Q}/p-own?user_id=u-project-member`, {
      as: ADMIN,
      body: { quota_set: { cores: 41 } },
    })
    assert.equal(tooBig.status, 400)
    assert.equal(tooBig.body.badRequest.message, 'Quota limit 41 for cores must be less than or equal to 40.')
    await t.call('POST', '/compute/v2.1/os-keypairs', {
      as: MEMBER,
      body: {
        keypair: {
          name: 'k1',
          public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPB3eCTrLmXo9QzUCsHGiOBTa72II4wlHDkYEIZlm4zd',
        },
      },
    })
    const detail = await t.call('GET', `${Q}/p-own/detail?user_id=u-project-member`, { as: MEMBER })
    assert.deepEqual(detail.body.quota_set.key_pairs, { limit: 3, in_use: 1, reserved: 0 })
    assert.deepEqual(detail.body.quota_set.cores, { limit: 10, in_use: 0, reserved: 0 })
    const below = await t.call('PUT', `${Q}/p-own?user_id=u-project-member`, {
      as: ADMIN,
      body: { quota_set: { key_pairs: 0 } },
    })
    assert.equal(below.status, 400)
    assert.match(
      below.body.badRequest.message,
      /must be greater than or equal to already used and reserved 1/,
    )
    const forced = await t.call('PUT', `${Q}/p-own?user_id=u-project-member`, {
      as: ADMIN,
      body: { quota_set: { key_pairs: 0, force: true } },
    })
    assert.equal(forced.status, 200)
    assert.equal((await t.call('DELETE', `${Q}/p-own`, { as: ADMIN })).status, 202)
    assert.equal((await t.call('GET', `${Q}/p-own`, { as: MEMBER })).body.quota_set.cores, 20)
    assert.equal(
      (await t.call('GET', `${Q}/p-own?user_id=u-project-member`, { as: MEMBER })).body.quota_set.key_pairs,
      100,
    )
  })

  it('refuses bad quota bodies and other people', async () => {
    for (const body of [
      { quota_set: { cores: -2 } },
      { quota_set: { cores: 'many' } },
      { quota_set: { unicorns: 1 } },
      { quota_set: { networks: 1 } },
      { quota_set: { cores: 2147483648 } },
      {},
    ])
      assert.equal((await t.call('PUT', `${Q}/p-own`, { as: ADMIN, body })).status, 400, JSON.stringify(body))
    const floating = await t.call('PUT', `${Q}/p-own`, {
      as: ADMIN,
      version: '2.36',
      body: { quota_set: { floating_ips: 1 } },
    })
    assert.equal(floating.status, 400, 'network quotas are gone from 2.36')
    assert.equal(
      (await t.call('PUT', `${Q}/p-own`, { as: MEMBER, body: { quota_set: { cores: 1 } } })).status,
      403,
    )
    assert.equal((await t.call('GET', `${Q}/p-own`, { as: OTHER })).status, 403, "another project's quotas")
    assert.equal((await t.call('GET', `${Q}/p-other`, { as: ADMIN })).status, 200)
    assert.equal(
      (await t.call('GET', `${Q}/p-own?user_id=x&foo=1`, { as: MEMBER, version: '2.75' })).status,
      400,
    )
  })

  it('changes the defaults through the default quota class', async () => {
    const shown = await t.call('GET', `${QC}/default`, { as: ADMIN })
    assert.equal(shown.body.quota_class_set.id, 'default')
    assert.ok(!('server_groups' in shown.body.quota_class_set), 'server group quotas from 2.50')
    const set = await t.call('PUT', `${QC}/default`, {
      as: ADMIN,
      version: '2.57',
      body: { quota_class_set: { ram: 1024 } },
    })
    assert.equal(set.status, 200)
    assert.equal(set.body.quota_class_set.ram, 1024)
    assert.equal(set.body.quota_class_set.server_groups, 10)
    assert.equal((await t.call('GET', `${Q}/p-new/defaults`, { as: ADMIN })).body.quota_set.ram, 1024)
    assert.equal((await t.call('GET', `${QC}/default`, { as: MEMBER })).status, 403)
    await t.call('PUT', `${QC}/default`, { as: ADMIN, body: { quota_class_set: { ram: 51200 } } })
  })

  it('reports absolute limits with usage, for the caller or (admins) another project', async () => {
    const res = await t.call('GET', '/compute/v2.1/limits', { as: MEMBER })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.limits.rate, [])
    const abs = res.body.limits.absolute
    assert.equal(abs.maxTotalInstances, 7)
    assert.equal(abs.maxTotalCores, 20)
    assert.equal(abs.totalInstancesUsed, 0)
    assert.equal(abs.maxImageMeta, 128)
    assert.ok('maxTotalFloatingIps' in abs)
    const latest = (await t.call('GET', '/compute/v2.1/limits', { as: MEMBER, version: '2.57' })).body.limits
      .absolute
    assert.ok(
      !('maxTotalFloatingIps' in latest) && !('maxImageMeta' in latest) && !('maxPersonality' in latest),
    )
    assert.equal(latest.totalServerGroupsUsed, 0)
    assert.equal((await t.call('GET', '/compute/v2.1/limits?tenant_id=p-other', { as: MEMBER })).status, 403)
    assert.equal((await t.call('GET', '/compute/v2.1/limits?tenant_id=p-other', { as: ADMIN })).status, 200)
  })

  it('lists availability zones (none without compute hosts); the detail is for admins', async () => {
    const list = await t.call('GET', '/compute/v2.1/os-availability-zone', { as: MEMBER })
    assert.equal(list.status, 200)
    assert.deepEqual(list.body, { availabilityZoneInfo: [] })
    assert.equal(
      (await t.call('GET', '/compute/v2.1/os-availability-zone/detail', { as: MEMBER })).status,
      403,
    )
    assert.equal(
      (await t.call('GET', '/compute/v2.1/os-availability-zone/detail', { as: ADMIN })).status,
      200,
    )
  })

  it('answers the version documents without a token', async () => {
    const root = await t.call('GET', '/compute/')
    assert.equal(root.status, 200)
    const v21 = root.body.versions.find((v: { id: string }) => v.id === 'v2.1')
    assert.equal(v21.version, '2.93')
    assert.equal(v21.min_version, '2.1')
    assert.equal(v21.status, 'CURRENT')
    const doc = await t.call('GET', '/compute/v2.1/')
    assert.equal(doc.status, 200)
    assert.equal(doc.body.version.id, 'v2.1')
    assert.match(doc.body.version.links[0].href, /\/compute\/v2\.1\/$/)
    const legacy = await t.call('GET', '/compute/v2/')
    assert.equal(legacy.status, 200)
    assert.equal(legacy.body.version.id, 'v2.0')
    assert.equal((await t.call('GET', '/compute/v2.1/no-such-thing', { as: MEMBER })).status, 404)
    const wrongMethod = await t.call('PATCH', '/compute/v2.1/flavors', { as: MEMBER, body: {} })
    assert.equal(wrongMethod.status, 405)
    assert.ok(wrongMethod.body.badMethod)
  })
})

describe('compute zones with compute services', () => {
  let t: TestHost
  const services = [
    { host: 'cn-1', binary: 'nova-compute', disabled: false, up: true, updatedAt: '2026-01-01T00:00:00Z' },
    { host: 'cn-2', binary: 'nova-compute', disabled: false, up: false, updatedAt: null },
    { host: 'cn-3', binary: 'nova-compute', disabled: true, up: true, updatedAt: null },
    { host: 'ctl', binary: 'nova-conductor', disabled: false, up: true, updatedAt: null },
  ]
  before(async () => {
    const module = {
      ...computeModule,
      create: (ctx: Parameters<typeof computeModule.create>[0]) =>
        createCompute(ctx, {
          hosts: {
            services: async () => services,
            exists: async (host: string) =>
              services.some((s) => s.host === host && s.binary === 'nova-compute'),
          },
        }),
    }
    t = await startTestHost({ modules: [module] })
  })
  after(() => t.close())

  it('puts hosts in their aggregate zone or the default one; only known hosts join aggregates', async () => {
    const agg = await t.call('POST', '/compute/v2.1/os-aggregates', {
      as: ADMIN,
      body: { aggregate: { name: 'east', availability_zone: 'east' } },
    })
    const add = (host: string) =>
      t.call('POST', `/compute/v2.1/os-aggregates/${agg.body.aggregate.id}/action`, {
        as: ADMIN,
        body: { add_host: { host } },
      })
    assert.equal((await add('cn-1')).status, 200)
    const unknown = await add('cn-9')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.itemNotFound.message, 'Compute host cn-9 could not be found.')
    const list = await t.call('GET', '/compute/v2.1/os-availability-zone', { as: MEMBER })
    const byName = Object.fromEntries(
      list.body.availabilityZoneInfo.map((z: { zoneName: string; zoneState: unknown }) => [z.zoneName, z]),
    )
    assert.deepEqual(Object.keys(byName).sort(), ['east', 'nova'], 'the internal zone is not listed')
    assert.equal(byName.east.hosts, null)
    const detail = await t.call('GET', '/compute/v2.1/os-availability-zone/detail', { as: ADMIN })
    const east = detail.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'east')
    assert.deepEqual(east.hosts, {
      'cn-1': { 'nova-compute': { available: true, active: true, updated_at: '2026-01-01T00:00:00Z' } },
    })
    const internal = detail.body.availabilityZoneInfo.find(
      (z: { zoneName: string }) => z.zoneName === 'internal',
    )
    assert.ok(internal.hosts.ctl['nova-conductor'], 'the detail shows the internal zone')
    const nova = detail.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'nova')
    assert.equal(nova.hosts['cn-2']['nova-compute'].available, false, 'a service that is down')
  })
})
