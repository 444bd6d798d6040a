/**
 * Interoperable import beyond glance-direct, and abuse of it:
 * - web-download: refused by default to loopback, link-local, private and unspecified
 *   addresses, literal or resolved (fake DNS answers come from an injected resolver),
 *   at every redirect hop, with no request reaching the target and the task saying why;
 *   allowed for a host the operator names; the size cap and the quota stop the stream
 *   midway with nothing left behind; unreachable, 404, wrong scheme, unknown store.
 * - two file stores: X-Image-Meta-Store, copy-image (streamed, verified), all_stores,
 *   DELETE /v2/stores/{store}/{image}, /v2/info/stores(/detail), the tasks API.
 * - locations with show_multiple_locations.
 * Every HTTP server here listens on 127.0.0.1; nothing else is ever connected to.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseBackends } from '../files/store-set.js'
import { isInternalAddress } from '../files/web-fetch.js'
import {
  type ConfigOverrides,
  call,
  createImage,
  type Harness,
  OCTET,
  PATCH,
  startHarness,
  upload,
} from './harness.js'

/** A loopback HTTP server recording every request; `routes` answer by path. */
async function loopbackServer(
  routes: Record<string, (req: IncomingMessage, res: import('node:http').ServerResponse) => void>,
): Promise<{ server: Server; port: number; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(req.url ?? '')
    const route = routes[(req.url ?? '').split('?')[0]!]
    if (route) route(req, res)
    else res.writeHead(404).end('no')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

const DATA = Buffer.alloc(200_000, 7)

/** Waits for the image's last task to finish; returns it. */
async function settle(h: Harness, id: string) {
  for (let i = 0; i < 400; i++) {
    const t = await call(h, 'admin', 'GET', `/v2/images/${id}/tasks`)
    const last = t.json.tasks.at(-1)
    if (last && last.status !== 'processing' && last.status !== 'pending') return last
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`task of ${id} did not finish`)
}

async function webDownload(h: Harness, uri: string, as = 'alice') {
  const id = await createImage(h, as)
  const r = await call(h, as, 'POST', `/v2/images/${id}/import`, { method: { name: 'web-download', uri } })
  return { id, r }
}

/** No data file, temp file or staged file anywhere under the image data directory. */
function assertNoFiles(h: Harness, id: string) {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
        )
      : []
  const left = [...walk(join(h.dataDir, 'images')), ...walk(join(h.dataDir, 'staging'))].filter((f) =>
    f.includes(id),
  )
  assert.deepEqual(left, [], `files left for ${id}`)
}

const STORES = ['fast:file', 'cheap:file']
const METHODS = ['glance-direct', 'web-download', 'copy-image', 'glance-download']

