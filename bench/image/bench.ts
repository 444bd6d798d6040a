/**
 * bench/image driver (run by bench/image/run.sh against a running `cloudlet up`).
 *
 * Each of RUNS runs interleaves every Cloudlet transfer with its baseline, so both see
 * the same machine noise (the order alternates between runs):
 *
 *  - upload baseline: `dd if=source of=copy bs=1M conv=fsync`, the same bytes with the
 *    durability the server gives (data written and fsynced before it counts);
 *  - upload: PUT /image/v2/images/{id}/file with the client streaming the source file
 *    from disk (curl -T); the client writes nothing.
 *    Timed until the 204, which the server sends after hashing (md5 + sha512), fsync and
 *    rename;
 *  - download baseline: `dd if=<the image's stored file> of=/dev/null bs=1M`;
 *  - download: GET .../file with curl, the response body written to /dev/null.
 *
 * BENCH_CACHE=cold (the default when /proc/sys/vm/drop_caches is writable, i.e. as root)
 * runs `sync; echo 3 > /proc/sys/vm/drop_caches` before each of those four, so every
 * source read comes from the disk; `warm` drops nothing (everything read is cached).
 * Each run also measures single-thread md5 and sha512 speed in memory: md5 cannot be
 * split across threads and Glance's API requires it, so md5 speed bounds the upload, and
 * md5 + sha512 together share the cores (`upload_hash_bound_*`: the fastest any upload
 * computing both could run here). The CPU the upload used (server main thread, its
 * other threads, curl) gives `upload_cpu_bound_*`: the cores divided by that cost.
 * The server's RSS is sampled every 50 ms during each transfer. Then SMALL image
 * creates at concurrency CONC, and p50/p95 of image lists.
 *
 * Prints one JSON document: per-run figures, medians, and per-run ratios to the
 * baseline with their median.
 */
import { execFile, execFileSync, execSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import http from 'node:http'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

const env = process.env
const BASE = env.BENCH_BASE ?? 'http://127.0.0.1:15090'
const PID = Number(env.BENCH_SERVER_PID)
const DIR = env.BENCH_DIR ?? '/var/tmp/cloudlet-bench-image'
const SIZE_MIB = Number(env.BENCH_SIZE_MIB ?? 1024)
const RUNS = Number(env.BENCH_RUNS ?? 5)
const SMALL = Number(env.BENCH_SMALL ?? 200)
const CONC = Number(env.BENCH_CONC ?? 10)
const PASSWORD = env.BENCH_PASSWORD ?? ''
const STORE_DIR = env.BENCH_STORE_DIR ?? ''
const canDrop = (() => {
  try {
    accessSync('/proc/sys/vm/drop_caches', constants.W_OK)
    return true
  } catch {
    return false
  }
})()
const CACHE = env.BENCH_CACHE ?? (canDrop ? 'cold' : 'warm')
if (CACHE === 'cold' && !canDrop)
  throw new Error('BENCH_CACHE=cold needs a writable /proc/sys/vm/drop_caches')

/** Before each timed transfer: flush and drop the page cache in cold mode. */
function prepare(): void {
  if (CACHE === 'cold') execSync('sync; echo 3 > /proc/sys/vm/drop_caches', { shell: '/bin/sh' })
}

/** Single-thread hashing speed of `algo` over 256 MiB in 1 MiB updates, MiB/s. */
function hashSpeed(algo: string, block: Buffer): number {
  const h = createHash(algo)
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < 256; i++) h.update(block)
  h.digest()
  return 256 / seconds(t0)
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONC })

function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${PID}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : Number.NaN
}

/** Samples the server's RSS while `fn` runs: baseline before, peak during. */
/**
 * One large transfer with curl, a lean client streaming from or to disk, so that the
 * client's own CPU (on the same two cores as the server) distorts the figure as little
 * as it can. `upload`: a file to send; otherwise the body is discarded.
 */
