/**
 * bench/volume driver (run by bench/volume/run.sh against a running `cloudlet up` with
 * identity, image and volume).
 *
 * One image of SIZE_MIB random bytes is uploaded first (not timed). Each of RUNS runs
 * then times four block storage operations, each interleaved with its baseline so both
 * see the same machine noise (the order alternates between runs):
 *
 *  - create from image: POST /volumes {imageRef} until `available` (the image service
 *    reads its file, the bytes are streamed into the volume's sparse file and flushed);
 *    baseline: `cp` of the image's stored file, then `sync` of the copy;
 *  - clone: POST /volumes {source_volid} of that volume until `available`; baseline:
 *    `cp` + `sync` of the volume's file;
 *  - backup: POST /backups of that volume until the backup is `available` (read in
 *    1 MiB chunks, sha256 of each, each chunk file flushed, then the manifest);
 *    baseline: `cp` + `sync` of the volume's file;
 *  - restore: POST /backups/{id}/restore to a new volume until `available` (every
 *    chunk read and checked against its sha256, written, flushed); same baseline.
 *
 * Once per run, `dd bs=4M conv=fsync` of the volume's file: what a process that writes
 * the bytes itself (a stream, chunk files) gets on this disk, where cp hands the whole
 * copy to the kernel (copy_file_range). With BENCH_DIRECT_URL=1, run.sh turns on the
 * image service's show_image_direct_url and block storage's
 * allowed_direct_url_schemes=file, so a create from an image as admin copies the
 * image's file (`create_from_image_direct`) instead of streaming it through the image
 * API; the same create as the member `demo` (who never sees direct_url) streams
 * (`create_from_image_stream`), timed in the same run.
 *
 * Every figure is SIZE_MIB over the seconds from the request to the state, in MiB/s;
 * `*_ratio` is that over its baseline (the goal is at least 0.8). BENCH_CACHE=cold (the
 * default as root) runs `sync; echo 3 > /proc/sys/vm/drop_caches` before each timed
 * copy, so every source read comes from the disk. The server's CPU (user + system,
 * all threads) and each cp's are recorded per GiB, with single-thread sha256 speed (a
 * backup hashes every byte once; a restore once more).
 * Then EMPTY empty 1 GiB volumes are created at concurrency CONC (each until available)
 * and deleted the same way (each until gone): rates and p50/p95 latencies.
 *
 * Prints one JSON document: per-run figures, medians, the load average before and after.
 */