describe('web-download refused by default (OSSN-0078)', () => {
  let h: Harness
  let srv: Awaited<ReturnType<typeof loopbackServer>>
  const dns: Record<string, string[]> = {
    'private.example': ['10.1.2.3'],
    'loop.example': ['127.0.0.1'],
    'mixed.example': ['93.184.216.34', '192.168.1.1'],
    'metadata.example': ['169.254.169.254'],
  }
  before(async () => {
    srv = await loopbackServer({ '/img': (_q, res) => res.end(DATA) })
    h = await startHarness({
      config: {
        DEFAULT: { enabled_import_methods: METHODS, enabled_backends: STORES },
        glance_store: { default_backend: 'fast' },
        import_filtering_opts: { allowed_ports: [] },
      },
      hooks: {
        resolver: async (host) => {
          const a = dns[host]
          if (!a) throw new Error(`no fake answer for ${host}`)
          return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
        },
      },
    })
  })
  after(async () => {
    await h.close()
    await srv.close()
  })

  it('classifies addresses', () => {
    for (const a of [
      '127.0.0.1',
      '::1',
      '169.254.169.254',
      '10.0.0.1',
      '172.16.0.1',
      '192.168.0.1',
      '0.0.0.0',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ])
      assert.ok(isInternalAddress(a), a)
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) assert.ok(!isInternalAddress(a), a)
  })

  for (const host of [
    '127.0.0.1',
    '[::1]',
    '169.254.169.254',
    '10.0.0.1',
    'private.example',
    'loop.example',
    'mixed.example',
    'metadata.example',
  ]) {
    it(`refuses ${host}: 202, the task fails saying why, the image stays queued, nothing fetched`, async () => {
      const before = srv.seen.length
      const port = host.startsWith('127.') || host === 'loop.example' ? srv.port : 80
      const { id, r } = await webDownload(h, `http://${host}:${port}/img`)
      assert.equal(r.status, 202)
      const task = await settle(h, id)
      assert.equal(task.status, 'failure')
      assert.match(task.message, /internal address; refused/)
      const img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
      assert.equal(img.status, 'queued')
      assert.equal(img.os_glance_import_task, undefined)
      assert.equal(img.os_glance_failed_import, 'fast')
      assert.equal(srv.seen.length, before, 'no request reached the server')
      assertNoFiles(h, id)
    })
  }

  it('refuses a redirect to an internal address; only the first hop is requested', async () => {
    const h2 = await startHarness({
      config: {
        DEFAULT: { enabled_import_methods: METHODS },
        import_filtering_opts: { allowed_ports: [], allowed_internal_hosts: ['redirector.example'] },
      },
      hooks: {
        resolver: async (host) => [
          { address: host === 'private.example' ? '10.1.2.3' : '127.0.0.1', family: 4 },
        ],
      },
    })
    const targets = [
      'http://169.254.169.254/latest/meta-data/',
      `http://127.0.0.1:${srv.port}/img`,
      'http://[::1]/x',
      'http://10.0.0.1/x',
      // A name whose (injected) DNS answer is internal, reached only through the redirect.
      'http://private.example/x',
    ]
    const loopbackSeen = srv.seen.length
    try {
      for (const target of targets) {
        const r2 = await loopbackServer({
          '/go': (_q, res) => res.writeHead(302, { location: target }).end(),
        })
        try {
          const { id, r } = await webDownload(h2, `http://redirector.example:${r2.port}/go`)
          assert.equal(r.status, 202)
          const task = await settle(h2, id)
          assert.equal(task.status, 'failure', target)
          assert.match(task.message, /internal address; refused/)
          assert.deepEqual(r2.seen, ['/go'])
          assert.equal((await call(h2, 'alice', 'GET', `/v2/images/${id}`)).json.status, 'queued')
        } finally {
          await r2.close()
        }
      }
      assert.equal(srv.seen.length, loopbackSeen, 'the loopback target behind the redirect saw no request')
    } finally {
      await h2.close()
    }
  })

  it('answers 400 at once for a scheme, host or port the filters refuse', async () => {
    for (const uri of ['ftp://127.0.0.1/img', 'file:///etc/passwd', 'gopher://x/y', 'not a url']) {
      const { r } = await webDownload(h, uri)
      assert.equal(r.status, 400, uri)
    }
    const h2 = await startHarness({ config: { DEFAULT: { enabled_import_methods: METHODS } } })
    try {
      // Upstream's default allowed_ports: 80 and 443 only.
      const { r } = await webDownload(h2, `http://127.0.0.1:${srv.port}/img`)
      assert.equal(r.status, 400)
      assert.match(r.json.message ?? JSON.stringify(r.json), /Port/)
    } finally {
      await h2.close()
    }
  })
})

