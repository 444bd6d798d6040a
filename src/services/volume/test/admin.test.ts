/**
 * Volume types (extra specs, private types and access, the default type, 3.62 default
 * types), quotas (defaults, show with usage, update, reset; concurrent creates never pass
 * a limit), absolute limits, availability zones, services (list, enable/disable with a
 * reason) and scheduler pools, as the personas Cinder's defaults name.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  ADMIN,
  createVolume,
  MEMBER,
  OTHER,
  READER,
  startVolume,
  type TestHost,
  V,
  waitFor,
} from './harness.js'

describe('block storage types, quotas and services', () => {
  let t: TestHost
  before(async () => {
    t = await startVolume({ DEFAULT: { quota_volumes: 20, quota_gigabytes: 50 } })
  })
  after(() => t.close())

  it('manages types: create, extra specs, user-visible specs, update, delete', async () => {
    const list0 = await t.call('GET', `${V}/types`, { as: MEMBER })
    assert.deepEqual(
      list0.body.volume_types.map((x: { name: string }) => x.name),
      ['__DEFAULT__'],
    )
    assert.equal(
      (await t.call('POST', `${V}/types`, { as: MEMBER, body: { volume_type: { name: 'x' } } })).status,
      403,
    )
    const created = await t.call('POST', `${V}/types`, {
      as: ADMIN,
      body: {
        volume_type: {
          name: 'gold',
          description: 'fast',
          extra_specs: { volume_backend_name: 'file', multiattach: '<is> True' },
        },
      },
    })
    assert.equal(created.status, 200)
    const id = created.body.volume_type.id
    assert.equal(created.body.volume_type['os-volume-type-access:is_public'], true)
    const dup = await t.call('POST', `${V}/types`, { as: ADMIN, body: { volume_type: { name: 'gold' } } })
    assert.equal(dup.status, 409)
    const asMember = await t.call('GET', `${V}/types/${id}`, { as: MEMBER })
    assert.deepEqual(asMember.body.volume_type.extra_specs, { multiattach: '<is> True' })
    assert.ok(!('qos_specs_id' in asMember.body.volume_type))
    const asAdmin = await t.call('GET', `${V}/types/gold`, { as: ADMIN })
    assert.equal(asAdmin.body.volume_type.extra_specs.volume_backend_name, 'file')
    const specs = `${V}/types/${id}/extra_specs`
    assert.equal(
      (await t.call('POST', specs, { as: ADMIN, body: { extra_specs: { k1: 'v1' } } })).status,
      200,
    )
    assert.deepEqual((await t.call('PUT', `${specs}/k1`, { as: ADMIN, body: { k1: 'v2' } })).body, {
      k1: 'v2',
    })
    assert.equal((await t.call('PUT', `${specs}/k1`, { as: ADMIN, body: { k2: 'v2' } })).status, 400)
    assert.deepEqual((await t.call('GET', `${specs}/k1`, { as: ADMIN })).body, { k1: 'v2' })
    assert.equal((await t.call('GET', `${specs}/k1`, { as: MEMBER })).status, 404)
    assert.equal((await t.call('DELETE', `${specs}/k1`, { as: ADMIN })).status, 202)
    assert.equal((await t.call('DELETE', `${specs}/k1`, { as: ADMIN })).status, 404)
    const upd = await t.call('PUT', `${V}/types/${id}`, {
      as: ADMIN,
      body: { volume_type: { description: 'faster' } },
    })
    assert.equal(upd.body.volume_type.description, 'faster')
    // A volume of the type makes it multiattach and keeps the type from being deleted.
    const v = await createVolume(t, { volume_type: 'gold' })
    assert.equal(v.multiattach, true)
    assert.equal(v.volume_type, 'gold')
    assert.equal((await t.call('POST', specs, { as: ADMIN, body: { extra_specs: { k: 'v' } } })).status, 400)
    const inUse = await t.call('DELETE', `${V}/types/${id}`, { as: ADMIN })
    assert.equal(inUse.status, 400)
    await t.call('DELETE', `${V}/volumes/${v.id}`, { as: MEMBER })
    await waitFor(t, 'volumes', String(v.id), 'deleted')
    assert.equal((await t.call('DELETE', `${V}/types/${id}`, { as: ADMIN })).status, 202)
    const dflt = (await t.call('GET', `${V}/types/default`, { as: MEMBER })).body.volume_type
    assert.equal(dflt.name, '__DEFAULT__')
    assert.equal((await t.call('DELETE', `${V}/types/${dflt.id}`, { as: ADMIN })).status, 400)
  })

  it('gives a type an encryption, updates, shows and deletes it', async () => {
    const type = (await t.call('POST', `${V}/types`, { as: ADMIN, body: { volume_type: { name: 'luks' } } }))
      .body.volume_type
    const E = `${V}/types/${type.id}/encryption`
    assert.deepEqual((await t.call('GET', E, { as: ADMIN })).body, {})
    const created = await t.call('POST', E, {
      as: ADMIN,
      body: {
        encryption: {
          provider: 'luks',
          cipher: 'aes-xts-plain64',
          key_size: 256,
          control_location: 'front-end',
        },
      },
    })
    assert.equal(created.status, 200)
    assert.equal(created.body.encryption.volume_type_id, type.id)
    assert.equal(
      (await t.call('POST', E, { as: ADMIN, body: { encryption: { provider: 'luks' } } })).status,
      400,
    )
    assert.equal(
      (await t.call('POST', E, { as: MEMBER, body: { encryption: { provider: 'luks' } } })).status,
      403,
    )
    const upd = await t.call('PUT', `${E}/provider`, { as: ADMIN, body: { encryption: { key_size: 128 } } })
    assert.deepEqual(upd.body, { encryption: { key_size: 128 } })
    assert.equal((await t.call('GET', E, { as: ADMIN })).body.key_size, 128)
    assert.deepEqual((await t.call('GET', `${E}/cipher`, { as: ADMIN })).body, { cipher: 'aes-xts-plain64' })
    assert.equal((await t.call('DELETE', `${E}/provider`, { as: ADMIN })).status, 202)
    assert.deepEqual((await t.call('GET', E, { as: ADMIN })).body, {})
  })

  it('keeps private types to the projects given access', async () => {
    const priv = await t.call('POST', `${V}/types`, {
      as: ADMIN,
      body: { volume_type: { name: 'private', 'os-volume-type-access:is_public': false } },
    })
    const id = priv.body.volume_type.id
    assert.equal((await t.call('GET', `${V}/types/${id}`, { as: MEMBER })).status, 404)
    const create = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, volume_type: id } },
    })
    assert.equal(create.status, 404)
    const add = await t.call('POST', `${V}/types/${id}/action`, {
      as: ADMIN,
      body: { addProjectAccess: { project: 'p-own' } },
    })
    assert.equal(add.status, 202)
    assert.deepEqual((await t.call('GET', `${V}/types/${id}/os-volume-type-access`, { as: ADMIN })).body, {
      volume_type_access: [{ volume_type_id: id, project_id: 'p-own' }],
    })
    assert.equal((await t.call('GET', `${V}/types/${id}`, { as: MEMBER })).status, 200)
    assert.equal((await t.call('GET', `${V}/types/${id}`, { as: OTHER })).status, 404)
    const all = await t.call('GET', `${V}/types?is_public=none`, { as: ADMIN })
    assert.ok(all.body.volume_types.some((x: { id: string }) => x.id === id))
    const remove = await t.call('POST', `${V}/types/${id}/action`, {
      as: ADMIN,
      body: { removeProjectAccess: { project: 'p-own' } },
    })
    assert.equal(remove.status, 202)
    assert.equal((await t.call('GET', `${V}/types/${id}`, { as: MEMBER })).status, 404)
  })

  it('gives a project its own default type (3.62)', async () => {
    const silver = (
      await t.call('POST', `${V}/types`, { as: ADMIN, body: { volume_type: { name: 'silver' } } })
    ).body.volume_type
    const set = await t.call('PUT', `${V}/default-types/p-own`, {
      as: ADMIN,
      version: '3.62',
      body: { default_type: { volume_type: 'silver' } },
    })
    assert.equal(set.status, 200)
    assert.deepEqual(set.body.default_type, { project_id: 'p-own', volume_type_id: silver.id })
    const v = await createVolume(t)
    assert.equal(v.volume_type, 'silver')
    const other = await createVolume(t, {}, OTHER)
    assert.equal(other.volume_type, '__DEFAULT__')
    assert.equal(
      (await t.call('DELETE', `${V}/default-types/p-own`, { as: ADMIN, version: '3.62' })).status,
      204,
    )
    assert.equal(
      (await t.call('GET', `${V}/default-types/p-own`, { as: ADMIN, version: '3.62' })).status,
      404,
    )
    assert.equal((await t.call('GET', `${V}/default-types`, { as: ADMIN, version: '3.61' })).status, 404)
  })

  it('shows, updates and resets quotas; usage and limits follow the volumes', async () => {
    const dflt = await t.call('GET', `${V}/os-quota-sets/p-q/defaults`, { as: ADMIN })
    assert.equal(dflt.body.quota_set.volumes, 20)
    assert.equal(dflt.body.quota_set.gigabytes, 50)
    assert.equal(dflt.body.quota_set.snapshots, 10)
    assert.equal(dflt.body.quota_set['volumes___DEFAULT__'], -1)
    const mine = await t.call('GET', `${V}/os-quota-sets/p-own?usage=true`, { as: READER })
    assert.equal(mine.status, 200)
    assert.ok(mine.body.quota_set.volumes.in_use >= 1)
    assert.equal((await t.call('GET', `${V}/os-quota-sets/p-own`, { as: OTHER })).status, 403)
    assert.equal(
      (await t.call('PUT', `${V}/os-quota-sets/p-own`, { as: MEMBER, body: { quota_set: { volumes: 5 } } }))
        .status,
      403,
    )
    const tooLow = await t.call('PUT', `${V}/os-quota-sets/p-own`, {
      as: ADMIN,
      body: { quota_set: { volumes: 0 } },
    })
    assert.equal(tooLow.status, 400)
    const badKey = await t.call('PUT', `${V}/os-quota-sets/p-own`, {
      as: ADMIN,
      body: { quota_set: { nope: 1 } },
    })
    assert.equal(badKey.status, 400)
    const set = await t.call('PUT', `${V}/os-quota-sets/p-own`, {
      as: ADMIN,
      body: { quota_set: { snapshots: 7 } },
    })
    assert.equal(set.status, 200)
    assert.equal(set.body.quota_set.snapshots, 7)
    assert.ok(!('id' in set.body.quota_set))
    const limits = await t.call('GET', `${V}/limits`, { as: MEMBER })
    assert.equal(limits.body.limits.absolute.maxTotalSnapshots, 7)
    assert.equal(limits.body.limits.absolute.maxTotalVolumes, 20)
    assert.ok(limits.body.limits.absolute.totalVolumesUsed >= 1)
    assert.equal((await t.call('DELETE', `${V}/os-quota-sets/p-own`, { as: ADMIN })).status, 200)
    assert.equal(
      (await t.call('GET', `${V}/os-quota-sets/p-own`, { as: ADMIN })).body.quota_set.snapshots,
      10,
    )
    const cls = await t.call('PUT', `${V}/os-quota-class-sets/default`, {
      as: ADMIN,
      body: { quota_class_set: { backups: 3 } },
    })
    assert.equal(cls.body.quota_class_set.backups, 3)
    assert.equal(
      (await t.call('GET', `${V}/os-quota-sets/p-new/defaults`, { as: ADMIN })).body.quota_set.backups,
      3,
    )
  })

  it('never passes a gigabytes or volumes quota under concurrent creates', async () => {
    const project = 'p-race'
    await t.call('PUT', `${V}/os-quota-sets/${project}`, {
      as: ADMIN,
      body: { quota_set: { gigabytes: 5, volumes: 100 } },
    })
    const token = t.tokens.add('race-member', {
      user_id: 'u-race',
      project_id: project,
      roles: ['member', 'reader'],
    })
    const tries = await Promise.all(
      Array.from({ length: 12 }, () =>
        t.call('POST', `${V}/volumes`, { as: token, body: { volume: { size: 1 } } }),
      ),
    )
    const ok = tries.filter((r) => r.status === 202)
    const over = tries.filter((r) => r.status === 413)
    assert.equal(ok.length, 5)
    assert.equal(over.length, 7)
    assert.match(over[0]!.body.overLimit.message, /exceeds allowed gigabytes quota/)
    const usage = await t.call('GET', `${V}/os-quota-sets/${project}?usage=true`, { as: ADMIN })
    assert.equal(usage.body.quota_set.gigabytes.in_use, 5)
    await t.call('PUT', `${V}/os-quota-sets/${project}`, {
      as: ADMIN,
      body: { quota_set: { volumes: 6, gigabytes: 100 } },
    })
    const counted = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.call('POST', `${V}/volumes`, { as: token, body: { volume: { size: 1 } } }),
      ),
    )
    assert.equal(counted.filter((r) => r.status === 202).length, 1)
    assert.match(
      counted.find((r) => r.status === 413)!.body.overLimit.message,
      /Maximum number of volumes allowed \(6\)/,
    )
  })

  it('puts a volume whose type no backend matches in error, with a user message (3.3)', async () => {
    const bogus = await t.call('POST', `${V}/types`, {
      as: ADMIN,
      body: {
        volume_type: { name: 'bogus', extra_specs: { storage_protocol: 'fibre', vendor_name: 'nobody' } },
      },
    })
    const res = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, volume_type: bogus.body.volume_type.id } },
    })
    assert.equal(res.status, 202)
    const failed = await waitFor(t, 'volumes', res.body.volume.id, 'error', MEMBER)
    assert.equal(failed.status, 'error')
    assert.equal((await t.call('GET', `${V}/messages`, { as: MEMBER, version: '3.2' })).status, 404)
    const list = await t.call('GET', `${V}/messages`, { as: READER, version: '3.3' })
    const msg = list.body.messages.find(
      (m: { resource_uuid: string }) => m.resource_uuid === res.body.volume.id,
    )
    assert.equal(msg.event_id, 'VOLUME_VOLUME_001_002')
    assert.equal(msg.message_level, 'ERROR')
    assert.equal(msg.request_id, res.headers['x-openstack-request-id'])
    assert.equal((await t.call('GET', `${V}/messages/${msg.id}`, { as: OTHER, version: '3.3' })).status, 404)
    assert.equal(
      (await t.call('DELETE', `${V}/messages/${msg.id}`, { as: MEMBER, version: '3.3' })).status,
      204,
    )
    assert.equal((await t.call('GET', `${V}/messages/${msg.id}`, { as: MEMBER, version: '3.3' })).status, 404)
    // A type the backend matches places the volume; retype between matching types.
    const plain = await t.call('POST', `${V}/types`, {
      as: ADMIN,
      body: { volume_type: { name: 'plain', extra_specs: { volume_backend_name: 'file' } } },
    })
    const vol = await createVolume(t, { volume_type: 'plain' })
    const retype = await t.call('POST', `${V}/volumes/${vol.id}/action`, {
      as: MEMBER,
      body: { 'os-retype': { new_type: '__DEFAULT__', migration_policy: 'never' } },
    })
    assert.equal(retype.status, 202)
    assert.equal(
      (await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.volume_type,
      '__DEFAULT__',
    )
    const toBogus = await t.call('POST', `${V}/volumes/${vol.id}/action`, {
      as: MEMBER,
      body: { 'os-retype': { new_type: 'bogus' } },
    })
    assert.equal(toBogus.status, 400)
    assert.equal(plain.status, 200)
  })

  it('manages QoS specs: keys, associations with types, delete with force', async () => {
    const Q = `${V}/qos-specs`
    assert.equal((await t.call('GET', Q, { as: MEMBER })).status, 403)
    const created = await t.call('POST', Q, {
      as: ADMIN,
      body: { qos_specs: { name: 'q1', consumer: 'front-end', read_iops_sec: '2000' } },
    })
    assert.equal(created.status, 200)
    const id = created.body.qos_specs.id
    assert.deepEqual(created.body.qos_specs.specs, { read_iops_sec: '2000' })
    assert.equal((await t.call('POST', Q, { as: ADMIN, body: { qos_specs: { name: 'q1' } } })).status, 409)
    assert.equal(
      (await t.call('POST', Q, { as: ADMIN, body: { qos_specs: { name: 'q2', consumer: 'nowhere' } } }))
        .status,
      400,
    )
    assert.deepEqual(
      (await t.call('PUT', `${Q}/${id}`, { as: ADMIN, body: { qos_specs: { iops: '5' } } })).body,
      {
        qos_specs: { iops: '5' },
      },
    )
    assert.equal(
      (await t.call('PUT', `${Q}/${id}/delete_keys`, { as: ADMIN, body: { keys: ['iops'] } })).status,
      202,
    )
    assert.deepEqual((await t.call('GET', `${Q}/${id}`, { as: ADMIN })).body.qos_specs.specs, {
      read_iops_sec: '2000',
    })
    const type = (
      await t.call('POST', `${V}/types`, { as: ADMIN, body: { volume_type: { name: 'qos-type' } } })
    ).body.volume_type
    assert.equal(
      (await t.call('GET', `${Q}/${id}/associate?vol_type_id=${type.id}`, { as: ADMIN })).status,
      202,
    )
    assert.deepEqual((await t.call('GET', `${Q}/${id}/associations`, { as: ADMIN })).body, {
      qos_associations: [{ association_type: 'volume_type', id: type.id, name: 'qos-type' }],
    })
    assert.equal(
      (await t.call('GET', `${V}/types/${type.id}`, { as: ADMIN })).body.volume_type.qos_specs_id,
      id,
    )
    assert.equal((await t.call('DELETE', `${Q}/${id}`, { as: ADMIN })).status, 400)
    assert.equal((await t.call('GET', `${Q}/${id}/disassociate_all`, { as: ADMIN })).status, 202)
    assert.deepEqual(
      (await t.call('GET', `${Q}/${id}/associations`, { as: ADMIN })).body.qos_associations,
      [],
    )
    assert.equal((await t.call('DELETE', `${Q}/${id}?force=False`, { as: ADMIN })).status, 202)
    assert.equal((await t.call('GET', `${Q}/${id}`, { as: ADMIN })).status, 404)
  })

  it('lists services, disables one with a reason, lists pools and zones', async () => {
    const list = await t.call('GET', `${V}/os-services`, { as: ADMIN })
    assert.equal(list.status, 200)
    const binaries = list.body.services.map((s: { binary: string }) => s.binary).sort()
    assert.deepEqual(binaries, ['cinder-scheduler', 'cinder-volume'])
    const vol = list.body.services.find((s: { binary: string }) => s.binary === 'cinder-volume')
    assert.equal(vol.state, 'up')
    assert.match(vol.host, /@file$/)
    assert.equal((await t.call('GET', `${V}/os-services`, { as: MEMBER })).status, 403)
    const disabled = await t.call('PUT', `${V}/os-services/disable-log-reason`, {
      as: ADMIN,
      body: { host: vol.host, binary: 'cinder-volume', disabled_reason: 'maintenance' },
    })
    assert.equal(disabled.status, 200)
    assert.deepEqual(disabled.body, {
      disabled: true,
      status: 'disabled',
      host: vol.host,
      service: 'cinder-volume',
      binary: 'cinder-volume',
      disabled_reason: 'maintenance',
    })
    const shown = await t.call('GET', `${V}/os-services?binary=cinder-volume`, { as: ADMIN })
    assert.equal(shown.body.services[0].status, 'disabled')
    assert.equal(shown.body.services[0].disabled_reason, 'maintenance')
    const noReason = await t.call('PUT', `${V}/os-services/disable-log-reason`, {
      as: ADMIN,
      body: { host: vol.host, binary: 'cinder-volume', disabled_reason: null },
    })
    assert.equal(noReason.status, 400)
    const unknown = await t.call('PUT', `${V}/os-services/enable`, {
      as: ADMIN,
      body: { host: 'nowhere', binary: 'cinder-volume' },
    })
    assert.equal(unknown.status, 404)
    const enabled = await t.call('PUT', `${V}/os-services/enable`, {
      as: ADMIN,
      body: { host: vol.host, binary: 'cinder-volume' },
    })
    assert.equal(enabled.body.status, 'enabled')
    assert.equal(enabled.body.disabled_reason, null)
    const pools = await t.call('GET', `${V}/scheduler-stats/get_pools?detail=true`, { as: ADMIN })
    assert.equal(pools.body.pools.length, 1)
    assert.equal(pools.body.pools[0].name, `${vol.host}#file`)
    assert.equal(pools.body.pools[0].capabilities.volume_backend_name, 'file')
    assert.ok(pools.body.pools[0].capabilities.total_capacity_gb > 0)
    assert.equal((await t.call('GET', `${V}/scheduler-stats/get_pools`, { as: MEMBER })).status, 403)
    const zones = await t.call('GET', `${V}/os-availability-zone`, { as: MEMBER })
    assert.deepEqual(zones.body, {
      availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }],
    })
  })
})
