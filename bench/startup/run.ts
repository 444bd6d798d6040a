/**
 * bench/startup: how long `cloudlet up` takes to serve from a cold start (fresh data
 * directory: migrations and bootstrap included) and from a restart on the same data
 * directory, and its idle RSS. Ready means the identity API answered a request.
 *
 * Besides wall time it reports the CPU the process spent until ready (user + system,
 * all threads, from /proc): on a loaded machine the wall time swings with the other
 * work, the CPU time much less.
 *
 * usage: node dist/bench/startup/run.js [runs=5] [other-checkout]
 *   with another checkout (its dist built), the two builds start alternately and the
 *   ratios of the medians are printed: the same-run comparison for a start-up change.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const runs = Number(process.argv[2] ?? 5)
const builds = [
  { name: 'this build', cloudlet: resolve(import.meta.dirname, '../../src/cmd/cloudlet.js') },
  ...(process.argv[3]
    ? [{ name: process.argv[3], cloudlet: resolve(process.argv[3], 'dist/src/cmd/cloudlet.js') }]
    : []),
]
const TICKS_PER_MS = 100 / 1000 // USER_HZ

/** The node options on the command's interpreter line, as `npx cloudlet up` runs it. */
function nodeFlags(cloudlet: string): string[] {
  const line = readFileSync(cloudlet, 'utf8').split('\n')[0]!
  return /^#!.*\bnode\b(.*)$/.exec(line)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? []
}

interface Sample {
  readyMs: number
  cpuMs: number
  idleRssMiB?: number
}

function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS
}

async function once(cloudlet: string, dataDir: string, measureRss: boolean): Promise<Sample> {
  const started = performance.now()
  const child = spawn(
    process.execPath,
    [...nodeFlags(cloudlet), cloudlet, 'up', '--port', '0', '--data-dir', dataDir],
    {
      env: { ...process.env, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c
      const m = /Cloudlet is up at (\S+)/.exec(out)
      if (m) done(m[1]!)
    })
    child.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)))
  })
  const res = await fetch(`${url}/identity/v3`)
  if (res.status !== 200) throw new Error(`identity answered ${res.status}`)
  const readyMs = performance.now() - started
  const cpuMs = cpuMsOf(child.pid!)
  let idleRssMiB: number | undefined
  if (measureRss) {
    await new Promise((r) => setTimeout(r, 5000))
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    idleRssMiB = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
  }
  await new Promise<void>((done) => {
    child.once('exit', () => done())
    child.kill('SIGINT')
  })
  return { readyMs, cpuMs, idleRssMiB }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ')

const results = builds.map(() => ({ cold: [] as Sample[], warm: [] as Sample[], rss: [] as number[] }))
for (let i = 0; i < runs; i++) {
  for (const [b, build] of builds.entries()) {
    const dir = mkdtempSync(join(tmpdir(), 'cloudlet-startup-'))
    try {
      results[b]!.cold.push(await once(build.cloudlet, dir, false))
      const restart = await once(build.cloudlet, dir, i === 0 || i === runs - 1)
      results[b]!.warm.push(restart)
      if (restart.idleRssMiB !== undefined) results[b]!.rss.push(restart.idleRssMiB)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
const medians = results.map((r) => ({
  cold: median(r.cold.map((s) => s.readyMs)),
  coldCpu: median(r.cold.map((s) => s.cpuMs)),
  warm: median(r.warm.map((s) => s.readyMs)),
  warmCpu: median(r.warm.map((s) => s.cpuMs)),
}))
for (const [b, build] of builds.entries()) {
  const r = results[b]!
  const m = medians[b]!
  console.log(`${build.name}:`)
  console.log(
    `  cold start (fresh data dir, bootstrap included), median of ${runs}: ${m.cold.toFixed(0)} ms wall [${list(r.cold.map((s) => s.readyMs))}], ${m.coldCpu.toFixed(0)} ms CPU [${list(r.cold.map((s) => s.cpuMs))}]`,
  )
  console.log(
    `  restart (same data dir), median of ${runs}: ${m.warm.toFixed(0)} ms wall [${list(r.warm.map((s) => s.readyMs))}], ${m.warmCpu.toFixed(0)} ms CPU [${list(r.warm.map((s) => s.cpuMs))}]`,
  )
  console.log(`  idle RSS after 5 s: ${r.rss.map((x) => x.toFixed(1)).join(', ')} MiB`)
}
if (builds.length === 2) {
  const [a, b] = medians as [(typeof medians)[0], (typeof medians)[0]]
  const ratio = (x: number, y: number) => (x / y).toFixed(2)
  console.log(
    `this build / other: cold ${ratio(a.cold, b.cold)} wall, ${ratio(a.coldCpu, b.coldCpu)} CPU; restart ${ratio(a.warm, b.warm)} wall, ${ratio(a.warmCpu, b.warmCpu)} CPU`,
  )
}
