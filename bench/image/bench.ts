/**
 * bench/image driver (run by bench/image/run.sh against a running `cloudlet up`):
 *
 *  1. a plain file copy of a SIZE_MIB file on the same disk (`dd ... conv=fsync`),
 *  2. upload of the same file through PUT /image/v2/images/{id}/file (Node http,
 *     streamed from disk), the server hashing and fsyncing it as it always does,
 *  3. download through GET .../file, streamed to a file on the same disk and fsynced,
 *  each RUNS times, with the server's RSS sampled every 50 ms during every transfer;
 *  4. SMALL image creates at concurrency CONC, then p50/p95 of image lists.
 *
 * Prints one JSON document with per-run figures, medians and ratios to the copy.
 */
import { execFileSync } from 'node:child_process'
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

const env = process.env
const BASE = env.BENCH_BASE ?? 'http://127.0.0.1:15090'
const PID = Number(env.BENCH_SERVER_PID)
const DIR = env.BENCH_DIR ?? '/var/tmp/cloudlet-bench-image'
const SIZE_MIB = Number(env.BENCH_SIZE_MIB ?? 1024)
const RUNS = Number(env.BENCH_RUNS ?? 3)
const SMALL = Number(env.BENCH_SMALL ?? 200)
const CONC = Number(env.BENCH_CONC ?? 10)
const PASSWORD = env.BENCH_PASSWORD ?? ''

const agent = new http.Agent({ keepAlive: true, maxSockets: CONC })

function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${PID}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : Number.NaN
}

/** Samples the server's RSS while `fn` runs: baseline before, peak during. */
async function sampled<T>(fn: () => Promise<T>): Promise<{ result: T; rssBefore: number; rssPeak: number }> {
  const rssBefore = rssMiB()
  let rssPeak = rssBefore
  const timer = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMiB())
  }, 50)
  try {
    const result = await fn()
    rssPeak = Math.max(rssPeak, rssMiB())
    return { result, rssBefore, rssPeak }
  } finally {
    clearInterval(timer)
  }
}

