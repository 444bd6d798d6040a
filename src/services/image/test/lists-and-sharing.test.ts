/**
 * Image lists (filters, sorts, markers, links) and sharing (visibility, members,
 * member statuses) across personas, through app.inject().
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { call, createImage, type Harness, PATCH, startHarness, upload } from './harness.js'

const ids = (r: { json: { images: { id: string }[] } }) => r.json.images.map((i) => i.id)

describe('image lists', () => {
  let h: Harness
  const made: Record<string, string> = {}
  before(async () => {
    h = await startHarness()
    made.a = await createImage(h, 'alice', {
      name: 'img-a',
      tags: ['red', 'big'],
      os_distro: 'cirros',
      visibility: 'private',
    })
    made.b = await createImage(h, 'alice', {
      name: 'img-b',
      disk_format: 'qcow2',
      tags: ['red'],
      visibility: 'private',
    })
    made.c = await createImage(h, 'alice', { name: 'img-c', container_format: 'ovf', os_distro: 'ubuntu' })
    await upload(h, 'alice', made.a, Buffer.alloc(3000, 1))
    await upload(h, 'alice', made.b, Buffer.alloc(1000, 2))
    made.hidden = await createImage(h, 'alice', { name: 'img-hidden', os_hidden: true })
    made.bobs = await createImage(h, 'bob', { name: 'bob-private', visibility: 'private' })
    made.pub = await createImage(h, 'admin', { name: 'public-one', visibility: 'public' })
    made.comm = await createImage(h, 'bob', { name: 'community-one', visibility: 'community' })
  })
  after(async () => h.close())

  it('default list: own, public; not others private, community or hidden', async () => {
    const got = ids(await call(h, 'alice', 'GET', '/v2/images'))
    for (const k of ['a', 'b', 'c', 'pub']) assert.ok(got.includes(made[k]!), k)
    for (const k of ['bobs', 'comm', 'hidden']) assert.ok(!got.includes(made[k]!), k)
    assert.ok(ids(await call(h, 'alice', 'GET', '/v2/images?os_hidden=true')).includes(made.hidden!))
    assert.ok(ids(await call(h, 'alice', 'GET', '/v2/images?visibility=community')).includes(made.comm!))
    assert.ok(ids(await call(h, 'admin', 'GET', '/v2/images')).includes(made.bobs!))
  })

  const filters: [string, (r: Record<string, unknown>) => boolean][] = [
    ['name=img-a', (i) => i.name === 'img-a'],
    ['name=in:img-a,img-b', (i) => i.name === 'img-a' || i.name === 'img-b'],
    ['status=active', (i) => i.status === 'active'],
    ['status=queued', (i) => i.status === 'queued'],
    ['disk_format=qcow2', (i) => i.disk_format === 'qcow2'],
    ['container_format=ovf', (i) => i.container_format === 'ovf'],
    ['visibility=private', (i) => i.visibility === 'private'],
    ['owner=p-alice', (i) => i.owner === 'p-alice'],
    ['tag=red&tag=big', (i) => (i.tags as string[]).includes('red') && (i.tags as string[]).includes('big')],
    ['size_min=2000', (i) => (i.size as number) >= 2000],
    ['size_max=2000', (i) => (i.size as number) <= 2000],
    ['size=1000', (i) => i.size === 1000],
    ['os_distro=cirros', (i) => i.os_distro === 'cirros'],
    ['protected=false', (i) => i.protected === false],
    ['created_at=gte:2000-01-01T00:00:00Z', () => true],
  ]
  for (const [q, pred] of filters) {
    it(`filter ${q}`, async () => {
      const r = await call(h, 'alice', 'GET', `/v2/images?${q}`)
      assert.equal(r.status, 200)
      assert.ok(r.json.images.length > 0, 'matches something')
      for (const i of r.json.images) assert.ok(pred(i), JSON.stringify(i))
    })
  }

  it('created_at in the future matches nothing', async () => {
    const r = await call(h, 'alice', 'GET', '/v2/images?created_at=gt:2999-01-01T00:00:00Z')
    assert.equal(r.json.images.length, 0)
  })

  it('sorts by size both syntaxes, and by name', async () => {
    for (const q of ['sort=size:desc', 'sort_key=size&sort_dir=desc']) {
      const sizes = (await call(h, 'alice', 'GET', `/v2/images?${q}`)).json.images
        .map((i: { size: number | null }) => i.size)
        .filter((s: number | null) => s !== null)
      assert.deepEqual(
        sizes,
        [...sizes].sort((x: number, y: number) => y - x),
      )
      assert.ok(sizes.length >= 2)
    }
    const names = (await call(h, 'alice', 'GET', '/v2/images?sort=name:asc')).json.images.map(
      (i: { name: string }) => i.name,
    )
    assert.deepEqual(names, [...names].sort())
  })

  it('pages with limit and marker until exhausted, following next links', async () => {
    const all = ids(await call(h, 'alice', 'GET', '/v2/images?sort=name:asc'))
    const seen: string[] = []
    let url: string | undefined = '/v2/images?sort=name:asc&limit=2'
    while (url) {
      const page: Awaited<ReturnType<typeof call>> = await call(h, 'alice', 'GET', url)
      assert.ok(page.json.images.length <= 2)
      seen.push(...ids(page))
      assert.match(page.json.first, /^\/v2\/images\?/)
      url = page.json.next
    }
    assert.deepEqual(seen, all)
  })

  const bad: string[] = [
    'limit=abc',
    'limit=-1',
    'sort_key=nope',
    'sort_dir=up',
    'sort=name:up',
    'sort=name:asc&sort_key=name',
    'marker=8a2f0a5e-4c1a-4b5e-9d0a-000000000000',
    'marker=garbage',
    'visibility=everyone',
    'member_status=maybe',
    'size_min=big',
    'protected=perhaps',
    'created_at=gte:notadate',
  ]
  for (const q of bad) {
    it(`bad query ${q} -> 400`, async () => {
      const r = await call(h, 'alice', 'GET', `/v2/images?${q}`)
      assert.equal(r.status, 400, JSON.stringify(r.json))
    })
  }

  it("another project's private image is a marker nobody else may use", async () => {
    assert.equal((await call(h, 'alice', 'GET', `/v2/images?marker=${made.bobs}`)).status, 400)
  })
})

describe('image sharing', () => {
  let h: Harness
  before(async () => {
    h = await startHarness()
  })
  after(async () => h.close())

  it('members: pending, accepted, rejected, removed; what each side sees', async () => {
    const id = await createImage(h, 'alice', { name: 'shared' })
    await upload(h, 'alice', id, Buffer.from('shared data'))
    const add = await call(h, 'alice', 'POST', `/v2/images/${id}/members`, { member: 'p-bob' })
    assert.equal(add.status, 200)
    assert.deepEqual(
      [add.json.member_id, add.json.image_id, add.json.status, add.json.schema],
      ['p-bob', id, 'pending', '/v2/schemas/member'],
    )
    assert.equal(
      (await call(h, 'alice', 'POST', `/v2/images/${id}/members`, { member: 'p-bob' })).status,
      409,
    )
    assert.equal((await call(h, 'alice', 'POST', `/v2/images/${id}/members`, {})).status, 400)

    // Pending: bob may show it but does not list it by default.
    assert.ok(!ids(await call(h, 'bob', 'GET', '/v2/images')).includes(id))
    assert.equal((await call(h, 'bob', 'GET', `/v2/images/${id}`)).status, 200)
    const pending = await call(h, 'bob', 'GET', '/v2/images?member_status=pending&visibility=shared')
    assert.deepEqual(ids(pending), [id])
    // Strangers see nothing.
    assert.equal((await call(h, 'other', 'GET', `/v2/images/${id}`)).status, 404)
    assert.equal((await call(h, 'other', 'GET', `/v2/images/${id}/members`)).status, 404)

    // Only the member changes its status; the owner cannot accept for it.
    assert.equal(
      (await call(h, 'alice', 'PUT', `/v2/images/${id}/members/p-bob`, { status: 'accepted' })).status,
      403,
    )
    assert.equal(
      (await call(h, 'bob', 'PUT', `/v2/images/${id}/members/p-bob`, { status: 'maybe' })).status,
      400,
    )
    const acc = await call(h, 'bob', 'PUT', `/v2/images/${id}/members/p-bob`, { status: 'accepted' })
    assert.equal(acc.status, 200)
    assert.equal(acc.json.status, 'accepted')
    assert.ok(ids(await call(h, 'bob', 'GET', '/v2/images')).includes(id))
    assert.equal((await call(h, 'bob', 'GET', `/v2/images/${id}/file`)).raw.toString(), 'shared data')
    // The member may not change or delete the image, nor add members.
    assert.equal(
      (
        await call(
          h,
          'bob',
          'PATCH',
          `/v2/images/${id}`,
          [{ op: 'replace', path: '/name', value: 'x' }],
          PATCH,
        )
      ).status,
      403,
    )
    assert.equal((await call(h, 'bob', 'DELETE', `/v2/images/${id}`)).status, 403)
    assert.equal(
      (await call(h, 'bob', 'POST', `/v2/images/${id}/members`, { member: 'p-other' })).status,
      403,
    )

    const list = await call(h, 'alice', 'GET', `/v2/images/${id}/members`)
    assert.equal(list.json.members.length, 1)
    assert.equal(list.json.schema, '/v2/schemas/members')
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}/members/p-bob`)).json.status, 'accepted')
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}/members/p-none`)).status, 404)

    assert.equal(
      (await call(h, 'bob', 'PUT', `/v2/images/${id}/members/p-bob`, { status: 'rejected' })).status,
      200,
    )
    assert.ok(!ids(await call(h, 'bob', 'GET', '/v2/images')).includes(id))
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}/members/p-bob`)).status, 204)
    assert.equal((await call(h, 'bob', 'GET', `/v2/images/${id}`)).status, 404)
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}/members/p-bob`)).status, 404)
  })

  it('private images have no members; community needs a member role; public needs admin', async () => {
    const id = await createImage(h, 'alice', { visibility: 'private' })
    assert.equal(
      (await call(h, 'alice', 'POST', `/v2/images/${id}/members`, { member: 'p-bob' })).status,
      403,
    )
    const comm = await call(
      h,
      'alice',
      'PATCH',
      `/v2/images/${id}`,
      [{ op: 'replace', path: '/visibility', value: 'community' }],
      PATCH,
    )
    assert.equal(comm.status, 200)
    assert.equal((await call(h, 'bob', 'GET', `/v2/images/${id}`)).status, 200)
    assert.equal(
      (
        await call(
          h,
          'alice',
          'PATCH',
          `/v2/images/${id}`,
          [{ op: 'replace', path: '/visibility', value: 'public' }],
          PATCH,
        )
      ).status,
      403,
    )
    assert.equal(
      (
        await call(
          h,
          'admin',
          'PATCH',
          `/v2/images/${id}`,
          [{ op: 'replace', path: '/visibility', value: 'public' }],
          PATCH,
        )
      ).status,
      200,
    )
  })

  it('a reader may look but not touch', async () => {
    const id = await createImage(h, 'alice')
    assert.equal((await call(h, 'reader', 'GET', `/v2/images/${id}`)).status, 200)
    assert.equal((await call(h, 'reader', 'POST', '/v2/images', { name: 'x' })).status, 403)
    assert.equal(
      (
        await call(
          h,
          'reader',
          'PATCH',
          `/v2/images/${id}`,
          [{ op: 'replace', path: '/name', value: 'x' }],
          PATCH,
        )
      ).status,
      403,
    )
    assert.equal((await call(h, 'reader', 'DELETE', `/v2/images/${id}`)).status, 403)
    assert.equal(
      (
        await call(h, 'reader', 'PUT', `/v2/images/${id}/file`, Buffer.from('x'), {
          'content-type': 'application/octet-stream',
        })
      ).status,
      403,
    )
    assert.equal((await call(h, 'reader', 'PUT', `/v2/images/${id}/tags/x`)).status, 403)
  })

  it('cross-project: another member cannot see, change, upload to or delete a private image', async () => {
    const id = await createImage(h, 'alice', { visibility: 'private' })
    for (const [method, url, body, headers] of [
      ['GET', `/v2/images/${id}`],
      ['PATCH', `/v2/images/${id}`, [{ op: 'replace', path: '/name', value: 'x' }], PATCH],
      ['DELETE', `/v2/images/${id}`],
      ['PUT', `/v2/images/${id}/file`, Buffer.from('x'), { 'content-type': 'application/octet-stream' }],
      ['GET', `/v2/images/${id}/file`],
      ['PUT', `/v2/images/${id}/tags/x`],
      ['POST', `/v2/images/${id}/actions/deactivate`],
    ] as const) {
      const r = await call(h, 'bob', method, url, body, headers as Record<string, string> | undefined)
      assert.equal(r.status, 404, `${method} ${url}`)
    }
    assert.equal((await call(h, 'admin', 'GET', `/v2/images/${id}`)).status, 200)
  })

  it('image count quota per project', async () => {
    const q = await startHarness({ config: { image_quota: { image_count_total: 2 } } })
    try {
      await createImage(q, 'alice')
      const second = await createImage(q, 'alice')
      assert.equal((await call(q, 'alice', 'POST', '/v2/images', {})).status, 413)
      assert.equal((await call(q, 'bob', 'POST', '/v2/images', {})).status, 201)
      await call(q, 'alice', 'DELETE', `/v2/images/${second}`)
      assert.equal((await call(q, 'alice', 'POST', '/v2/images', {})).status, 201)
    } finally {
      await q.close()
    }
  })

  it('storage quota per project, concurrent uploads cannot both pass', async () => {
    const q = await startHarness({ config: { DEFAULT: { user_storage_quota: '1000' } } })
    try {
      const a = await createImage(q, 'alice')
      const b = await createImage(q, 'alice')
      const [ra, rb] = await Promise.all([
        upload(q, 'alice', a, Buffer.alloc(600)),
        upload(q, 'alice', b, Buffer.alloc(600)),
      ])
      assert.deepEqual([ra.status, rb.status].sort(), [204, 413])
      const c = await createImage(q, 'alice')
      assert.equal((await upload(q, 'alice', c, Buffer.alloc(500))).status, 413)
      assert.equal((await upload(q, 'alice', c, Buffer.alloc(400))).status, 204)
      const statuses = await Promise.all(
        [a, b, c].map(async (id) => (await call(q, 'alice', 'GET', `/v2/images/${id}`)).json.status),
      )
      assert.deepEqual(statuses.sort(), ['active', 'active', 'queued'])
    } finally {
      await q.close()
    }
  })
})