describe('web-download allowed by name, limits while streaming', () => {
  let h: Harness
  let srv: Awaited<ReturnType<typeof loopbackServer>>
  let cut = false
  before(async () => {
    srv = await loopbackServer({
      '/img': (_q, res) => res.end(DATA),
      '/huge': (_q, res) => {
        // No Content-Length: only counting the stream can stop it.
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        let sent = 0
        const push = () => {
          while (sent < 50_000_000) {
            sent += 65536
            if (!res.write(Buffer.alloc(65536, 1))) return void res.once('drain', push)
          }
          res.end()
        }
        res.on('close', () => {
          if (sent < 50_000_000) cut = true
        })
        push()
      },
      '/big-announced': (_q, res) => res.writeHead(200, { 'content-length': '10000000' }).end(),
    })
    h = await startHarness({
      config: {
        DEFAULT: {
          enabled_import_methods: METHODS,
          image_size_cap: 1_000_000,
          user_storage_quota: '3MB',
          show_multiple_locations: true,
          enabled_backends: STORES,
        },
        glance_store: { default_backend: 'fast' },
        import_filtering_opts: { allowed_ports: [], allowed_internal_hosts: ['127.0.0.1'] },
      },
    })
  })
  after(async () => {
    await h.close()
    await srv.close()
  })

  it('imports from a host the operator allowed: hashes, size, store, properties, task', async () => {
    const { id, r } = await webDownload(h, `http://127.0.0.1:${srv.port}/img`)
    assert.equal(r.status, 202)
    const task = await settle(h, id)
    assert.equal(task.status, 'success', task.message)
    assert.equal(task.input.import_req.method.name, 'web-download')
    const img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
    assert.equal(img.status, 'active')
    assert.equal(img.size, DATA.length)
    assert.equal(img.checksum, (await import('node:crypto')).createHash('md5').update(DATA).digest('hex'))
    assert.equal(img.stores, 'fast')
    assert.equal(img.os_glance_importing_to_stores, '')
    assert.equal(img.os_glance_failed_import, '')
    assert.equal(img.os_glance_import_task, undefined)
    const got = await call(h, 'alice', 'GET', `/v2/images/${id}/file`)
    assert.ok(got.raw.equals(DATA))
  })

  it('an http location makes a queued image active with the size its server gives; data read through it', async () => {
    const id = await createImage(h, 'other')
    const add = (url: string) =>
      call(
        h,
        'other',
        'PATCH',
        `/v2/images/${id}`,
        [{ op: 'add', path: '/locations/-', value: { url, metadata: {} } }],
        PATCH,
      )
    assert.equal((await add(`http://127.0.0.1:${srv.port}/missing`)).status, 400)
    const r = await add(`http://127.0.0.1:${srv.port}/img`)
    assert.equal(r.status, 200)
    assert.equal(r.json.status, 'active')
    assert.equal(r.json.size, DATA.length)
    assert.equal((await h.repo().usage('p-other')).bytes, DATA.length)
    const got = await call(h, 'other', 'GET', `/v2/images/${id}/file`)
    assert.equal(got.status, 200)
    assert.ok(got.raw.equals(DATA))
    assert.equal((await call(h, 'other', 'DELETE', `/v2/images/${id}`)).status, 204)
    assert.equal((await h.repo().usage('p-other')).bytes, 0)
  })

  it('stops a stream past image_size_cap midway; nothing is left', async () => {
    cut = false
    const { id } = await webDownload(h, `http://127.0.0.1:${srv.port}/huge`)
    const task = await settle(h, id)
    assert.equal(task.status, 'failure')
    assert.match(task.message, /maximum size|quota/)
    await new Promise((r) => setTimeout(r, 50))
    assert.ok(cut, 'the server saw the connection closed before the end')
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}`)).json.status, 'queued')
    assertNoFiles(h, id)
    const tmp = readdirSync(join(h.dataDir, 'images', 'fast', '.tmp'))
    assert.deepEqual(tmp, [])
  })

  it('refuses an announced size over the cap before reading it', async () => {
    const { id } = await webDownload(h, `http://127.0.0.1:${srv.port}/big-announced`)
    const task = await settle(h, id)
    assert.equal(task.status, 'failure')
    assert.match(task.message, /maximum size/)
    assertNoFiles(h, id)
  })

  it("stops at the project's quota, counting what it already stores; usage stays exact", async () => {
    const used = async () => (await h.repo().usage('p-bob')).bytes
    for (let i = 0; i < 3; i++) {
      const id = await createImage(h, 'bob')
      assert.equal((await upload(h, 'bob', id, Buffer.alloc(900_000, i))).status, 204)
    }
    assert.equal(await used(), 2_700_000)
    const { id } = await webDownload(h, `http://127.0.0.1:${srv.port}/huge`, 'bob')
    const task = await settle(h, id)
    assert.equal(task.status, 'failure')
    assert.match(task.message, /quota/)
    assert.equal(await used(), 2_700_000)
    assertNoFiles(h, id)
  })

  it('reports unreachable, 404, a store that does not exist, copy-image of a queued image', async () => {
    const dead = await loopbackServer({})
    const deadPort = dead.port
    await dead.close()
    for (const [uri, why] of [
      [`http://127.0.0.1:${deadPort}/img`, /could not be fetched/],
      [`http://127.0.0.1:${srv.port}/missing`, /HTTP 404/],
    ] as const) {
      const { id } = await webDownload(h, uri)
      const task = await settle(h, id)
      assert.equal(task.status, 'failure')
      assert.match(task.message, why)
      assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}`)).json.status, 'queued')
    }
    const id = await createImage(h, 'alice')
    const r = await call(h, 'alice', 'POST', `/v2/images/${id}/import`, {
      method: { name: 'web-download', uri: `http://127.0.0.1:${srv.port}/img` },
      stores: ['nowhere'],
    })
    assert.equal(r.status, 400)
    const c = await call(h, 'admin', 'POST', `/v2/images/${id}/import`, {
      method: { name: 'copy-image' },
      all_stores: true,
    })
    assert.equal(c.status, 409)
    assert.match(JSON.stringify(c.json), /copy-image needs an active image/)
  })
})