function request(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: string | NodeJS.ReadableStream,
  sink?: NodeJS.WritableStream,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${BASE}${path}`, { method, headers, agent }, (res) => {
      if (sink && res.statusCode === 200) {
        pipeline(res, sink).then(() => resolve({ status: 200, headers: res.headers, text: '' }), reject)
        return
      }
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body === undefined) req.end()
    else if (typeof body === 'string') req.end(body)
    else pipeline(body, req).catch(reject)
  })
}

async function token(): Promise<string> {
  const r = await request(
    'POST',
    '/identity/v3/auth/tokens',
    { 'content-type': 'application/json' },
    JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password: PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  )
  if (r.status !== 201) throw new Error(`token: ${r.status} ${r.text}`)
  return r.headers['x-subject-token'] as string
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9

async function main() {
  const tok = await token()
  const json = { 'x-auth-token': tok, 'content-type': 'application/json' }
  const src = join(DIR, 'source.bin')
  const bytes = SIZE_MIB * 1024 * 1024
  // Incompressible-enough data: a random 1 MiB block with a counter in each copy.
  {
    const block = Buffer.alloc(1 << 20)
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i)
    const fh = await open(src, 'w')
    for (let i = 0; i < SIZE_MIB; i++) {
      block.writeUInt32LE(i, 0)
      await fh.write(block)
    }
    await fh.sync()
    await fh.close()
  }
  const runs: Record<string, number>[] = []
  for (let run = 0; run < RUNS; run++) {
    const copyDst = join(DIR, 'copy.bin')
    let t0 = process.hrtime.bigint()
    execFileSync('dd', [`if=${src}`, `of=${copyDst}`, 'bs=1M', 'conv=fsync', 'status=none'])
    const copyS = seconds(t0)
    rmSync(copyDst, { force: true })

    const created = await request(
      'POST',
      '/image/v2/images',
      json,
      JSON.stringify({ name: `bench-${run}`, disk_format: 'raw', container_format: 'bare' }),
    )
    const id = JSON.parse(created.text).id as string
    t0 = process.hrtime.bigint()
    const up = await sampled(() =>
      request(
        'PUT',
        `/image/v2/images/${id}/file`,
        { 'x-auth-token': tok, 'content-type': 'application/octet-stream', 'content-length': bytes },
        createReadStream(src, { highWaterMark: 1 << 20 }),
      ),
    )
    const uploadS = seconds(t0)
    if (up.result.status !== 204) throw new Error(`upload: ${up.result.status} ${up.result.text}`)

    const dlDst = join(DIR, 'download.bin')
    t0 = process.hrtime.bigint()
    const down = await sampled(async () => {
      const out = createWriteStream(dlDst, { highWaterMark: 1 << 20 })
      const r = await request('GET', `/image/v2/images/${id}/file`, { 'x-auth-token': tok }, undefined, out)
      const fh = await open(dlDst, 'r+')
      await fh.sync()
      await fh.close()
      return r
    })
    const downloadS = seconds(t0)
    if (down.result.status !== 200 || statSync(dlDst).size !== bytes) throw new Error('download failed')
    rmSync(dlDst, { force: true })
    await request('DELETE', `/image/v2/images/${id}`, { 'x-auth-token': tok })
    runs.push({
      copy_MiBps: SIZE_MIB / copyS,
      upload_MiBps: SIZE_MIB / uploadS,
      download_MiBps: SIZE_MIB / downloadS,
      upload_rss_growth_MiB: up.rssPeak - up.rssBefore,
      download_rss_growth_MiB: down.rssPeak - down.rssBefore,
      rss_before_MiB: up.rssBefore,
    })
  }
  rmSync(src, { force: true })

  // Small images: creates at concurrency CONC, then list latencies.
  let next = 0
  const createLat: number[] = []
  let t0 = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < SMALL) {
        const i = next++
        const t = process.hrtime.bigint()
        const r = await request(
          'POST',
          '/image/v2/images',
          json,
          JSON.stringify({
            name: `small-${i}`,
            disk_format: 'raw',
            container_format: 'bare',
            tags: ['bench'],
          }),
        )
        if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`)
        createLat.push(seconds(t) * 1000)
      }
    }),
  )
  const createsPerS = SMALL / seconds(t0)
  const listLat: number[] = []
  let listed = 0
  t0 = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (listed < SMALL) {
        listed++
        const t = process.hrtime.bigint()
        const r = await request('GET', '/image/v2/images?limit=25&sort=created_at:desc', {
          'x-auth-token': tok,
        })
        if (r.status !== 200) throw new Error(`list: ${r.status}`)
        listLat.push(seconds(t) * 1000)
      }
    }),
  )
  const listsPerS = SMALL / seconds(t0)

  const med = (k: string) => median(runs.map((r) => r[k]!))
  const summary = {
    size_MiB: SIZE_MIB,
    runs: RUNS,
    median: {
      copy_MiBps: med('copy_MiBps'),
      upload_MiBps: med('upload_MiBps'),
      download_MiBps: med('download_MiBps'),
      upload_rss_growth_MiB: med('upload_rss_growth_MiB'),
      download_rss_growth_MiB: med('download_rss_growth_MiB'),
    },
    ratio_to_copy: {
      upload: med('upload_MiBps') / med('copy_MiBps'),
      download: med('download_MiBps') / med('copy_MiBps'),
    },
    small: {
      creates: SMALL,
      concurrency: CONC,
      creates_per_s: createsPerS,
      create_p50_ms: pct(createLat, 0.5),
      create_p95_ms: pct(createLat, 0.95),
      lists: SMALL,
      lists_per_s: listsPerS,
      list_p50_ms: pct(listLat, 0.5),
      list_p95_ms: pct(listLat, 0.95),
    },
    per_run: runs,
  }
  const text = JSON.stringify(summary, null, 2)
  if (env.BENCH_OUT) writeFileSync(env.BENCH_OUT, text)
  console.log(text)
  agent.destroy()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
