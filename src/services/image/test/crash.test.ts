/**
 * kill -9 of a real `cloudlet up` (two file stores, web-download allowed to one loopback
 * server, the cache on) during a web-download, a copy-image and a cache fill, then a
 * restart on the same data directory. Whatever instant the kill lands on: no image stays
 * importing or saving, no import lock or store still "importing", no file in any store,
 * staging area or cache that no location or cache entry owns, no temp file, every
 * location's data matches its image's sha512, and the project's counted bytes equal the
 * sizes of its images with data.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { adminToken, type CloudProcess, startCloudProcess } from '../../../../test/support/cloud-process.js'

const MiB = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('kill -9 during image imports and cache fills', { timeout: 900_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-image-crash-'))
  let cloud: CloudProcess | undefined
  let http: Server
  let port: number
  let token: string
  const big = Buffer.alloc(48 * MiB)
  for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 251

  const start = async () => {
    cloud = await startCloudProcess({
      // Each start (and, below, each Python client) takes seconds more on a loaded machine.
      startTimeoutMs: 120_000,
      dataDir,
      env: {
        OS_DEFAULT__ENABLED_BACKENDS: 'fast:file,cheap:file',
        OS_GLANCE_STORE__DEFAULT_BACKEND: 'fast',
        OS_DEFAULT__ENABLED_IMPORT_METHODS: 'glance-direct,web-download,copy-image',
        OS_DEFAULT__IMAGE_CACHE_DIR: 'image-cache',
        OS_IMPORT_FILTERING_OPTS__ALLOWED_PORTS: String(port),
        OS_IMPORT_FILTERING_OPTS__ALLOWED_INTERNAL_HOSTS: '127.0.0.1',
      },
    })
    const creds = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'))
    token = await adminToken(cloud.authUrl, creds.adminPassword)
  }
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${cloud!.url}/image${path}`, {
      method,
      headers: {
        'x-auth-token': token,
        ...(body === undefined || Buffer.isBuffer(body) ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    })
    const text = await res.text()
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON paths freely
    let json: any
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: res.status, json }
  }
  const create = async (name: string) =>
    (await api('POST', '/v2/images', { name, disk_format: 'raw', container_format: 'bare' })).json
      .id as string
  const killAndRestart = async () => {
    await cloud!.kill('SIGKILL')
    await start()
  }

  /** Every invariant of the module doc, read from the database and the directories. */
  const assertConsistent = (fillMayRun = false) => {
    const db = new Database(join(dataDir, 'image.db'), { readonly: true })
    try {
      const rows = db.prepare('select * from images where deleted = 0').all() as Record<string, unknown>[]
      const owned = new Set<string>()
      const bytes = new Map<string, number>()
      for (const r of rows) {
        assert.ok(!['saving', 'importing'].includes(String(r.status)), `image ${r.id} stuck in ${r.status}`)
        const props = Object.fromEntries(
          (
            db.prepare('select name, value from image_properties where image_id = ?').all(r.id) as {
              name: string
              value: string
            }[]
          ).map((p) => [p.name, p.value]),
        )
        assert.equal(props.os_glance_import_task, undefined, `image ${r.id} still locked by an import`)
        assert.ok(!props.os_glance_importing_to_stores, `image ${r.id} still importing to stores`)
        const locations = r.locations ? (JSON.parse(String(r.locations)) as { url: string }[]) : []
        for (const l of locations) {
          const path = fileURLToPath(l.url)
          owned.add(path)
          assert.equal(
            createHash('sha512').update(readFileSync(path)).digest('hex'),
            r.os_hash_value,
            `data of ${r.id} at ${path}`,
          )
        }
        if (r.location !== null && r.owner)
          bytes.set(String(r.owner), (bytes.get(String(r.owner)) ?? 0) + Number(r.size))
        if (r.status === 'uploading') owned.add(join(dataDir, 'image', 'staging', String(r.id)))
      }
      for (const store of ['fast', 'cheap']) {
        const dir = join(dataDir, 'image', 'images', store)
        assert.deepEqual(readdirSync(join(dir, '.tmp')), [], `temp files in ${store}`)
        for (const f of readdirSync(dir).filter((n) => n !== '.tmp'))
          assert.ok(owned.has(join(dir, f)), `orphan ${f} in ${store}`)
      }
      const staging = join(dataDir, 'image', 'staging')
      for (const f of readdirSync(staging).filter((n) => n !== '.tmp'))
        assert.ok(owned.has(join(staging, f)), `orphan staged ${f}`)
      const cache = join(dataDir, 'image', 'image-cache')
      if (existsSync(cache)) {
        // A fill resumed at start writes in .tmp; such a copy is never listed nor served.
        if (!fillMayRun) assert.deepEqual(readdirSync(join(cache, '.tmp')), [], 'partial cache files')
        for (const f of readdirSync(cache).filter((n) => n !== '.tmp' && n !== 'queue')) {
          const image = rows.find((r) => r.id === f)
          assert.ok(image, `cached copy of unknown image ${f}`)
          assert.equal(
            createHash('sha512')
              .update(readFileSync(join(cache, f)))
              .digest('hex'),
            image.os_hash_value,
          )
        }
      }
      const usage = db.prepare('select project_id, bytes from image_quota_usage').all() as {
        project_id: string
        bytes: number
      }[]
      for (const u of usage)
        assert.equal(Number(u.bytes), bytes.get(u.project_id) ?? 0, `usage of ${u.project_id}`)
    } finally {
      db.close()
    }
  }

  before(async () => {
    http = createServer((req, res) => {
      if (req.url !== '/slow.raw') return void res.writeHead(404).end()
      // 48 MiB at about 8 MiB/s: the kill lands mid-stream.
      res.writeHead(200, { 'content-length': big.length })
      let at = 0
      const timer = setInterval(() => {
        if (at >= big.length) {
          clearInterval(timer)
          res.end()
          return
        }
        res.write(big.subarray(at, at + MiB))
        at += MiB
      }, 120)
      res.on('close', () => clearInterval(timer))
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    port = (http.address() as AddressInfo).port
    await start()
  })
  after(async () => {
    await cloud?.kill('SIGINT')
    await new Promise<void>((r) => http.close(() => r()))
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('during a web-download: the image is queued again, the task failed, nothing left', async () => {
    const id = await create('web')
    const r = await api('POST', `/v2/images/${id}/import`, {
      method: { name: 'web-download', uri: `http://127.0.0.1:${port}/slow.raw` },
    })
    assert.equal(r.status, 202)
    await sleep(1500)
    assert.equal((await api('GET', `/v2/images/${id}`)).json.status, 'importing')
    await killAndRestart()
    const img = (await api('GET', `/v2/images/${id}`)).json
    assert.equal(img.status, 'queued')
    assert.equal(img.os_glance_failed_import, 'fast')
    const tasks = (await api('GET', `/v2/images/${id}/tasks`)).json.tasks
    assert.equal(tasks[0].status, 'failure')
    assert.match(tasks[0].message, /interrupted/)
    assertConsistent()
  })

  it('during a copy-image: the image stays active with verified copies only', async () => {
    const id = await create('copy')
    assert.equal(
      (await api('PUT', `/v2/images/${id}/file`, big, { 'content-type': 'application/octet-stream' })).status,
      204,
    )
    const r = await api('POST', `/v2/images/${id}/import`, {
      method: { name: 'copy-image' },
      stores: ['cheap'],
    })
    assert.equal(r.status, 202)
    await sleep(30)
    await killAndRestart()
    const img = (await api('GET', `/v2/images/${id}`)).json
    assert.equal(img.status, 'active')
    assert.ok(img.stores === 'fast' || img.stores === 'cheap,fast', img.stores)
    assertConsistent()
    // The copy can be asked for again and completes.
    if (img.stores === 'fast') {
      assert.equal(
        (await api('POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }))
          .status,
        202,
      )
      for (let i = 0; i < 200 && (await api('GET', `/v2/images/${id}`)).json.stores !== 'cheap,fast'; i++)
        await sleep(50)
      assert.equal((await api('GET', `/v2/images/${id}`)).json.stores, 'cheap,fast')
    }
  })

  it('during a cache fill: no partial copy is ever served; the fill resumes', async () => {
    const id = await create('cached')
    assert.equal(
      (await api('PUT', `/v2/images/${id}/file`, big, { 'content-type': 'application/octet-stream' })).status,
      204,
    )
    assert.equal((await api('PUT', `/v2/cache/${id}`)).status, 202)
    await sleep(20)
    await killAndRestart()
    assertConsistent(true)
    let cached = false
    for (let i = 0; i < 1200 && !cached; i++) {
      const l = (await api('GET', '/v2/cache')).json
      cached = l.cached_images.some((c: { image_id: string }) => c.image_id === id)
      if (!cached) await sleep(50)
    }
    assert.ok(cached, 'the queued fill resumed after the restart')
    const path = join(dataDir, 'image', 'image-cache', id)
    assert.equal(statSync(path).size, big.length)
    assertConsistent()
  })
})