describe('two file stores: upload to a store, copy-image, delete from a store, tasks', () => {
  let h: Harness
  before(async () => {
    h = await startHarness({
      config: {
        DEFAULT: { enabled_import_methods: METHODS, show_multiple_locations: true, enabled_backends: STORES },
        glance_store: { default_backend: 'fast' },
      },
    })
  })
  after(async () => h.close())

  it('lists the stores; detail is admin only', async () => {
    const s = await call(h, 'alice', 'GET', '/v2/info/stores')
    assert.deepEqual(s.json.stores, [
      { id: 'fast', description: 'file store fast', default: true },
      { id: 'cheap', description: 'file store cheap' },
    ])
    assert.equal((await call(h, 'alice', 'GET', '/v2/info/stores/detail')).status, 403)
    const d = await call(h, 'admin', 'GET', '/v2/info/stores/detail')
    assert.equal(d.json.stores[0].type, 'file')
  })

  it('uploads to the store X-Image-Meta-Store names; an unknown one is 400', async () => {
    const id = await createImage(h, 'alice')
    const bad = await call(h, 'alice', 'PUT', `/v2/images/${id}/file`, DATA, {
      ...OCTET,
      'x-image-meta-store': 'nope',
    })
    assert.equal(bad.status, 400)
    const r = await call(h, 'alice', 'PUT', `/v2/images/${id}/file`, DATA, {
      ...OCTET,
      'x-image-meta-store': 'cheap',
    })
    assert.equal(r.status, 204)
    const img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
    assert.equal(img.stores, 'cheap')
    assert.ok(existsSync(join(h.dataDir, 'images', 'cheap', id)))
  })

  it('copy-image copies to every store (admin), then one store can be deleted, not the last', async () => {
    const id = await createImage(h, 'alice')
    assert.equal((await upload(h, 'alice', id, DATA)).status, 204)
    assert.equal(
      (
        await call(h, 'alice', 'POST', `/v2/images/${id}/import`, {
          method: { name: 'copy-image' },
          all_stores: true,
        })
      ).status,
      403,
    )
    const r = await call(h, 'admin', 'POST', `/v2/images/${id}/import`, {
      method: { name: 'copy-image' },
      all_stores: true,
      all_stores_must_succeed: false,
    })
    assert.equal(r.status, 202)
    const task = await settle(h, id)
    assert.equal(task.status, 'success', task.message)
    const img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
    assert.equal(img.stores, 'cheap,fast')
    assert.equal(img.os_glance_importing_to_stores, '')
    assert.equal(img.locations.length, 2)
    assert.ok(readFileSync(join(h.dataDir, 'images', 'cheap', id)).equals(DATA))
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/stores/cheap/${id}`)).status, 403)
    assert.equal((await call(h, 'admin', 'DELETE', `/v2/stores/cheap/${id}`)).status, 204)
    assert.ok(!existsSync(join(h.dataDir, 'images', 'cheap', id)))
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}`)).json.stores, 'fast')
    assert.equal((await call(h, 'admin', 'DELETE', `/v2/stores/fast/${id}`)).status, 409)
    assert.equal((await call(h, 'admin', 'DELETE', `/v2/stores/cheap/${id}`)).status, 404)
  })

  it('glance-direct to all stores', async () => {
    const id = await createImage(h, 'alice')
    assert.equal((await call(h, 'alice', 'PUT', `/v2/images/${id}/stage`, DATA, OCTET)).status, 204)
    const r = await call(h, 'alice', 'POST', `/v2/images/${id}/import`, {
      method: { name: 'glance-direct' },
      all_stores: true,
    })
    assert.equal(r.status, 202)
    assert.equal((await settle(h, id)).status, 'success')
    const img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
    assert.equal(img.status, 'active')
    assert.equal(img.stores, 'cheap,fast')
    assert.ok(!existsSync(join(h.dataDir, 'staging', id)))
  })

  it('the tasks API: admin only, lists and shows import tasks', async () => {
    assert.equal((await call(h, 'alice', 'GET', '/v2/tasks')).status, 403)
    const l = await call(h, 'admin', 'GET', '/v2/tasks')
    assert.equal(l.status, 200)
    assert.ok(l.json.tasks.length >= 2)
    const t = l.json.tasks[0]
    assert.equal(t.self, `/v2/tasks/${t.id}`)
    const one = await call(h, 'admin', 'GET', `/v2/tasks/${t.id}`)
    assert.equal(one.json.id, t.id)
    assert.equal((await call(h, 'admin', 'GET', '/v2/tasks/nope')).status, 404)
    assert.equal((await call(h, 'admin', 'GET', '/v2/tasks?status=bogus')).status, 400)
  })

  it('locations: file:// and other schemes refused; the last one cannot go', async () => {
    const id = await createImage(h, 'alice')
    const add = (url: string) =>
      call(
        h,
        'alice',
        'PATCH',
        `/v2/images/${id}`,
        [{ op: 'add', path: '/locations/-', value: { url, metadata: {} } }],
        PATCH,
      )
    assert.equal((await add('file:///etc/passwd')).status, 400)
    assert.equal((await add('gopher://info.cern.ch')).status, 400)
    // 127.0.0.1 is not opted in here: an http location there is refused as web-download would be.
    assert.equal((await add('http://127.0.0.1:9/x')).status, 400)
    const up = await createImage(h, 'alice')
    assert.equal((await upload(h, 'alice', up, DATA)).status, 204)
    const img = (await call(h, 'alice', 'GET', `/v2/images/${up}`)).json
    assert.equal(img.locations.length, 1)
    const rm = await call(
      h,
      'alice',
      'PATCH',
      `/v2/images/${up}`,
      [{ op: 'remove', path: '/locations/0' }],
      PATCH,
    )
    assert.equal(rm.status, 403)
    assert.equal((await call(h, 'bob', 'GET', `/v2/images/${up}`)).status, 404)
  })
})

