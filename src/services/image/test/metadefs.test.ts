/**
 * The metadata-definitions API (/v2/metadefs/*) through app.inject: the flows tempest
 * runs, visibility and policy per persona, protected namespaces, duplicates, bad
 * input; and the same storage on SQLite, PostgreSQL and MariaDB.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { call, type Harness, startHarness } from './harness.js'

const NS = '/v2/metadefs/namespaces'

async function makeNamespace(h: Harness, name: string, extra: Record<string, unknown> = {}) {
  const r = await call(h, 'admin', 'POST', NS, { namespace: name, visibility: 'public', ...extra })
  assert.equal(r.status, 201, JSON.stringify(r.json))
  return r
}

describe('metadefs API', () => {
  let h: Harness
  before(async () => {
    h = await startHarness()
  })
  after(async () => h.close())

  it('lists the seeded resource types', async () => {
    const r = await call(h, 'alice', 'GET', '/v2/metadefs/resource_types')
    assert.equal(r.status, 200)
    const names = r.json.resource_types.map((t: { name: string }) => t.name)
    for (const n of ['OS::Glance::Image', 'OS::Nova::Flavor', 'OS::Cinder::Volume'])
      assert.ok(names.includes(n))
    assert.match(r.json.resource_types[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('namespace lifecycle: create with content, show, protected delete, update, delete', async () => {
    const c = await makeNamespace(h, 'ns-life', {
      display_name: 'Life',
      description: 'Tempest',
      protected: true,
      resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'hw_' }],
      properties: { cpu: { title: 'CPU', type: 'string', enum: ['a', 'b'] } },
      objects: [{ name: 'obj', properties: { x: { title: 'X', type: 'integer' } }, required: ['x'] }],
      tags: [{ name: 't1' }],
    })
    assert.equal(c.json.namespace, 'ns-life')
    assert.equal(c.json.owner, 'p-admin')
    assert.equal(c.json.self, '/v2/metadefs/namespaces/ns-life')
    assert.match(c.headers.location as string, /\/image\/v2\/metadefs\/namespaces\/ns-life$/)

    const s = await call(h, 'admin', 'GET', `${NS}/ns-life`)
    assert.equal(s.json.visibility, 'public')
    assert.equal(s.json.protected, true)
    assert.deepEqual(s.json.properties.cpu, { name: 'cpu', title: 'CPU', type: 'string', enum: ['a', 'b'] })
    assert.equal(s.json.objects[0].name, 'obj')
    assert.deepEqual(s.json.tags, [{ name: 't1' }])
    assert.equal(s.json.resource_type_associations[0].prefix, 'hw_')
    const prefixed = await call(h, 'admin', 'GET', `${NS}/ns-life?resource_type=OS::Glance::Image`)
    assert.ok('hw_cpu' in prefixed.json.properties)
    assert.deepEqual(prefixed.json.objects[0].required, ['hw_x'])
    const p = await call(h, 'admin', 'GET', `${NS}/ns-life/properties/hw_cpu?resource_type=OS::Glance::Image`)
    assert.equal(p.status, 200)
    assert.equal(p.json.name, 'cpu')

    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-life`)).status, 403)
    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-life/tags/t1`)).status, 403)
    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-life/objects`)).status, 403)

    const u = await call(h, 'admin', 'PUT', `${NS}/ns-life`, {
      namespace: 'ns-life',
      visibility: 'private',
      protected: false,
      description: 'Tempest',
    })
    assert.equal(u.status, 200)
    assert.equal(u.json.visibility, 'private')
    assert.equal(u.json.protected, false)
    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-life`)).status, 204)
    assert.equal((await call(h, 'admin', 'GET', `${NS}/ns-life`)).status, 404)
    // Its content went with it: a namespace of the same name starts empty.
    await makeNamespace(h, 'ns-life')
    const again = await call(h, 'admin', 'GET', `${NS}/ns-life`)
    assert.equal(again.json.objects, undefined)
    assert.equal(again.json.properties, undefined)
  })

  it('objects: create, list, show, rename, delete; duplicates are 409', async () => {
    await makeNamespace(h, 'ns-obj')
    const c = await call(h, 'admin', 'POST', `${NS}/ns-obj/objects`, { name: 'o1', description: 'd' })
    assert.equal(c.status, 201)
    assert.equal(c.json.self, '/v2/metadefs/namespaces/ns-obj/objects/o1')
    assert.equal((await call(h, 'admin', 'POST', `${NS}/ns-obj/objects`, { name: 'o1' })).status, 409)
    const l = await call(h, 'admin', 'GET', `${NS}/ns-obj/objects`)
    assert.deepEqual(
      l.json.objects.map((o: { name: string }) => o.name),
      ['o1'],
    )
    assert.equal((await call(h, 'admin', 'GET', `${NS}/ns-obj/objects/o1`)).json.description, 'd')
    const u = await call(h, 'admin', 'PUT', `${NS}/ns-obj/objects/o1`, { name: 'o2' })
    assert.equal(u.status, 200)
    assert.equal(u.json.name, 'o2')
    assert.equal((await call(h, 'admin', 'GET', `${NS}/ns-obj/objects/o1`)).status, 404)
    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-obj/objects/o2`)).status, 204)
    assert.deepEqual((await call(h, 'admin', 'GET', `${NS}/ns-obj/objects`)).json.objects, [])
  })

  it('properties: tempest flow with a resource-type name', async () => {
    await makeNamespace(h, 'ns-prop')
    const rt = 'OS::Nova::Flavor'
    const a = await call(h, 'admin', 'POST', `${NS}/ns-prop/resource_types`, { name: rt })
    assert.equal(a.status, 201)
    assert.equal(a.json.name, rt)
    const enumv = ['xen', 'kvm']
    const c = await call(h, 'admin', 'POST', `${NS}/ns-prop/properties`, {
      name: rt,
      title: 'T1',
      type: 'string',
      enum: enumv,
    })
    assert.equal(c.status, 201)
    assert.equal(c.json.title, 'T1')
    assert.equal((await call(h, 'admin', 'GET', `${NS}/ns-prop/properties/${rt}`)).json.name, rt)
    const u = await call(h, 'admin', 'PUT', `${NS}/ns-prop/properties/${rt}`, {
      name: rt,
      title: 'T2',
      type: 'string',
      enum: enumv,
    })
    assert.equal(u.json.title, 'T2')
    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-prop/properties/${rt}`)).status, 204)
    assert.deepEqual((await call(h, 'admin', 'GET', `${NS}/ns-prop/properties`)).json.properties, {})
  })

  it('tags: bulk create replaces unless appending, single create/rename/delete', async () => {
    await makeNamespace(h, 'ns-tag')
    const tags = [{ name: 'a' }, { name: 'b' }, { name: 'c' }]
    const c = await call(h, 'admin', 'POST', `${NS}/ns-tag/tags`, { tags })
    assert.equal(c.status, 201)
    assert.deepEqual(c.json.tags, tags)
    await call(
      h,
      'admin',
      'POST',
      `${NS}/ns-tag/tags`,
      { tags: [{ name: 'd' }] },
      { 'x-openstack-append': 'True' },
    )
    assert.equal((await call(h, 'admin', 'GET', `${NS}/ns-tag/tags`)).json.tags.length, 4)
    await call(h, 'admin', 'POST', `${NS}/ns-tag/tags`, { tags: [{ name: 'e' }] })
    assert.deepEqual(
      (await call(h, 'admin', 'GET', `${NS}/ns-tag/tags`)).json.tags.map((t: { name: string }) => t.name),
      ['e'],
    )
    assert.equal(
      (await call(h, 'admin', 'POST', `${NS}/ns-tag/tags`, { tags: [{ name: 'x' }, { name: 'x' }] })).status,
      409,
    )
    const one = await h.app.inject({
      method: 'POST',
      url: `/image${NS}/ns-tag/tags/solo`,
      headers: { 'x-auth-token': 'admin' },
    })
    assert.equal(one.statusCode, 201)
    assert.equal(JSON.parse(one.body).name, 'solo')
    assert.equal((await call(h, 'admin', 'POST', `${NS}/ns-tag/tags/solo`)).status, 409)
    const r = await call(h, 'admin', 'PUT', `${NS}/ns-tag/tags/solo`, { name: 'duo' })
    assert.equal(r.json.name, 'duo')
    assert.equal((await call(h, 'admin', 'GET', `${NS}/ns-tag/tags/duo`)).status, 200)
    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-tag/tags/duo`)).status, 204)
    assert.equal((await call(h, 'admin', 'DELETE', `${NS}/ns-tag/tags`)).status, 204)
    assert.deepEqual((await call(h, 'admin', 'GET', `${NS}/ns-tag/tags`)).json.tags, [])
  })

  it('resource type associations: list, duplicate, delete, new types are created', async () => {
    await makeNamespace(h, 'ns-rt')
    assert.equal(
      (await call(h, 'admin', 'POST', `${NS}/ns-rt/resource_types`, { name: 'OS::Glance::Image' })).status,
      201,
    )
    assert.equal(
      (await call(h, 'admin', 'POST', `${NS}/ns-rt/resource_types`, { name: 'OS::Glance::Image' })).status,
      409,
    )
    assert.equal(
      (await call(h, 'admin', 'POST', `${NS}/ns-rt/resource_types`, { name: 'My::Type' })).status,
      201,
    )
    const l = await call(h, 'admin', 'GET', `${NS}/ns-rt/resource_types`)
    assert.deepEqual(l.json.resource_type_associations.map((a: { name: string }) => a.name).sort(), [
      'My::Type',
      'OS::Glance::Image',
    ])
    const types = await call(h, 'admin', 'GET', '/v2/metadefs/resource_types')
    assert.ok(types.json.resource_types.some((t: { name: string }) => t.name === 'My::Type'))
    assert.equal(
      (await call(h, 'admin', 'DELETE', `${NS}/ns-rt/resource_types/OS::Glance::Image`)).status,
      204,
    )
    assert.equal(
      (await call(h, 'admin', 'DELETE', `${NS}/ns-rt/resource_types/OS::Glance::Image`)).status,
      404,
    )
    const byType = await call(h, 'admin', 'GET', `${NS}?resource_types=My::Type`)
    assert.deepEqual(
      byType.json.namespaces.map((n: { namespace: string }) => n.namespace),
      ['ns-rt'],
    )
  })

  it('visibility and policy per persona', async () => {
    await makeNamespace(h, 'ns-pub')
    await call(h, 'admin', 'POST', NS, { namespace: 'ns-priv', visibility: 'private' })
    await call(h, 'admin', 'POST', NS, { namespace: 'ns-alice', visibility: 'private', owner: 'p-alice' })
    const names = async (as: string) =>
      (await call(h, as, 'GET', `${NS}?limit=1000`)).json.namespaces.map(
        (n: { namespace: string }) => n.namespace,
      )
    const alice = await names('alice')
    assert.ok(alice.includes('ns-pub') && alice.includes('ns-alice') && !alice.includes('ns-priv'))
    assert.ok(!(await names('bob')).includes('ns-alice'))
    assert.ok((await names('admin')).includes('ns-priv'))
    assert.equal((await call(h, 'bob', 'GET', `${NS}/ns-priv`)).status, 404)
    assert.equal((await call(h, 'bob', 'GET', `${NS}/ns-priv/objects`)).status, 404)
    assert.equal((await call(h, 'reader', 'GET', `${NS}/ns-alice`)).status, 200)
    // Writes are admin-only, even for the owning project.
    assert.equal((await call(h, 'alice', 'POST', NS, { namespace: 'mine' })).status, 403)
    assert.equal((await call(h, 'alice', 'POST', `${NS}/ns-alice/objects`, { name: 'o' })).status, 403)
    assert.equal((await call(h, 'alice', 'DELETE', `${NS}/ns-alice`)).status, 403)
    assert.equal((await call(h, 'bob', 'DELETE', `${NS}/ns-alice`)).status, 404)
    assert.equal((await call(h, undefined, 'GET', NS)).status, 401)
  })

  it('lists page by namespace name, sorted as asked', async () => {
    for (const n of ['pg-a', 'pg-b', 'pg-c']) await makeNamespace(h, n)
    const p1 = await call(h, 'admin', 'GET', `${NS}?sort_key=namespace&sort_dir=asc&limit=2&resource_types=`)
    assert.equal(p1.status, 200)
    const all = await call(h, 'admin', 'GET', `${NS}?sort_key=namespace&sort_dir=asc&limit=2`)
    assert.equal(all.json.namespaces.length, 2)
    assert.ok(all.json.next)
    const next = await call(h, 'admin', 'GET', all.json.next)
    assert.equal(next.status, 200)
    const seen = [...all.json.namespaces, ...next.json.namespaces].map(
      (n: { namespace: string }) => n.namespace,
    )
    assert.deepEqual(seen, [...seen].sort())
    assert.equal(new Set(seen).size, seen.length)
  })

  const bad: [string, 'POST' | 'PUT' | 'GET', string, unknown, number][] = [
    ['namespace without a name', 'POST', NS, { visibility: 'public' }, 400],
    ['unknown namespace key', 'POST', NS, { namespace: 'x1', bogus: 1 }, 400],
    ['bad visibility', 'POST', NS, { namespace: 'x2', visibility: 'shared' }, 400],
    ['non-boolean protected', 'POST', NS, { namespace: 'x3', protected: 'yes' }, 400],
    ['read-only self', 'POST', NS, { namespace: 'x4', self: '/x' }, 403],
    ['name too long', 'POST', NS, { namespace: 'n'.repeat(81) }, 400],
    ['property without title', 'POST', NS, { namespace: 'x5', properties: { p: { type: 'string' } } }, 400],
    [
      'property with a bad type',
      'POST',
      NS,
      { namespace: 'x6', properties: { p: { title: 't', type: 'blob' } } },
      400,
    ],
    ['array body', 'POST', NS, [1], 400],
    ['bad sort key', 'GET', `${NS}?sort_key=nope`, undefined, 400],
    ['bad sort dir', 'GET', `${NS}?sort_dir=up`, undefined, 400],
    ['bad limit', 'GET', `${NS}?limit=x`, undefined, 400],
    ['negative limit', 'GET', `${NS}?limit=-1`, undefined, 400],
    ['bad visibility filter', 'GET', `${NS}?visibility=shared`, undefined, 400],
    ['unknown marker', 'GET', `${NS}?marker=nope`, undefined, 404],
    ['unknown namespace', 'GET', `${NS}/nope/objects`, undefined, 404],
  ]
  for (const [what, method, url, body, status] of bad) {
    it(`bad input: ${what} -> ${status}`, async () => {
      const r = await call(h, 'admin', method, url, body)
      assert.equal(r.status, status, JSON.stringify(r.json))
      assert.match(r.json.code, new RegExp(`^${status} `))
    })
  }

  it('renaming a namespace onto another is 409 and changes nothing', async () => {
    await makeNamespace(h, 'rn-a')
    await makeNamespace(h, 'rn-b')
    const r = await call(h, 'admin', 'PUT', `${NS}/rn-a`, { namespace: 'rn-b' })
    assert.equal(r.status, 409)
    assert.equal((await call(h, 'admin', 'GET', `${NS}/rn-a`)).status, 200)
    assert.equal((await call(h, 'admin', 'POST', NS, { namespace: 'rn-a' })).status, 409)
  })
})

describe('metadefs storage on every dialect', () => {
  for (const dialect of enabledDialects()) {
    it(`${dialect}: namespace with content, duplicates, rename, cascade delete`, async () => {
      const tdb = await createTestDatabase(dialect)
      const h = await startHarness({ connection: tdb.connection })
      try {
        assert.equal(
          (await call(h, 'admin', 'GET', '/v2/metadefs/resource_types')).json.resource_types.length,
          5,
        )
        await makeNamespace(h, 'OS::Compute::Test', {
          resource_type_associations: [{ name: 'OS::Nova::Flavor', prefix: 'hw:' }],
          properties: { a: { title: 'A', type: 'integer', minimum: 0 } },
          objects: [{ name: 'o', properties: {} }],
          tags: [{ name: 't' }],
        })
        // A duplicate tag in the content rolls the whole namespace back.
        const dup = await call(h, 'admin', 'POST', NS, {
          namespace: 'half',
          tags: [{ name: 'x' }, { name: 'x' }],
        })
        assert.equal(dup.status, 409)
        assert.equal((await call(h, 'admin', 'GET', `${NS}/half`)).status, 404)
        assert.equal((await call(h, 'admin', 'POST', NS, { namespace: 'OS::Compute::Test' })).status, 409)
        assert.equal(
          (
            await call(h, 'admin', 'POST', `${NS}/OS::Compute::Test/properties`, {
              name: 'a',
              title: 'A',
              type: 'string',
            })
          ).status,
          409,
        )
        assert.equal(
          (await call(h, 'admin', 'PUT', `${NS}/OS::Compute::Test`, { namespace: 'OS::Compute::Renamed' }))
            .status,
          200,
        )
        const s = await call(h, 'admin', 'GET', `${NS}/OS::Compute::Renamed`)
        assert.equal(s.json.properties.a.minimum, 0)
        assert.equal(s.json.objects[0].name, 'o')
        assert.equal(s.json.resource_type_associations[0].prefix, 'hw:')
        assert.equal((await call(h, 'admin', 'DELETE', `${NS}/OS::Compute::Renamed`)).status, 204)
        for (const table of [
          'metadef_objects',
          'metadef_properties',
          'metadef_tags',
          'metadef_namespace_resource_types',
          'metadef_namespaces',
        ] as const) {
          const rows = await h.db.selectFrom(table).selectAll().execute()
          assert.equal(rows.length, 0, `${table} has orphans`)
        }
      } finally {
        await h.close()
        await tdb.drop()
      }
    })
  }
})
