/**
 * Flavors over HTTP: the seeded defaults, CRUD with Nova's fields per microversion,
 * private flavors and tenant access, extra specs validated from 2.86, bad input as
 * Nova's 400 fault, and who may do what.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, OTHER, READER, startCompute, type TestHost } from './harness.js'

const F = '/compute/v2.1/flavors'

describe('compute flavors', () => {
  let t: TestHost
  before(async () => {
    t = await startCompute()
  })
  after(() => t.close())

  it('starts with devstack-like flavors, m1.tiny .. m1.xlarge as ids 1-5', async () => {
    const res = await t.call('GET', `${F}/detail`, { as: MEMBER })
    assert.equal(res.status, 200)
    const byId = new Map(res.body.flavors.map((f: { id: string }) => [f.id, f]))
    assert.deepEqual(
      ['1', '2', '3', '4', '5'].map((id) => (byId.get(id) as { name: string }).name),
      ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge'],
    )
    const tiny = byId.get('1') as Record<string, unknown>
    assert.equal(tiny.ram, 512)
    assert.equal(tiny.vcpus, 1)
    assert.equal(tiny.disk, 1)
    assert.equal(tiny.swap, '', 'swap is "" before 2.75')
    assert.equal(tiny['os-flavor-access:is_public'], true)
    assert.equal(tiny['OS-FLV-DISABLED:disabled'], false)
    assert.ok(!('description' in tiny), 'no description before 2.55')
    const links = tiny.links as { rel: string; href: string }[]
    assert.match(links[0]!.href, /\/compute\/v2\.1\/flavors\/1$/)
    assert.match(links[1]!.href, /\/compute\/flavors\/1$/)
  })

  it('answers with both microversion headers and honours the legacy one', async () => {
    const res = await t.call('GET', `${F}/1`, {
      as: MEMBER,
      headers: { 'x-openstack-nova-api-version': '2.75' },
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers['openstack-api-version'], 'compute 2.75')
    assert.equal(res.headers['x-openstack-nova-api-version'], '2.75')
    // Nova names its request id twice; tempest reads the compute one.
    assert.match(String(res.headers['x-compute-request-id']), /^req-/)
    assert.equal(res.headers['x-compute-request-id'], res.headers['x-openstack-request-id'])
    assert.equal(res.body.flavor.swap, 0)
    assert.equal(res.body.flavor.description, null)
    const latest = await t.call('GET', `${F}/1`, { as: MEMBER, version: 'latest' })
    assert.equal(latest.headers['openstack-api-version'], 'compute 2.93')
    assert.deepEqual(latest.body.flavor.extra_specs, {})
    const tooNew = await t.call('GET', `${F}/1`, { as: MEMBER, version: '2.94' })
    assert.equal(tooNew.status, 406)
    assert.equal(tooNew.body.computeFault.code, 406)
    const bad = await t.call('GET', `${F}/1`, { as: MEMBER, version: '2.x' })
    assert.equal(bad.status, 400)
    assert.ok(bad.body.badRequest)
  })

  it('creates, shows, describes and deletes a flavor as admin', async () => {
    const created = await t.call('POST', F, {
      as: ADMIN,
      version: '2.55',
      body: { flavor: { name: 'f-crud', ram: 256, vcpus: '2', disk: 1, id: 'crud-1', description: 'first' } },
    })
    assert.equal(created.status, 200)
    assert.equal(created.body.flavor.id, 'crud-1')
    assert.equal(created.body.flavor.vcpus, 2)
    assert.equal(created.body.flavor.description, 'first')
    const updated = await t.call('PUT', `${F}/crud-1`, {
      as: ADMIN,
      version: '2.55',
      body: { flavor: { description: 'second' } },
    })
    assert.equal(updated.status, 200)
    assert.equal(updated.body.flavor.description, 'second')
    const tooOld = await t.call('PUT', `${F}/crud-1`, { as: ADMIN, body: { flavor: { description: 'x' } } })
    assert.equal(tooOld.status, 404, 'PUT /flavors/{id} exists from 2.55')
    const dupName = await t.call('POST', F, {
      as: ADMIN,
      body: { flavor: { name: 'f-crud', ram: 1, vcpus: 1, disk: 0 } },
    })
    assert.equal(dupName.status, 409)
    assert.equal(dupName.body.conflictingRequest.message, 'Flavor with name f-crud already exists.')
    const dupId = await t.call('POST', F, {
      as: ADMIN,
      body: { flavor: { name: 'other', ram: 1, vcpus: 1, disk: 0, id: 'crud-1' } },
    })
    assert.equal(dupId.status, 409)
    assert.equal(dupId.body.conflictingRequest.message, 'Flavor with ID crud-1 already exists.')
    const generated = await t.call('POST', F, {
      as: ADMIN,
      body: { flavor: { name: 'gen', ram: 1, vcpus: 1, disk: 0 } },
    })
    assert.match(generated.body.flavor.id, /^[0-9a-f-]{36}$/)
    assert.equal((await t.call('DELETE', `${F}/crud-1`, { as: ADMIN })).status, 202)
    const gone = await t.call('GET', `${F}/crud-1`, { as: ADMIN })
    assert.equal(gone.status, 404)
    assert.deepEqual(gone.body, { itemNotFound: { code: 404, message: 'Flavor crud-1 could not be found.' } })
  })

  it('refuses bad flavor bodies with Nova 400s, never a 500', async () => {
    const cases: [unknown, RegExp][] = [
      [
        { flavor: { name: 'x', ram: 0, vcpus: 1, disk: 0 } },
        /ram\. Value: 0\. 0 is less than the minimum of 1/,
      ],
      [
        { flavor: { name: 'x', ram: '0', vcpus: 1, disk: 0 } },
        /ram\. Value: 0\. 0 is less than the minimum of 1/,
      ],
      [{ flavor: { name: 'x', ram: 'lots', vcpus: 1, disk: 0 } }, /'lots' does not match/],
      [{ flavor: { ram: 1, vcpus: 1, disk: 0 } }, /'name' is a required property/],
      [{ flavor: { name: ' x', ram: 1, vcpus: 1, disk: 0 } }, /An invalid 'name' value was provided/],
      [
        { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 0, extra: 1 } },
        /Additional properties are not allowed \('extra' was unexpected\)/,
      ],
      [{ flavor: { name: 'x'.repeat(256), ram: 1, vcpus: 1, disk: 0 } }, /is too long/],
      [
        { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 0, description: 'd' } },
        /'description' was unexpected/,
      ],
      [{ flavor: { name: 'x', ram: 1, vcpus: 1, disk: 0, rxtx_factor: 0 } }, /rxtx_factor/],
      [{ flavor: { name: 'x', ram: 1, vcpus: 1, disk: 0, id: ' lead' } }, /does not match/],
      ['not json', /./],
      [[1], /is not of type 'object'/],
    ]
    for (const [body, message] of cases) {
      const res = await t.call('POST', F, { as: ADMIN, body })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.match(res.body.badRequest.message, message, JSON.stringify(body))
    }
  })

  it('lets only admins manage flavors (Nova policy message), and needs a token', async () => {
    const body = { flavor: { name: 'nope', ram: 1, vcpus: 1, disk: 0 } }
    for (const who of [MEMBER, READER, 'system-admin']) {
      const res = await t.call('POST', F, { as: who, body })
      assert.equal(res.status, 403, who)
      assert.equal(
        res.body.forbidden.message,
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.",
      )
    }
    assert.equal((await t.call('GET', F)).status, 401)
    assert.equal((await t.call('DELETE', `${F}/1`, { as: MEMBER })).status, 403)
  })

  it('hides private flavors from projects without access; access can be added and removed', async () => {
    await t.call('POST', F, {
      as: ADMIN,
      body: {
        flavor: {
          name: 'private-1',
          ram: 64,
          vcpus: 1,
          disk: 0,
          id: 'p1',
          'os-flavor-access:is_public': false,
        },
      },
    })
    const ids = async (who: string) =>
      (await t.call('GET', F, { as: who })).body.flavors.map((f: { id: string }) => f.id) as string[]
    assert.ok(!(await ids(MEMBER)).includes('p1'))
    assert.equal((await t.call('GET', `${F}/p1`, { as: MEMBER })).status, 404)
    assert.ok(!(await ids(ADMIN)).includes('p1'), 'admins too list public flavors by default')
    const all = (await t.call('GET', `${F}?is_public=none`, { as: ADMIN })).body.flavors
    assert.ok(
      all.some((f: { id: string }) => f.id === 'p1'),
      'is_public=none lists private flavors too',
    )
    assert.equal((await t.call('GET', `${F}/p1`, { as: ADMIN })).status, 200)
    assert.equal((await t.call('GET', `${F}?is_public=maybe`, { as: ADMIN })).status, 400)
    const publicOnly = (await t.call('GET', `${F}?is_public=false`, { as: ADMIN })).body.flavors
    assert.deepEqual(
      publicOnly.map((f: { id: string }) => f.id),
      ['p1'],
    )

    const added = await t.call('POST', `${F}/p1/action`, {
      as: ADMIN,
      body: { addTenantAccess: { tenant: 'p-own' } },
    })
    assert.equal(added.status, 200)
    assert.deepEqual(added.body, { flavor_access: [{ flavor_id: 'p1', tenant_id: 'p-own' }] })
    assert.ok((await ids(MEMBER)).includes('p1'))
    assert.ok(!(await ids(OTHER)).includes('p1'), 'another project still does not see it')
    const again = await t.call('POST', `${F}/p1/action`, {
      as: ADMIN,
      body: { addTenantAccess: { tenant: 'p-own' } },
    })
    assert.equal(again.status, 409)
    const listed = await t.call('GET', `${F}/p1/os-flavor-access`, { as: ADMIN })
    assert.deepEqual(listed.body.flavor_access, [{ flavor_id: 'p1', tenant_id: 'p-own' }])
    assert.equal((await t.call('GET', `${F}/p1/os-flavor-access`, { as: MEMBER })).status, 403)
    const removed = await t.call('POST', `${F}/p1/action`, {
      as: ADMIN,
      body: { removeTenantAccess: { tenant: 'p-own' } },
    })
    assert.deepEqual(removed.body.flavor_access, [])
    const missing = await t.call('POST', `${F}/p1/action`, {
      as: ADMIN,
      body: { removeTenantAccess: { tenant: 'p-own' } },
    })
    assert.equal(missing.status, 404)

    // A public flavor: no access list, and no access to add from 2.7 on.
    assert.equal((await t.call('GET', `${F}/1/os-flavor-access`, { as: ADMIN })).status, 404)
    const toPublic = await t.call('POST', `${F}/1/action`, {
      as: ADMIN,
      version: '2.7',
      body: { addTenantAccess: { tenant: 'p-own' } },
    })
    assert.equal(toPublic.status, 409)
    assert.equal(toPublic.body.conflictingRequest.message, 'Can not add access to a public flavor.')
    const unknown = await t.call('POST', `${F}/1/action`, { as: ADMIN, body: { shrink: {} } })
    assert.equal(unknown.status, 400)
    const noTenant = await t.call('POST', `${F}/p1/action`, { as: ADMIN, body: { addTenantAccess: {} } })
    assert.equal(noTenant.status, 400)
    assert.match(noTenant.body.badRequest.message, /'tenant' is a required property/)
    assert.equal(
      (await t.call('POST', `${F}/p1/action`, { as: MEMBER, body: { addTenantAccess: { tenant: 'x' } } }))
        .status,
      403,
    )
  })

  it('sorts, filters and pages flavor lists', async () => {
    const desc = await t.call('GET', `${F}/detail?sort_key=memory_mb&sort_dir=desc&minRam=4096`, {
      as: MEMBER,
    })
    const rams = desc.body.flavors.map((f: { ram: number }) => f.ram)
    assert.deepEqual(
      rams,
      [...rams].sort((a: number, b: number) => b - a),
    )
    assert.ok(rams.every((r: number) => r >= 4096))
    const first = await t.call('GET', `${F}?limit=2`, { as: MEMBER })
    assert.equal(first.body.flavors.length, 2)
    const next = first.body.flavors_links[0].href as string
    assert.match(next, /limit=2&marker=/)
    const marker = new URL(next).searchParams.get('marker')
    const second = await t.call('GET', `${F}?limit=2&marker=${marker}`, { as: MEMBER })
    assert.notEqual(second.body.flavors[0].id, first.body.flavors[0].id)
    assert.equal((await t.call('GET', `${F}?marker=nope`, { as: MEMBER })).status, 400)
    assert.equal((await t.call('GET', `${F}?sort_key=colour`, { as: MEMBER })).status, 400)
    assert.equal((await t.call('GET', `${F}?limit=-1`, { as: MEMBER })).status, 400)
    assert.equal((await t.call('GET', `${F}?minRam=big`, { as: MEMBER })).status, 400)
    // Unknown parameters pass before 2.75 and are refused from 2.75 on.
    assert.equal((await t.call('GET', `${F}?colour=red`, { as: MEMBER })).status, 200)
    const strict = await t.call('GET', `${F}?colour=red`, { as: MEMBER, version: '2.75' })
    assert.equal(strict.status, 400)
    assert.match(
      strict.body.badRequest.message,
      /Additional properties are not allowed \('colour' was unexpected\)/,
    )
  })

  it('keeps extra specs, validating known keys from 2.86', async () => {
    await t.call('POST', F, {
      as: ADMIN,
      body: { flavor: { name: 'specs', ram: 64, vcpus: 1, disk: 0, id: 's1' } },
    })
    const S = `${F}/s1/os-extra_specs`
    const set = await t.call('POST', S, {
      as: ADMIN,
      version: '2.86',
      body: {
        extra_specs: {
          'hw:cpu_policy': 'dedicated',
          'resources:VCPU': '0',
          'trait:HW_CPU_X86_AVX2': 'required',
          'my:own': 'x',
          plain: 7,
        },
      },
    })
    assert.equal(set.status, 200)
    assert.equal(set.body.extra_specs.plain, 7)
    const listed = await t.call('GET', S, { as: READER })
    assert.deepEqual(listed.body.extra_specs, {
      'hw:cpu_policy': 'dedicated',
      'my:own': 'x',
      plain: '7',
      'resources:VCPU': '0',
      'trait:HW_CPU_X86_AVX2': 'required',
    })
    const refused: [Record<string, string>, RegExp][] = [
      [{ 'hw:cpu_policy': 'lazy' }, /'lazy' is not one of: dedicated, shared, mixed/],
      [{ 'hw:numa_nodes': '0' }, /less than the min value of '1'/],
      [{ 'hw:mem_encryption': 'maybe' }, /not a valid boolean-like value/],
      [{ 'hw:no_such_thing': '1' }, /does not appear to be a valid extra spec/],
      [{ 'resources:VCPU': 'two' }, /not a valid integer value/],
      [{ 'trait:CUSTOM_X': 'wanted' }, /not one of: required, forbidden/],
      [{ 'pci_passthrough:alias': 'gpu' }, /is not of the format/],
    ]
    for (const [specs, message] of refused) {
      const res = await t.call('POST', S, { as: ADMIN, version: '2.86', body: { extra_specs: specs } })
      assert.equal(res.status, 400, JSON.stringify(specs))
      assert.match(res.body.badRequest.message, message)
      const old = await t.call('POST', S, { as: ADMIN, version: '2.85', body: { extra_specs: specs } })
      assert.equal(old.status, 200, `before 2.86 ${JSON.stringify(specs)} is stored unchecked`)
    }
    assert.equal(
      (await t.call('POST', S, { as: ADMIN, body: { extra_specs: { 'bad key!': 'x' } } })).status,
      400,
    )
    const one = await t.call('PUT', `${S}/hw:cpu_policy`, {
      as: ADMIN,
      version: '2.86',
      body: { 'hw:cpu_policy': 'shared' },
    })
    assert.deepEqual(one.body, { 'hw:cpu_policy': 'shared' })
    const mismatch = await t.call('PUT', `${S}/hw:cpu_policy`, { as: ADMIN, body: { 'hw:cpu_threads': '2' } })
    assert.equal(mismatch.status, 400)
    assert.equal(mismatch.body.badRequest.message, 'Request body and URI mismatch')
    assert.deepEqual((await t.call('GET', `${S}/hw:cpu_policy`, { as: MEMBER })).body, {
      'hw:cpu_policy': 'shared',
    })
    assert.equal((await t.call('DELETE', `${S}/hw:cpu_policy`, { as: ADMIN })).status, 200)
    const missing = await t.call('GET', `${S}/hw:cpu_policy`, { as: MEMBER })
    assert.equal(missing.status, 404)
    assert.equal(missing.body.itemNotFound.message, 'Flavor s1 has no extra specs with key hw:cpu_policy.')
    assert.equal((await t.call('POST', S, { as: MEMBER, body: { extra_specs: { a: 'b' } } })).status, 403)
    const shown = await t.call('GET', `${F}/s1`, { as: MEMBER, version: '2.61' })
    assert.equal(shown.body.flavor.extra_specs['trait:HW_CPU_X86_AVX2'], 'required')
    assert.ok(
      !('extra_specs' in (await t.call('GET', `${F}/s1`, { as: MEMBER, version: '2.60' })).body.flavor),
    )
  })
})
