/**
 * Image quotas: staged data counts against the config size quota (issue 11's
 * 12 x 9 MiB staged under a 10 MiB quota), and with `use_keystone_limits` the four
 * unified-limit resources are enforced as Glance does, read through the LimitsReader
 * port (a fake here; identity's real one in identity's limits-api test).
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import type { LimitsReader } from '../domain/quotas.js'
import { call, createImage, type Harness, OCTET, startHarness, upload } from './harness.js'

const MiB = 1024 * 1024

const stage = (h: Harness, as: string, id: string, data: Buffer) =>
  call(h, as, 'PUT', `/v2/images/${id}/stage`, data, OCTET)

async function importAndWait(h: Harness, as: string, id: string): Promise<string> {
  const r = await call(h, as, 'POST', `/v2/images/${id}/import`, { method: { name: 'glance-direct' } })
  assert.equal(r.status, 202, JSON.stringify(r.json))
  let status = ''
  for (let i = 0; i < 200 && status !== 'active'; i++) {
    status = (await call(h, as, 'GET', `/v2/images/${id}`)).json.status
    if (status !== 'active') await new Promise((r) => setTimeout(r, 10))
  }
  return status
}

describe('config quota: staged data counts', () => {
  it('12 x 9 MiB staged under a 10 MiB image_size_total: one fits, the rest get 413', async () => {
    const h = await startHarness({ config: { image_quota: { image_size_total: 10 } } })
    try {
      const data = Buffer.alloc(9 * MiB, 7)
      const statuses: number[] = []
      const ids: string[] = []
      for (let i = 0; i < 12; i++) {
        const id = await createImage(h, 'alice')
        ids.push(id)
        statuses.push((await stage(h, 'alice', id, data)).status)
      }
      assert.deepEqual(statuses, [204, ...Array(11).fill(413)])
      const refused = (await call(h, 'alice', 'GET', `/v2/images/${ids[1]}`)).json
      assert.equal(refused.status, 'queued', 'a refused stage leaves the image queued')
      assert.equal(refused.size, null)
      // Staged 9 MiB leave 1 MiB: a 2 MiB upload is refused, a 1 MiB one fits.
      const up = await createImage(h, 'alice')
      assert.equal((await upload(h, 'alice', up, Buffer.alloc(2 * MiB))).status, 413)
      assert.equal((await upload(h, 'alice', up, Buffer.alloc(MiB))).status, 204)
      // Deleting the staged image frees its share.
      assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${ids[0]}`)).status, 204)
      assert.equal((await stage(h, 'alice', ids[1]!, data)).status, 204)
      // Importing moves it from staged to stored: still within the quota.
      assert.equal(await importAndWait(h, 'alice', ids[1]!), 'active')
      // Another project is not affected.
      const other = await createImage(h, 'bob')
      assert.equal((await stage(h, 'bob', other, data)).status, 204)
    } finally {
      await h.close()
    }
  })

  it('a stage streamed without a length is cut at the quota too', async () => {
    const h = await startHarness({ config: { DEFAULT: { user_storage_quota: '1000' } } })
    try {
      const a = await createImage(h, 'alice')
      assert.equal((await stage(h, 'alice', a, Buffer.alloc(600))).status, 204)
      const b = await createImage(h, 'alice')
      // NOTE: the store cuts the stream at the quota; inject() reports the torn request
      // body as a rejection where an HTTP client gets the 413.
      const res = await h.app
        .inject({
          method: 'PUT',
          url: `/image/v2/images/${b}/stage`,
          headers: {
            'x-auth-token': 'alice',
            'content-type': 'application/octet-stream',
            'transfer-encoding': 'chunked',
          },
          payload: Readable.from([Buffer.alloc(600)]),
        })
        .catch((e: Error) => e)
      if (!(res instanceof Error)) assert.equal(res.statusCode, 413)
      else assert.match(res.message, /exceeds the quota/)
      // The handler's clean-up may finish after inject() gave up on the request.
      let status = ''
      for (let i = 0; i < 100 && status !== 'queued'; i++) {
        status = (await call(h, 'alice', 'GET', `/v2/images/${b}`)).json.status
        if (status !== 'queued') await new Promise((r) => setTimeout(r, 10))
      }
      assert.equal(status, 'queued')
      // Nothing of it stays staged: the 400 bytes left still fit.
      assert.equal((await stage(h, 'alice', b, Buffer.alloc(400))).status, 204)
      const c = await createImage(h, 'alice')
      assert.equal((await stage(h, 'alice', c, Buffer.alloc(1))).status, 413)
      assert.equal((await call(h, 'alice', 'GET', `/v2/images/${b}`)).json.status, 'uploading')
    } finally {
      await h.close()
    }
  })
})

/** Limits per project for the fake reader; every resource not named is unregistered (0). */
function fakeLimits(limits: Record<string, Record<string, number>>): LimitsReader & { asked: unknown[] } {
  const asked: unknown[] = []
  return {
    asked,
    async limitsFor(q) {
      asked.push(q)
      const mine = limits[q.projectId] ?? {}
      return Object.fromEntries(q.resourceNames.filter((n) => n in mine).map((n) => [n, mine[n]!]))
    },
  }
}

