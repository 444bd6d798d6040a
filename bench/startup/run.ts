/**
 * bench/startup: how long `cloudlet up` takes to serve from a cold start (fresh data
 * directory: migrations and bootstrap included) and from a restart on the same data
 * directory, and its idle RSS. Ready means the identity API answered a request.
 *
 * usage: node dist/bench/startup/run.js [runs=5]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const CLOUDLET = resolve(import.meta.dirname, '../../src/cmd/cloudlet.js')
const runs = Number(process.argv[2] ?? 5)
// The node options on the command's interpreter line, as `npx cloudlet up` runs it.
const NODE_FLAGS =
  /^#!.*\bnode\b(.*)$/m
    .exec(readFileSync(CLOUDLET, 'utf8').split('\n')[0]!)?.[1]
    ?.trim()
    .split(/\s+/)
    .filter(Boolean) ?? []

interface Sample {
  readyMs: number
  idleRssMiB?: number
}

async function once(dataDir: string, measureRss: boolean): Promise<Sample> {
  const started = performance.now()
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, CLOUDLET, 'up', '--port', '0', '--data-dir', dataDir],
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
  return { readyMs, idleRssMiB }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const cold: number[] = []
const warm: number[] = []
const rss: number[] = []
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-startup-'))
  try {
    cold.push((await once(dir, false)).readyMs)
    const restart = await once(dir, i === 0 || i === runs - 1)
    warm.push(restart.readyMs)
    if (restart.idleRssMiB !== undefined) rss.push(restart.idleRssMiB)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
console.log(
  `cold start (fresh data dir, bootstrap included), median of ${runs}: ${median(cold).toFixed(0)} ms  [${cold.map((x) => x.toFixed(0)).join(', ')}]`,
)
console.log(
  `restart (same data dir), median of ${runs}: ${median(warm).toFixed(0)} ms  [${warm.map((x) => x.toFixed(0)).join(', ')}]`,
)
console.log(`idle RSS after 5 s: ${rss.map((x) => x.toFixed(1)).join(', ')} MiB`)