import { execFile, execFileSync, execSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import http from 'node:http'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

const env = process.env
const BASE = env.BENCH_BASE ?? 'http://127.0.0.1:16590'
const PID = Number(env.BENCH_SERVER_PID)
const DIR = env.BENCH_DIR ?? '/var/tmp/cloudlet-bench-volume'
const DATA = env.BENCH_DATA ?? ''
const SIZE_MIB = Number(env.BENCH_SIZE_MIB ?? 1024)
const RUNS = Number(env.BENCH_RUNS ?? 5)
const EMPTY = Number(env.BENCH_EMPTY ?? 200)
const CONC = Number(env.BENCH_CONC ?? 10)
const PASSWORD = env.BENCH_PASSWORD ?? ''
const MEMBER_PASSWORD = env.BENCH_MEMBER_PASSWORD ?? ''
const DIRECT = env.BENCH_DIRECT_URL === '1'
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

function prepare(): void {
  if (CACHE === 'cold') execSync('sync; echo 3 > /proc/sys/vm/drop_caches', { shell: '/bin/sh' })
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
const CORES = availableParallelism()

/** CPU seconds (user + system, every thread) the server has used so far. */
function serverCpuS(): number {
  const stat = readFileSync(`/proc/${PID}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS
}

/** `cp src dst` then `sync dst` (the copy on disk, as the volume's data is), through bash for `times`. */
function cpSync(src: string, dst: string): Promise<number> {
  const script = 'cp -- "$1" "$2" && sync -- "$2"; rc=$?; times >&2; exit $rc'
  return new Promise((done, fail) =>
    execFile('bash', ['-c', script, 'bash', src, dst], (err, _stdout, stderr) => {
      if (err) return fail(err)
      const child = stderr.trim().split('\n').at(-1) ?? ''
      done([...child.matchAll(/(\d+)m([\d.]+)s/g)].reduce((t, m) => t + Number(m[1]) * 60 + Number(m[2]), 0))
    }),
  )
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONC + 2 })

function request(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: string | NodeJS.ReadableStream,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${BASE}${path}`, { method, headers, agent }, (res) => {
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

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function main() {
  const load0 = loadavg()
  const login = async (user: string, password: string) => {
    const auth = await request(
      'POST',
      '/identity/v3/auth/tokens',
      { 'content-type': 'application/json' },
      JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user, domain: { name: 'Default' }, password } },
          },
          scope: { project: { name: user, domain: { name: 'Default' } } },
        },
      }),
    )
    if (auth.status !== 201) throw new Error(`token: ${auth.status} ${auth.text}`)
    return auth.headers['x-subject-token'] as string
  }
  const tok = await login('admin', PASSWORD)
  // A member (project demo) never sees an image's direct_url: its creates stream.
  const memberTok = DIRECT ? await login('demo', MEMBER_PASSWORD) : ''
  const json = { 'x-auth-token': tok, 'content-type': 'application/json' }
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await request(method, path, json, body === undefined ? undefined : JSON.stringify(body))
    return { status: r.status, body: r.text ? JSON.parse(r.text) : undefined }
  }
  /** Polls a volume or backup until `status` (or gone, for 'deleted'). */
  const until = async (kind: 'volumes' | 'backups', id: string, status: string) => {
    for (;;) {
      const r = await call('GET', `/volume/v3/${kind}/${id}`)
      if (status === 'deleted' && r.status === 404) return
      const s = r.body?.[kind === 'volumes' ? 'volume' : 'backup']?.status
      if (s === status) return
      if (s === 'error' || r.status >= 400) throw new Error(`${kind} ${id}: ${JSON.stringify(r.body)}`)
      await sleep(20)
    }
  }

  // The image: random 1 MiB blocks with a counter, so no two are alike.
  const src = join(DIR, 'source.bin')
  {
    const block = Buffer.alloc(1 << 20)
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i)
    const fh = await open(src, 'w')
    for (let i = 0; i < SIZE_MIB; i++) {
      block.writeUInt32LE(i + 1, 0)
      await fh.write(block)
    }
    await fh.close()
  }
  const img = await call('POST', '/image/v2/images', {
    name: 'bench',
    disk_format: 'raw',
    container_format: 'bare',
    visibility: 'public',
  })
  const imageId = img.body.id as string
  const { createReadStream } = await import('node:fs')
  const up = await request(
    'PUT',
    `/image/v2/images/${imageId}/file`,
    { 'x-auth-token': tok, 'content-type': 'application/octet-stream' },
    createReadStream(src),
  )
  if (up.status !== 204) throw new Error(`image upload: ${up.status} ${up.text}`)
  rmSync(src, { force: true })
  const imageFile = join(DATA, 'image', 'images', imageId)
  const volumeFile = (id: string) => join(DATA, 'volume', 'volumes', `volume-${id}`)
  const sizeGb = Math.max(1, Math.ceil(SIZE_MIB / 1024))
  const perGiB = 1024 / SIZE_MIB

  const block = Buffer.alloc(1 << 20)
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i)
  const sha256Speed = () => {
    const h = createHash('sha256')
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < 256; i++) h.update(block)
    h.digest()
    return 256 / seconds(t0)
  }

  /** One timed operation: MiB/s and the server's CPU seconds per GiB. */
  const timed = async (fn: () => Promise<unknown>) => {
    prepare()
    const c0 = serverCpuS()
    const t0 = process.hrtime.bigint()
    await fn()
    const s = seconds(t0)
    return { MiBps: SIZE_MIB / s, cpu: (serverCpuS() - c0) * perGiB }
  }
  const baseline = async (from: string) => {
    const dst = join(DIR, 'copy.bin')
    prepare()
    const t0 = process.hrtime.bigint()
    const cpu = await cpSync(from, dst)
    const s = seconds(t0)
    rmSync(dst, { force: true })
    return { MiBps: SIZE_MIB / s, cpu: cpu * perGiB }
  }
  const pair = async (run: number, op: () => Promise<unknown>, from: () => string) => {
    if (run % 2 === 0) {
      const b = await baseline(from())
      return { b, o: await timed(op) }
    }
    const o = await timed(op)
    return { b: await baseline(from()), o }
  }

  const runs: Record<string, number>[] = []
  for (let run = 0; run < RUNS; run++) {
    const sha = sha256Speed()
    let volId = ''
    const create = await pair(
      run,
      async () => {
        const r = await call('POST', '/volume/v3/volumes', { volume: { size: sizeGb, imageRef: imageId } })
        if (r.status !== 202) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`)
        volId = r.body.volume.id
        await until('volumes', volId, 'available')
      },
      () => imageFile,
    )
    // With direct URLs on, the same create as a member: the streamed path, same run.
    let streamed: Awaited<ReturnType<typeof pair>> | undefined
    let memberVolume = ''
    if (DIRECT) {
      streamed = await pair(
        run,
        async () => {
          const r = await request(
            'POST',
            '/volume/v3/volumes',
            { 'x-auth-token': memberTok, 'content-type': 'application/json' },
            JSON.stringify({ volume: { size: sizeGb, imageRef: imageId } }),
          )
          if (r.status !== 202) throw new Error(`member create: ${r.status} ${r.text}`)
          memberVolume = JSON.parse(r.text).volume.id as string
          await until('volumes', memberVolume, 'available')
        },
        () => imageFile,
      )
      await call('DELETE', `/volume/v3/volumes/${memberVolume}`)
      await until('volumes', memberVolume, 'deleted')
    }
    let cloneId = ''
    const clone = await pair(
      run,
      async () => {
        const r = await call('POST', '/volume/v3/volumes', { volume: { source_volid: volId } })
        if (r.status !== 202) throw new Error(`clone: ${r.status} ${JSON.stringify(r.body)}`)
        cloneId = r.body.volume.id
        await until('volumes', cloneId, 'available')
      },
      () => volumeFile(volId),
    )
    let backupId = ''
    const backup = await pair(
      run,
      async () => {
        const r = await call('POST', '/volume/v3/backups', { backup: { volume_id: volId } })
        if (r.status !== 202) throw new Error(`backup: ${r.status} ${JSON.stringify(r.body)}`)
        backupId = r.body.backup.id
        await until('backups', backupId, 'available')
        await until('volumes', volId, 'available')
      },
      () => volumeFile(volId),
    )
    let restoredId = ''
    const restore = await pair(
      run,
      async () => {
        const r = await call('POST', `/volume/v3/backups/${backupId}/restore`, { restore: {} })
        if (r.status !== 202) throw new Error(`restore: ${r.status} ${JSON.stringify(r.body)}`)
        restoredId = r.body.restore.volume_id
        await until('volumes', restoredId, 'available')
        await until('backups', backupId, 'available')
      },
      () => volumeFile(volId),
    )
    // What a process writing the bytes itself gets on this disk (the bound of every
    // path that cannot hand the copy to the kernel: a stream, chunk files).
    const ddDst = join(DIR, 'dd.bin')
    prepare()
    const d0 = process.hrtime.bigint()
    execFileSync('dd', [`if=${volumeFile(volId)}`, `of=${ddDst}`, 'bs=4M', 'conv=fsync', 'status=none'])
    const ddMiBps = SIZE_MIB / seconds(d0)
    rmSync(ddDst, { force: true })
    for (const id of [cloneId, restoredId, volId]) {
      await call('DELETE', `/volume/v3/volumes/${id}`)
      await until('volumes', id, 'deleted')
    }
    await call('DELETE', `/volume/v3/backups/${backupId}`)
    await until('backups', backupId, 'deleted')
    const figures: Record<string, number> = { sha256_MiBps: sha, dd_fsync_MiBps: ddMiBps }
    const ops = DIRECT
      ? { create_from_image_direct: create, create_from_image_stream: streamed!, clone, backup, restore }
      : { create_from_image: create, clone, backup, restore }
    for (const [name, p] of Object.entries(ops)) {
      figures[`${name}_MiBps`] = p.o.MiBps
      figures[`${name}_cp_MiBps`] = p.b.MiBps
      figures[`${name}_ratio`] = p.o.MiBps / p.b.MiBps
      figures[`${name}_ratio_to_dd`] = p.o.MiBps / ddMiBps
      figures[`${name}_server_cpu_s_per_GiB`] = p.o.cpu
      figures[`${name}_cp_cpu_s_per_GiB`] = p.b.cpu
    }
    runs.push(figures)
    console.error(JSON.stringify(figures))
  }
  await call('DELETE', `/image/v2/images/${imageId}`)

  // Empty volumes: creates (each until available), then deletes (each until gone).
  const ids: string[] = []
  const rate = async (fn: (i: number) => Promise<void>) => {
    let next = 0
    const lat: number[] = []
    const t0 = process.hrtime.bigint()
    await Promise.all(
      Array.from({ length: CONC }, async () => {
        while (next < EMPTY) {
          const i = next++
          const t = process.hrtime.bigint()
          await fn(i)
          lat.push(seconds(t) * 1000)
        }
      }),
    )
    return { per_s: EMPTY / seconds(t0), p50_ms: pct(lat, 0.5), p95_ms: pct(lat, 0.95) }
  }
  const creates = await rate(async (i) => {
    const r = await call('POST', '/volume/v3/volumes', { volume: { size: 1, name: `empty-${i}` } })
    if (r.status !== 202) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`)
    ids[i] = r.body.volume.id
    await until('volumes', ids[i]!, 'available')
  })
  const deletes = await rate(async (i) => {
    const r = await call('DELETE', `/volume/v3/volumes/${ids[i]}`)
    if (r.status !== 202) throw new Error(`delete: ${r.status} ${JSON.stringify(r.body)}`)
    await until('volumes', ids[i]!, 'deleted')
  })

  const med = (k: string) => median(runs.map((r) => r[k]!))
  const summary = {
    size_MiB: SIZE_MIB,
    runs: RUNS,
    cache: CACHE,
    cores: CORES,
    direct_url: DIRECT,
    loadavg_before: load0,
    loadavg_after: loadavg(),
    median: Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, med(k)])),
    empty: { volumes: EMPTY, concurrency: CONC, creates, deletes },
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