describe('store and import configuration', () => {
  it('refuses at start a store type, a default store or an import method it does not know', async () => {
    for (const config of [
      { DEFAULT: { enabled_backends: ['fast:swift'] } },
      { DEFAULT: { enabled_backends: ['fast:file', 'Fast:file'] } },
      { DEFAULT: { enabled_backends: ['fast:file'] }, glance_store: { default_backend: 'slow' } },
      {
        DEFAULT: { enabled_backends: ['fast:file', 'cheap:file'] },
        cheap: { filesystem_store_datadir: 'images/fast' },
      },
      { DEFAULT: { enabled_backends: ['fast:file'] }, fast: { filesystem_store_datadir: 'staging' } },
      { DEFAULT: { enabled_import_methods: ['glance-direct', 'web-downlaod'] } },
      { import_filtering_opts: { allowed_ports: ['eighty'] } },
    ] as ConfigOverrides[]) {
      const dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-image-conf-'))
      try {
        await assert.rejects(
          startHarness({ config, dataDir }),
          /enabled_backends|default_backend|share a directory|import method|port/,
          JSON.stringify(config),
        )
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  })

  it('parses backends: ids and types, http read-only', () => {
    assert.deepEqual(parseBackends(['fast:file', ' web : http ']), [
      { id: 'fast', type: 'file' },
      { id: 'web', type: 'http' },
    ])
  })
})
