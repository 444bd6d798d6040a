/**
 * Prints Cloudlet's identity benchmark next to upstream Keystone's, with ratios.
 * usage: node dist/bench/identity/compare.js cloudlet/results.jsonl [keystone/results.jsonl]
 */
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import bcrypt from 'bcrypt'

interface Row {
  op: string
  concurrency: number
  rps: number
  p50_ms: number
  p99_ms: number
  errors: number
  server_rss_kb_after: number
  server_cpu_ms_per_req: number | null
}

function load(path: string | undefined): Row[] {
  if (!path || !existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row)
}

const [cloudletPath, cachedPath, uncachedPath] = process.argv.slice(2)
const ours = load(cloudletPath)
const fmt = (n: number | null | undefined, d = 1) => (n === null || n === undefined ? '-' : n.toFixed(d))

for (const [label, path] of [
  ['Keystone with its in-process cache', cachedPath],
  ['Keystone without a cache', uncachedPath],
] as const) {
  const theirs = load(path)
  if (!theirs.length) continue
  console.log(`\n### Cloudlet vs ${label}\n`)
  table(theirs)
  console.log(
    `\nserver RSS after the run: Cloudlet ${rss(ours).toFixed(1)} MiB, Keystone ${rss(theirs).toFixed(1)} MiB`,
  )
}

function rss(rows: Row[]): number {
  return Math.max(0, ...rows.map((r) => r.server_rss_kb_after)) / 1024
}

function table(theirs: Row[]): void {
  console.log(
    '| op | conc | Cloudlet req/s | Keystone req/s | throughput ratio | Cloudlet p50 ms | Keystone p50 ms | p50 ratio | Cloudlet p99 ms | errors (C/K) |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const r of ours) {
    const k = theirs.find((t) => t.op === r.op && t.concurrency === r.concurrency)
    const ratio = k ? `${(r.rps / k.rps).toFixed(1)}x` : '-'
    const latency = k ? `${(k.p50_ms / r.p50_ms).toFixed(1)}x lower` : '-'
    console.log(
      `| ${r.op} | ${r.concurrency} | ${fmt(r.rps)} | ${fmt(k?.rps)} | ${ratio} | ${fmt(r.p50_ms, 2)} | ${fmt(k?.p50_ms, 2)} | ${latency} | ${fmt(r.p99_ms, 2)} | ${r.errors}/${k?.errors ?? '-'} |`,
    )
  }
}

// The password-hash floor: what one bcrypt check at cost 12 takes here, measured now.
// Issue cannot be faster than this; the goal is to stay within 1.2x of it.
const hash = await bcrypt.hash('benchmark-password', 12)
const samples: number[] = []
for (let i = 0; i < 7; i++) {
  const t = performance.now()
  await bcrypt.compare('benchmark-password', hash)
  samples.push(performance.now() - t)
}
samples.sort((a, b) => a - b)
const floorMs = samples[Math.floor(samples.length / 2)]!
const floorRps = (availableParallelism() * 1000) / floorMs
console.log(
  `\npassword-hash floor (bcrypt cost 12, median of 7): ${floorMs.toFixed(1)} ms per check; ${floorRps.toFixed(1)} checks/s on ${availableParallelism()} cores`,
)
for (const r of ours.filter((o) => o.op === 'issue')) {
  const floor =
    r.concurrency === 1
      ? `p50 ${r.p50_ms.toFixed(1)} ms = ${(r.p50_ms / floorMs).toFixed(2)}x the floor`
      : `${r.rps.toFixed(1)} req/s = ${(floorRps / r.rps).toFixed(2)}x below the all-cores floor rate`
  console.log(`issue at concurrency ${r.concurrency}: ${floor}`)
}