describe('unified limits (use_keystone_limits)', () => {
  const start = async (limits: Record<string, number>) => {
    const reader = fakeLimits({ 'p-alice': limits })
    const h = await startHarness({ config: { DEFAULT: { use_keystone_limits: true } }, limits: reader })
    return { h, reader }
  }
  const all = (over: Record<string, number> = {}) => ({
    image_count_total: 10,
    image_size_total: 10,
    image_stage_total: 10,
    image_count_uploading: 10,
    ...over,
  })

  it('image_count_total: the limit and a raise of it decide, deletes give room', async () => {
    const { h, reader } = await start(all({ image_count_total: 1 }))
    try {
      const first = await createImage(h, 'alice')
      const second = await call(h, 'alice', 'POST', '/v2/images', {
        disk_format: 'raw',
        container_format: 'bare',
      })
      assert.equal(second.status, 413)
      assert.match(
        JSON.stringify(second.json),
        /Resource image_count_total is over limit of 1 due to current usage 1 and delta 1/,
      )
      assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${first}`)).status, 204)
      await createImage(h, 'alice')
      assert.deepEqual(reader.asked[0], {
        projectId: 'p-alice',
        resourceNames: ['image_count_total'],
        serviceType: 'image',
        endpointId: undefined,
        regionName: undefined,
      })
      // A project with nothing registered has a limit of 0, as oslo.limit reads it.
      assert.equal(
        (await call(h, 'bob', 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' })).status,
        413,
      )
    } finally {
      await h.close()
    }
  })

  it('image_size_total: checked before the upload with the declared MiB; usage may end above it', async () => {
    const { h } = await start(all({ image_size_total: 1 }))
    try {
      const a = await createImage(h, 'alice')
      assert.equal((await upload(h, 'alice', a, Buffer.alloc(MiB))).status, 204)
      const b = await createImage(h, 'alice')
      const refused = await upload(h, 'alice', b, Buffer.alloc(MiB))
      assert.equal(refused.status, 413)
      assert.equal((await call(h, 'alice', 'GET', `/v2/images/${b}`)).json.status, 'queued')
      // Without a declared length the delta is 0: at the limit, one more goes through.
      const res = await h.app.inject({
        method: 'PUT',
        url: `/image/v2/images/${b}/file`,
        headers: {
          'x-auth-token': 'alice',
          'content-type': 'application/octet-stream',
          'transfer-encoding': 'chunked',
        },
        payload: Readable.from([Buffer.alloc(MiB)]),
      })
      assert.equal(res.statusCode, 204)
      const c = await createImage(h, 'alice')
      assert.equal((await upload(h, 'alice', c, Buffer.alloc(10))).status, 413, 'over the limit now')
    } finally {
      await h.close()
    }
  })

  it('image_stage_total and image_count_uploading: staging is bounded, uploads are not held by it', async () => {
    const { h, reader } = await start(all({ image_stage_total: 1, image_count_uploading: 1 }))
    try {
      const data = Buffer.alloc(MiB, 1)
      const one = await createImage(h, 'alice')
      assert.equal((await stage(h, 'alice', one, data)).status, 204)
      const two = await createImage(h, 'alice')
      const overStage = await stage(h, 'alice', two, data)
      assert.equal(overStage.status, 413)
      assert.match(JSON.stringify(overStage.json), /image_stage_total/)
      // One image is uploading: a direct upload is one too many.
      const three = await createImage(h, 'alice')
      const overUploading = await upload(h, 'alice', three, data)
      assert.equal(overUploading.status, 413)
      assert.match(JSON.stringify(overUploading.json), /image_count_uploading/)
      assert.equal((await call(h, 'alice', 'GET', `/v2/images/${three}`)).json.status, 'queued')
      // Importing the staged image frees both.
      assert.equal(await importAndWait(h, 'alice', one), 'active')
      assert.equal((await upload(h, 'alice', three, data)).status, 204)
      assert.equal((await stage(h, 'alice', two, data)).status, 204)
      assert.ok(reader.asked.length > 0)
    } finally {
      await h.close()
    }
  })

  it('the config quotas step aside', async () => {
    const h = await startHarness({
      config: { DEFAULT: { use_keystone_limits: true }, image_quota: { image_count_total: 0 } },
      limits: fakeLimits({ 'p-alice': all() }),
    })
    try {
      await createImage(h, 'alice')
    } finally {
      await h.close()
    }
  })
})
