/**
 * bench/image imports driver (run by bench/image/imports.sh against a running `cloudlet
 * up` with two file stores and a loopback HTTP server serving the source file).
 *
 * Each of RUNS runs interleaves each Cloudlet import with its baseline (the order
 * alternates between runs), so both see the same machine noise:
 *
 *  - web-download baseline: `curl -o file URL` of the same file from the same server,
 *    then `sync file` (the import's data is fsynced before the image counts);
 *  - web-download: POST /v2/images/{id}/import (web-download) until the image is active:
 *    fetch, md5 + sha512 on two threads, write, fsync, rename, status CAS;
 *  - upload (for reference): PUT .../file of the same file with `curl -T` until the 204,
 *    the path an upload takes through the same ring, hashes and store;
 *  - copy-image baseline: `cp` of the image's stored file to a file beside the other
 *    store, then `sync file`;
 *  - copy-image: POST .../import (copy-image, stores [cheap]) until `stores` names both:
 *    read, md5 + sha512 (the copy is verified against the image's sha512), write, fsync.
 *
 * Both hashes run on their own threads, so `hash_bound` = 1 / max(1/md5, (1/md5 +
 * 1/sha512) / cores) from single-thread speeds measured in the run: the fastest any
 * import computing both could go here. Prints one JSON document with per-run figures,
 * medians and per-run ratios.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

const env = process.env
const BASE = env.BENCH_BASE!
const SOURCE_URL = env.BENCH_SOURCE_URL!
const DIR = env.BENCH_DIR!
const STORE_DIR = env.BENCH_STORE_DIR!
const SIZE_MIB = Number(env.BENCH_SIZE_MIB ?? 1024)
const RUNS = Number(env.BENCH_RUNS ?? 5)

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function hashSpeed(algo: string): number {
  const block = Buffer.alloc(1 << 20, 7)
  const h = createHash(algo)
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < 256; i++) h.update(block)
  h.digest()
  return 256 / seconds(t0)
}

async function token(): Promise<string> {
  const res = await fetch(`${BASE}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password: env.BENCH_PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  })
  if (res.status !== 201) throw new Error(`token: ${res.status}`)
  return res.headers.get('x-subject-token')!
}

async function main() {
  const tok = await token()
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${BASE}/image${path}`, {
      method,
      headers: { 'x-auth-token': tok, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, json: text ? JSON.parse(text) : undefined }
  }
  const until = async (id: string, done: (img: Record<string, unknown>) => boolean) => {
    for (;;) {
      const img = (await api('GET', `/v2/images/${id}`)).json
      if (done(img)) return img
      if (img.os_glance_failed_import) throw new Error(`import failed: ${JSON.stringify(img)}`)
      await sleep(20)
    }
  }
  const cores = availableParallelism()
  const runs: Record<string, number>[] = []
  for (let run = 0; run < RUNS; run++) {
    const md5 = hashSpeed('md5')
    const sha512 = hashSpeed('sha512')
    const hashBound = 1 / Math.max(1 / md5, (1 / md5 + 1 / sha512) / cores)
    const curlOut = join(DIR, 'curl.out')
    const cpOut = join(STORE_DIR, 'cheap', '..', 'cp.out')
    const r: Record<string, number> = { md5_MiBps: md5, sha512_MiBps: sha512, hash_bound_MiBps: hashBound }
    const id = (
      await api('POST', '/v2/images', { name: `bench-${run}`, disk_format: 'raw', container_format: 'bare' })
    ).json.id as string
    const curlRun = () => {
      const t0 = process.hrtime.bigint()
      execFileSync('curl', ['-sf', '-o', curlOut, SOURCE_URL])
      execFileSync('sync', [curlOut])
      r.curl_MiBps = SIZE_MIB / seconds(t0)
      rmSync(curlOut, { force: true })
    }
    const webRun = async () => {
      const t0 = process.hrtime.bigint()
      const res = await api('POST', `/v2/images/${id}/import`, {
        method: { name: 'web-download', uri: SOURCE_URL },
      })
      if (res.status !== 202) throw new Error(`web-download: ${res.status} ${JSON.stringify(res.json)}`)
      await until(id, (img) => img.status === 'active')
      r.web_download_MiBps = SIZE_MIB / seconds(t0)
    }
    const uploadRun = async () => {
      const up = (
        await api('POST', '/v2/images', { name: `up-${run}`, disk_format: 'raw', container_format: 'bare' })
      ).json.id as string
      const t0 = process.hrtime.bigint()
      execFileSync('curl', [
        '-sf',
        '-X',
        'PUT',
        '-H',
        `x-auth-token: ${tok}`,
        '-H',
        'content-type: application/octet-stream',
        '-T',
        env.BENCH_SOURCE_FILE!,
        `${BASE}/image/v2/images/${up}/file`,
      ])
      r.upload_MiBps = SIZE_MIB / seconds(t0)
      await api('DELETE', `/v2/images/${up}`)
    }
    if (run % 2 === 0) {
      curlRun()
      await webRun()
      await uploadRun()
    } else {
      await uploadRun()
      await webRun()
      curlRun()
    }
    const stored = join(STORE_DIR, 'fast', id)
    const cpRun = () => {
      const t0 = process.hrtime.bigint()
      execFileSync('cp', [stored, cpOut])
      execFileSync('sync', [cpOut])
      r.cp_MiBps = SIZE_MIB / seconds(t0)
      rmSync(cpOut, { force: true })
    }
    const copyRun = async () => {
      const t0 = process.hrtime.bigint()
      const res = await api('POST', `/v2/images/${id}/import`, {
        method: { name: 'copy-image' },
        stores: ['cheap'],
      })
      if (res.status !== 202) throw new Error(`copy-image: ${res.status} ${JSON.stringify(res.json)}`)
      await until(id, (img) => img.stores === 'cheap,fast')
      r.copy_image_MiBps = SIZE_MIB / seconds(t0)
    }
    if (run % 2 === 0) {
      cpRun()
      await copyRun()
    } else {
      await copyRun()
      cpRun()
    }
    r.web_download_ratio = r.web_download_MiBps! / r.curl_MiBps!
    r.web_download_to_upload_ratio = r.web_download_MiBps! / r.upload_MiBps!
    r.web_download_hash_bound_ratio = r.web_download_MiBps! / hashBound
    r.copy_image_ratio = r.copy_image_MiBps! / r.cp_MiBps!
    r.copy_image_hash_bound_ratio = r.copy_image_MiBps! / hashBound
    await api('DELETE', `/v2/images/${id}`)
    runs.push(r)
    process.stderr.write(`run ${run + 1}/${RUNS}: ${JSON.stringify(r)}\n`)
  }
  const med = (k: string) => median(runs.map((x) => x[k]!))
  console.log(
    JSON.stringify(
      {
        size_MiB: SIZE_MIB,
        runs: RUNS,
        cores,
        median: Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, med(k)])),
        per_run: runs,
      },
      null,
      2,
    ),
  )
}

await main()