function curl(method: 'PUT' | 'GET', path: string, headers: Record<string, string>, upload?: string) {
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', '-X', method]
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`)
  if (upload) args.push('-T', upload)
  args.push(`${BASE}${path}`)
  // NOTE: run through bash so its `times` reports curl's CPU (user + system) on stderr.
  const script = 'curl "$@"; rc=$?; times >&2; exit $rc'
  return new Promise<{ status: number; text: string; bytes: number; cpuS: number }>((done, fail) =>
    execFile('bash', ['-c', script, 'bash', ...args], (err, stdout, stderr) => {
      if (err) return fail(err)
      const [code, size] = stdout.trim().split(' ')
      // The second line of `times` holds the children's user and system time: 0m0.290s 0m0.300s
      const child = stderr.trim().split('\n').at(-1) ?? ''
      const cpuS = [...child.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
        (t, m) => t + Number(m[1]) * 60 + Number(m[2]),
        0,
      )
      done({ status: Number(code), text: stdout, bytes: Number(size), cpuS })
    }),
  )
}

/** CPU seconds (user + system) the server has used so far: all threads, and the main one. */
function serverCpuS(): { all: number; main: number } {
  const ticks = (stat: string) => {
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS
  }
  return {
    all: ticks(readFileSync(`/proc/${PID}/stat`, 'utf8')),
    main: ticks(readFileSync(`/proc/${PID}/task/${PID}/stat`, 'utf8')),
  }
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
const CORES = availableParallelism()

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
  const hashBlock = Buffer.alloc(1 << 20)
  for (let i = 0; i < hashBlock.length; i += 4) hashBlock.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i)
  const timed = async (fn: () => Promise<unknown> | unknown): Promise<number> => {
    prepare()
    const t0 = process.hrtime.bigint()
    await fn()
    return SIZE_MIB / seconds(t0)
  }
  for (let run = 0; run < RUNS; run++) {
    const baselineFirst = run % 2 === 0
    const md5 = hashSpeed('md5', hashBlock)
    const sha512 = hashSpeed('sha512', hashBlock)

    const copyDst = join(DIR, 'copy.bin')
    const copy = () =>
      timed(() => execFileSync('dd', [`if=${src}`, `of=${copyDst}`, 'bs=1M', 'conv=fsync', 'status=none']))
    const created = await request(
      'POST',
      '/image/v2/images',
      json,
      JSON.stringify({ name: `bench-${run}`, disk_format: 'raw', container_format: 'bare' }),
    )
    const id = JSON.parse(created.text).id as string
    let up!: Awaited<ReturnType<typeof sampled<Awaited<ReturnType<typeof curl>>>>>
    let cpu0 = serverCpuS()
    let cpu1 = cpu0
    const put = () =>
      timed(async () => {
        cpu0 = serverCpuS()
        up = await sampled(() =>
          curl(
            'PUT',
            `/image/v2/images/${id}/file`,
            { 'x-auth-token': tok, 'content-type': 'application/octet-stream' },
            src,
          ),
        )
        cpu1 = serverCpuS()
      })
    let copyMiBps: number
    let uploadMiBps: number
    if (baselineFirst) {
      copyMiBps = await copy()
      uploadMiBps = await put()
    } else {
      uploadMiBps = await put()
      copyMiBps = await copy()
    }
    rmSync(copyDst, { force: true })
    if (up.result.status !== 204) throw new Error(`upload: ${up.result.status} ${up.result.text}`)
    // What the upload cost in CPU, per GiB, on the machine's CORES cores shared by server
    // and client: with perfect overlap it could not run faster than CORES / that.
    const perGiB = 1024 / SIZE_MIB
    const cpu = {
      main: (cpu1.main - cpu0.main) * perGiB,
      other: (cpu1.all - cpu1.main - (cpu0.all - cpu0.main)) * perGiB,
      client: up.result.cpuS * perGiB,
    }
    const cpuTotal = cpu.main + cpu.other + cpu.client
    // Hashing alone: md5 is sequential, and md5 + sha512 share the cores; no upload that
    // computes both (Glance's API requires them) can beat this, even if receiving,
    // writing and the client cost nothing.
    const hashBound = 1 / Math.max(1 / md5, (1 / md5 + 1 / sha512) / CORES)

    const stored = join(STORE_DIR, id)
    const read = () =>
      timed(() => execFileSync('dd', [`if=${stored}`, 'of=/dev/null', 'bs=1M', 'status=none']))
    let got = 0
    let down!: Awaited<ReturnType<typeof sampled<Awaited<ReturnType<typeof curl>>>>>
    const get = () =>
      timed(async () => {
        down = await sampled(() => curl('GET', `/image/v2/images/${id}/file`, { 'x-auth-token': tok }))
        got = down.result.bytes
      })
    let readMiBps: number
    let downloadMiBps: number
    if (baselineFirst) {
      readMiBps = await read()
      downloadMiBps = await get()
    } else {
      downloadMiBps = await get()
      readMiBps = await read()
    }
    if (down.result.status !== 200 || got !== bytes)
      throw new Error(`download failed: ${down.result.status}, ${got} bytes`)
    await request('DELETE', `/image/v2/images/${id}`, { 'x-auth-token': tok })
    runs.push({
      md5_MiBps: md5,
      sha512_MiBps: sha512,
      copy_fsync_MiBps: copyMiBps,
      upload_MiBps: uploadMiBps,
      upload_ratio: uploadMiBps / copyMiBps,
      upload_ratio_to_md5: uploadMiBps / md5,
      upload_hash_bound_MiBps: hashBound,
      upload_hash_bound_ratio: hashBound / copyMiBps,
      upload_cpu_s_per_GiB_server_main: cpu.main,
      upload_cpu_s_per_GiB_server_other_threads: cpu.other,
      upload_cpu_s_per_GiB_client: cpu.client,
      upload_cpu_bound_MiBps: (CORES * 1024) / cpuTotal,
      upload_cpu_bound_ratio: (CORES * 1024) / cpuTotal / copyMiBps,
      read_MiBps: readMiBps,
      download_MiBps: downloadMiBps,
      download_ratio: downloadMiBps / readMiBps,
      upload_rss_growth_MiB: up.rssPeak - up.rssBefore,
      download_rss_growth_MiB: down.rssPeak - down.rssBefore,
      rss_before_MiB: up.rssBefore,
    })
    console.error(JSON.stringify(runs.at(-1)))
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
    cache: CACHE,
    cores: CORES,
    median: Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, med(k)])),
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
