/**
 * Image API cases through app.inject(): discovery, create and its validation, lists with
 * filters, sorts and markers, JSON-patch, delete, deactivate, tags, data, ranges.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { call, createImage, type Harness, PATCH, startHarness, upload } from './harness.js'

describe('image API', () => {
  let h: Harness
  before(async () => {
    h = await startHarness({ config: { DEFAULT: { image_tag_quota: 5, image_property_quota: 10 } } })
  })
  after(async () => h.close())

  it('discovery: versions (300 at the root), schemas, info', async () => {
    const root = await call(h, undefined, 'GET', '/')
    assert.equal(root.status, 300)
    assert.equal(root.json.versions[0].id, 'v2.16')
    assert.equal(root.json.versions[0].status, 'CURRENT')
    assert.ok(root.json.versions.some((v: { id: string }) => v.id === 'v2.12'))
    assert.match(root.json.versions[0].links[0].href, /\/image\/v2\/$/)
    assert.equal((await call(h, undefined, 'GET', '/versions')).status, 200)
    for (const name of ['image', 'images', 'member', 'members']) {
      const r = await call(h, 'alice', 'GET', `/v2/schemas/${name}`)
      assert.equal(r.status, 200)
      assert.equal(r.json.name, name)
    }
    assert.equal((await call(h, 'alice', 'GET', '/v2/schemas/nope')).status, 404)
    const metadefs: [string, string][] = [
      ['namespace', 'namespace'],
      ['namespaces', 'namespaces'],
      ['resource_type', 'resource_type_association'],
      ['resource_types', 'resource_type_associations'],
      ['object', 'object'],
      ['objects', 'objects'],
      ['property', 'property'],
      ['properties', 'properties'],
      ['tag', 'tag'],
      ['tags', 'tags'],
    ]
    for (const [path, name] of metadefs) {
      assert.equal((await call(h, 'alice', 'GET', `/v2/schemas/metadefs/${path}`)).json.name, name)
    }
    assert.equal((await call(h, 'alice', 'GET', '/v2/schemas/metadefs/toString')).status, 404)
    const imp = await call(h, 'alice', 'GET', '/v2/info/import')
    assert.deepEqual(imp.json['import-methods'].value, ['glance-direct'])
    const stores = await call(h, 'alice', 'GET', '/v2/info/stores')
    assert.equal(stores.json.stores[0].id, 'local')
  })

  it('rejects anonymous calls with 401 and an unknown method with 405', async () => {
    assert.equal((await call(h, undefined, 'GET', '/v2/images')).status, 401)
    assert.equal((await call(h, 'nobody', 'GET', '/v2/images')).status, 401)
    const r = await call(h, 'alice', 'PUT', '/v2/images')
    assert.equal(r.status, 405)
    assert.match(String(r.headers.allow), /GET/)
  })

  it('creates an image with the upstream fields, defaults and headers', async () => {
    const r = await call(h, 'alice', 'POST', '/v2/images', {
      name: 'cirros',
      disk_format: 'qcow2',
      container_format: 'bare',
      tags: ['a', 'b'],
      ramdisk_id: '00000000-1111-2222-3333-444455556666',
    })
    assert.equal(r.status, 201)
    assert.equal(r.json.status, 'queued')
    assert.equal(r.json.visibility, 'shared')
    assert.equal(r.json.owner, 'p-alice')
    assert.equal(r.json.size, null)
    assert.equal(r.json.protected, false)
    assert.equal(r.json.ramdisk_id, '00000000-1111-2222-3333-444455556666')
    assert.deepEqual(r.json.tags, ['a', 'b'])
    assert.equal(r.json.self, `/v2/images/${r.json.id}`)
    assert.equal(r.json.file, `/v2/images/${r.json.id}/file`)
    assert.equal(r.json.schema, '/v2/schemas/image')
    assert.match(r.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.equal(r.headers['openstack-image-import-methods'], 'glance-direct')
    assert.ok(!('locations' in r.json) && !('direct_url' in r.json))
  })

  const badCreates: [string, Record<string, unknown>, number][] = [
    ['bad container format', { container_format: 'wrong', disk_format: 'vhd' }, 400],
    ['bad disk format', { container_format: 'bare', disk_format: 'wrong' }, 400],
    ['reserved os_glance_ property', { os_glance_foo: 'bar' }, 403],
    ['read-only status', { status: 'active' }, 403],
    ['read-only checksum', { checksum: 'x' }, 403],
    ['locations', { locations: [] }, 403],
    ['non-string property', { foo: 1 }, 400],
    ['bad visibility', { visibility: 'everyone' }, 400],
    ['bad protected', { protected: 'yes' }, 400],
    ['negative min_ram', { min_ram: -1 }, 400],
    ['bad id', { id: 'not-a-uuid' }, 400],
    ['too long name', { name: 'x'.repeat(256) }, 400],
    ['public by a member', { visibility: 'public' }, 403],
    ['foreign owner by a member', { owner: 'p-bob' }, 403],
    ['too many tags', { tags: ['1', '2', '3', '4', '5', '6'] }, 413],
  ]
  for (const [name, body, status] of badCreates) {
    it(`create: ${name} -> ${status}`, async () => {
      const r = await call(h, 'alice', 'POST', '/v2/images', body)
      assert.equal(r.status, status, JSON.stringify(r.json))
      assert.equal(r.json.code, `${status} ${r.json.title}`)
      assert.equal(typeof r.json.message, 'string')
    })
  }

  it('create: a non-object body and bad JSON are 400', async () => {
    assert.equal((await call(h, 'alice', 'POST', '/v2/images', [1])).status, 400)
    const r = await h.app.inject({
      method: 'POST',
      url: '/image/v2/images',
      headers: { 'x-auth-token': 'alice', 'content-type': 'application/json' },
      payload: '{bad',
    })
    assert.equal(r.statusCode, 400)
  })

  it('create: a reused id is 409, even after delete', async () => {
    const id = await createImage(h, 'alice')
    assert.equal((await call(h, 'alice', 'POST', '/v2/images', { id })).status, 409)
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}`)).status, 204)
    assert.equal((await call(h, 'alice', 'POST', '/v2/images', { id })).status, 409)
  })

  it('admin may create and re-own images for any project', async () => {
    const r = await call(h, 'admin', 'POST', '/v2/images', { owner: 'f0e1d2c3b4a5', visibility: 'public' })
    assert.equal(r.status, 201)
    assert.equal(r.json.owner, 'f0e1d2c3b4a5')
    const p = await call(
      h,
      'admin',
      'PATCH',
      `/v2/images/${r.json.id}`,
      [{ op: 'replace', path: '/owner', value: 'other' }],
      PATCH,
    )
    assert.equal(p.status, 200)
    assert.equal(p.json.owner, 'other')
  })

  it('show: unknown, empty and non-uuid ids are 404', async () => {
    assert.equal(
      (await call(h, 'alice', 'GET', '/v2/images/8a2f0a5e-4c1a-4b5e-9d0a-000000000000')).status,
      404,
    )
    assert.equal((await call(h, 'alice', 'GET', '/v2/images/')).status, 404)
    assert.equal((await call(h, 'alice', 'DELETE', '/v2/images/')).status, 404)
    assert.equal((await call(h, 'alice', 'GET', '/v2/images/nope')).status, 404)
  })

  it('JSON-patch v2.1 and v2.0: core fields, properties, tags', async () => {
    const id = await createImage(h, 'alice', { name: 'p', foo: 'bar' })
    const ops = [
      { op: 'replace', path: '/name', value: 'renamed' },
      { op: 'add', path: '/hw_cpu_cores', value: '5' },
      { op: 'add', path: '/trait:STORAGE_DISK_SSD', value: 'required' },
      { op: 'remove', path: '/foo' },
      { op: 'replace', path: '/tags', value: ['x', 'y'] },
      { op: 'replace', path: '/protected', value: true },
      { op: 'replace', path: '/min_ram', value: 512 },
    ]
    const r = await call(h, 'alice', 'PATCH', `/v2/images/${id}`, ops, PATCH)
    assert.equal(r.status, 200, JSON.stringify(r.json))
    assert.equal(r.json.name, 'renamed')
    assert.equal(r.json.hw_cpu_cores, '5')
    assert.equal(r.json['trait:STORAGE_DISK_SSD'], 'required')
    assert.ok(!('foo' in r.json))
    assert.deepEqual(r.json.tags, ['x', 'y'])
    assert.equal(r.json.protected, true)
    assert.equal(r.json.min_ram, 512)
    const old = await call(h, 'alice', 'PATCH', `/v2/images/${id}`, [{ replace: '/name', value: 'v20' }], {
      'content-type': 'application/openstack-images-v2.0-json-patch',
    })
    assert.equal(old.status, 200)
    assert.equal(old.json.name, 'v20')
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}`)).status, 403)
    await call(
      h,
      'alice',
      'PATCH',
      `/v2/images/${id}`,
      [{ op: 'replace', path: '/protected', value: false }],
      PATCH,
    )
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}`)).status, 204)
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}`)).status, 404)
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}`)).status, 404)
  })

  const badPatches: [string, unknown, number, Record<string, string>?][] = [
    ['not an array', { op: 'replace' }, 400],
    ['unknown op', [{ op: 'move', path: '/name', from: '/x' }], 400],
    ['missing value', [{ op: 'replace', path: '/name' }], 400],
    ['no leading slash', [{ op: 'replace', path: 'name', value: 'x' }], 400],
    ['nested path', [{ op: 'add', path: '/a/b', value: 'x' }], 400],
    ['read-only status', [{ op: 'replace', path: '/status', value: 'active' }], 403],
    ['read-only size', [{ op: 'replace', path: '/size', value: 1 }], 403],
    ['reserved', [{ op: 'add', path: '/os_glance_foo', value: 'bar' }], 403],
    ['remove core', [{ op: 'remove', path: '/name' }], 403],
    ['replace missing property', [{ op: 'replace', path: '/nope', value: 'x' }], 409],
    ['remove missing property', [{ op: 'remove', path: '/nope' }], 409],
    ['bad visibility', [{ op: 'replace', path: '/visibility', value: 'x' }], 400],
    ['publicize as member', [{ op: 'replace', path: '/visibility', value: 'public' }], 403],
    ['owner as member', [{ op: 'replace', path: '/owner', value: 'p-bob' }], 403],
    ['locations', [{ op: 'add', path: '/locations/-', value: { url: 'http://x', metadata: {} } }], 403],
    [
      'wrong media type',
      [{ op: 'replace', path: '/name', value: 'x' }],
      415,
      { 'content-type': 'application/json' },
    ],
  ]
  for (const [name, body, status, headers] of badPatches) {
    it(`patch: ${name} -> ${status}`, async () => {
      const id = await createImage(h, 'alice')
      const r = await call(h, 'alice', 'PATCH', `/v2/images/${id}`, body, headers ?? PATCH)
      assert.equal(r.status, status, JSON.stringify(r.json))
    })
  }

  it('uploads, verifies hashes, downloads whole and by range', async () => {
    const id = await createImage(h, 'alice')
    const empty = await call(h, 'alice', 'GET', `/v2/images/${id}/file`)
    assert.equal(empty.status, 204)
    const data = Buffer.alloc(100_000)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251
    assert.equal((await upload(h, 'alice', id, data)).status, 204)
    const img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
    assert.equal(img.status, 'active')
    assert.equal(img.size, data.length)
    assert.equal(img.checksum, createHash('md5').update(data).digest('hex'))
    assert.equal(img.os_hash_algo, 'sha512')
    assert.equal(img.os_hash_value, createHash('sha512').update(data).digest('hex'))
    assert.equal(img.stores, 'local')
    assert.ok(!('locations' in img) && !('direct_url' in img))
    const full = await call(h, 'alice', 'GET', `/v2/images/${id}/file`)
    assert.equal(full.status, 200)
    assert.equal(full.headers['content-md5'], img.checksum)
    assert.ok(full.raw.equals(data))
    const part = await call(h, 'alice', 'GET', `/v2/images/${id}/file`, undefined, { range: 'bytes=10-19' })
    assert.equal(part.status, 206)
    assert.equal(part.headers['content-range'], `bytes 10-19/${data.length}`)
    assert.ok(part.raw.equals(data.subarray(10, 20)))
    const tail = await call(h, 'alice', 'GET', `/v2/images/${id}/file`, undefined, { range: 'bytes=-5' })
    assert.ok(tail.raw.equals(data.subarray(data.length - 5)))
    assert.equal(
      (await call(h, 'alice', 'GET', `/v2/images/${id}/file`, undefined, { range: 'bytes=999999-' })).status,
      416,
    )
    assert.equal(
      (await call(h, 'alice', 'GET', `/v2/images/${id}/file`, undefined, { range: 'lines=1-2' })).status,
      416,
    )
    // A second upload to an active image is a conflict; so is the wrong media type.
    assert.equal((await upload(h, 'alice', id, data)).status, 409)
    const id2 = await createImage(h, 'alice')
    const wrong = await call(h, 'alice', 'PUT', `/v2/images/${id2}/file`, data, {
      'content-type': 'text/plain',
    })
    assert.equal(wrong.status, 415)
    // disk_format cannot change once data exists.
    const p = await call(
      h,
      'alice',
      'PATCH',
      `/v2/images/${id}`,
      [{ op: 'replace', path: '/disk_format', value: 'qcow2' }],
      PATCH,
    )
    assert.equal(p.status, 403)
  })

  it('deactivates and reactivates; deactivated data is 403 for users', async () => {
    const id = await createImage(h, 'alice')
    assert.equal((await call(h, 'alice', 'POST', `/v2/images/${id}/actions/deactivate`)).status, 403)
    await upload(h, 'alice', id, Buffer.from('abc'))
    assert.equal((await call(h, 'alice', 'POST', `/v2/images/${id}/actions/deactivate`)).status, 204)
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}`)).json.status, 'deactivated')
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}/file`)).status, 403)
    assert.equal((await call(h, 'alice', 'POST', `/v2/images/${id}/actions/reactivate`)).status, 204)
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}/file`)).raw.toString(), 'abc')
  })

  it('tags: add, idempotent add, delete, 404s, quota', async () => {
    const id = await createImage(h, 'alice')
    assert.equal((await call(h, 'alice', 'PUT', `/v2/images/${id}/tags/t1`)).status, 204)
    assert.equal((await call(h, 'alice', 'PUT', `/v2/images/${id}/tags/t1`)).status, 204)
    assert.deepEqual((await call(h, 'alice', 'GET', `/v2/images/${id}`)).json.tags, ['t1'])
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}/tags/t1`)).status, 204)
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}/tags/t1`)).status, 404)
    assert.equal(
      (await call(h, 'alice', 'PUT', '/v2/images/8a2f0a5e-4c1a-4b5e-9d0a-000000000000/tags/x')).status,
      404,
    )
    for (const t of ['1', '2', '3', '4', '5']) await call(h, 'alice', 'PUT', `/v2/images/${id}/tags/${t}`)
    assert.equal((await call(h, 'alice', 'PUT', `/v2/images/${id}/tags/6`)).status, 413)
  })

  it('glance-direct import: stage, import, task', async () => {
    const id = await createImage(h, 'alice')
    const data = Buffer.from('staged data '.repeat(1000))
    assert.equal(
      (await call(h, 'alice', 'POST', `/v2/images/${id}/import`, { method: { name: 'glance-direct' } }))
        .status,
      409,
    )
    assert.equal(
      (
        await call(h, 'alice', 'PUT', `/v2/images/${id}/stage`, data, {
          'content-type': 'application/octet-stream',
        })
      ).status,
      204,
    )
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}`)).json.status, 'uploading')
    assert.equal(
      (await call(h, 'alice', 'POST', `/v2/images/${id}/import`, { method: { name: 'web-download' } }))
        .status,
      400,
    )
    const imp = await call(h, 'alice', 'POST', `/v2/images/${id}/import`, {
      method: { name: 'glance-direct' },
    })
    assert.equal(imp.status, 202)
    let img: { status: string; os_hash_value: string } = { status: '', os_hash_value: '' }
    for (let i = 0; i < 100 && img.status !== 'active'; i++) {
      img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
      await new Promise((r) => setTimeout(r, 10))
    }
    assert.equal(img.status, 'active')
    assert.equal(img.os_hash_value, createHash('sha512').update(data).digest('hex'))
    // The task is finished just after the image turns active (the staged data goes first).
    let tasks = (await call(h, 'alice', 'GET', `/v2/images/${id}/tasks`)).json.tasks
    for (let i = 0; i < 200 && tasks[0]?.status === 'processing'; i++) {
      await new Promise((r) => setTimeout(r, 10))
      tasks = (await call(h, 'alice', 'GET', `/v2/images/${id}/tasks`)).json.tasks
    }
    assert.equal(tasks.length, 1)
    assert.equal(tasks[0].status, 'success')
    assert.equal(tasks[0].request_id, imp.headers['x-openstack-request-id'])
    assert.equal(tasks[0].input.import_req.method.name, 'glance-direct')
  })
})
