/**
 * bench/bus: call latency (p50/p99) and throughput, and cast throughput, at concurrency
 * 1, 10 and 100, on the in-process transport and on RabbitMQ (the machine's broker),
 * beside the same pattern with upstream oslo.messaging on the same broker in the same
 * run; RSS of every process. A cast counts once its server handled it. `rabbit` is the
 * recommended profile (quorum queues, confirms); `rabbit-direct` the same with
 * `[bus] direct_reply_to`; `rabbit-upstream` is Cloudlet with
 * oslo.messaging's defaults (classic transient queues, no confirms), the same guarantees
 * as the oslo.messaging side.
 *
 *   npm run build && node dist/bench/bus/bench.js [--scale 1] [--sides in-process,rabbit,rabbit-direct,rabbit-upstream,oslo]
 *     [--set SECTION__option=value,...]   (Cloudlet's RabbitMQ settings, both sides)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { createBus } from '../../src/kernel/bus/create-bus.js'
import { InProcessBroker } from '../../src/kernel/bus/in-process.js'
import type { MessageBus } from '../../src/kernel/bus/message-bus.js'
import type { RabbitTransport } from '../../src/kernel/bus/rabbit-transport.js'
import { deleteTopology, RABBIT_TEST_URL, testConfig } from '../../src/kernel/bus/testing.js'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const SCALE = Number(arg('scale', '1'))
const SIDES = arg('sides', 'in-process,rabbit,rabbit-direct,rabbit-upstream,oslo').split(',')
const PYTHON = '/usr/bin/python3'
/** `--set SECTION__option=value,...`: settings for Cloudlet's RabbitMQ client and server. */
const SETTINGS = Object.fromEntries(
  arg('set', '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string]),
)

interface Cell {
  op: 'call' | 'cast'
  c: number
  n: number
}
interface Result extends Cell {
  seconds: number
  p50_ms: number
  p99_ms: number
  rss_kib: number
}
const CELLS: Cell[] = (
  [
    { op: 'call', c: 1, n: 2000 },
    { op: 'call', c: 10, n: 5000 },
    { op: 'call', c: 100, n: 10000 },
    { op: 'cast', c: 1, n: 5000 },
    { op: 'cast', c: 10, n: 10000 },
    { op: 'cast', c: 100, n: 20000 },
  ] as const
).map((c) => ({ ...c, n: Math.max(100, Math.round(c.n * SCALE)) }))

const rssKib = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))] ?? 0

async function cells(client: MessageBus, topic: string): Promise<Result[]> {
  const target = { topic }
  await client.call(target, 'echo', { n: 0 })
  const out: Result[] = []
  for (const cell of CELLS) {
    const latencies: number[] = []
    let next = 0
    const base = (await client.call<number>(target, 'count', {})) ?? 0
    const start = performance.now()
    await Promise.all(
      Array.from({ length: cell.c }, async () => {
        while (next < cell.n) {
          const i = next++
          const t0 = performance.now()
          if (cell.op === 'call') {
            if ((await client.call(target, 'echo', { n: i })) !== i) throw new Error('wrong reply')
          } else await client.cast(target, 'work', { n: i })
          latencies.push(performance.now() - t0)
        }
      }),
    )
    if (cell.op === 'cast') {
      while ((await client.call<number>(target, 'count', {})) - base < cell.n)
        await new Promise((r) => setTimeout(r, 5))
    }
    const seconds = (performance.now() - start) / 1000
    latencies.sort((a, b) => a - b)
    out.push({
      ...cell,
      seconds,
      p50_ms: pct(latencies, 50),
      p99_ms: pct(latencies, 99),
      rss_kib: rssKib(process.pid),
    })
    console.error(
      `  ${cell.op} c=${cell.c}: ${(cell.n / seconds).toFixed(0)}/s p50 ${pct(latencies, 50).toFixed(3)} ms`,
    )
  }
  return out
}

/** Waits for the server's `ready [reply queue]` line; returns the reply queue, if any. */
function waitReady(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (l) => l.startsWith('ready') && resolve(l.slice(6)))
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
}

const results: Record<string, { cells: Result[]; serverRssKib?: number }> = {}
const url = RABBIT_TEST_URL
const run = randomBytes(3).toString('hex')

if (SIDES.includes('in-process')) {
  console.error('== in-process')
  const broker = new InProcessBroker()
  const server = await createBus(testConfig(), { broker })
  let handled = 0
  await server.serve({ topic: 'bench', server: 'bench' }, [
    {
      version: '1.0',
      methods: { echo: (a: { n: number }) => a.n, work: () => void handled++, count: () => handled },
    },
  ])
  const client = await createBus(testConfig(), { broker })
  results['in-process'] = { cells: await cells(client, 'bench') }
  await Promise.all([client.close(), server.close()])
}

async function cloudletOnRabbit(side: string, settings: Record<string, string>): Promise<void> {
  console.error(`== ${side}`)
  const exchange = `bench_${run}_${side.replace(/\W/g, '')}`
  const topic = exchange
  const server = spawn(
    process.execPath,
    [new URL('./server.js', import.meta.url).pathname, url, exchange, topic, JSON.stringify(settings)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const serverReplies = await waitReady(server)
  const client = await createBus(
    testConfig({
      DEFAULT__transport_url: url,
      DEFAULT__control_exchange: exchange,
      OSLO_MESSAGING_RABBIT__processname: `bench-client-${run}`,
      ...settings,
    }),
  )
  results[side] = { cells: await cells(client, topic), serverRssKib: rssKib(server.pid!) }
  const t = (client.transport as RabbitTransport).topology()
  await client.close()
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
  await deleteTopology(
    [...t.queues, serverReplies, topic, `${topic}.bench`, `${topic}_fanout`, `${exchange}.dead_letter`],
    [...t.exchanges, `${topic}_fanout`],
  )
}

if (SIDES.includes('rabbit')) await cloudletOnRabbit('rabbit', SETTINGS)
// Replies through direct reply-to: one quorum commit per call instead of two.
if (SIDES.includes('rabbit-direct'))
  await cloudletOnRabbit('rabbit-direct', { ...SETTINGS, BUS__direct_reply_to: 'true' })
// The same topology and guarantees as oslo.messaging's defaults: what the client costs.
if (SIDES.includes('rabbit-upstream'))
  await cloudletOnRabbit('rabbit-upstream', { ...SETTINGS, BUS__profile: 'upstream' })

if (SIDES.includes('oslo')) {
  console.error('== oslo.messaging on RabbitMQ')
  const exchange = `bench_oslo_${run}`
  const topic = `bench_oslo_${run}`
  const script = new URL('../../../bench/bus/oslo-bench.py', import.meta.url).pathname
  const amqpUrl = url.replace(/^amqp:/, 'rabbit:')
  const server = spawn(PYTHON, [script, 'server', amqpUrl, exchange, topic], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await waitReady(server)
  const client = spawn(PYTHON, [script, 'client', amqpUrl, exchange, topic, JSON.stringify(CELLS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const cellsOut: Result[] = []
  for await (const line of createInterface({ input: client.stdout! })) {
    const r = JSON.parse(line) as Result
    console.error(`  ${r.op} c=${r.c}: ${(r.n / r.seconds).toFixed(0)}/s p50 ${r.p50_ms.toFixed(3)} ms`)
    cellsOut.push(r)
  }
  results.oslo = { cells: cellsOut, serverRssKib: rssKib(server.pid!) }
  server.kill('SIGKILL')
  await deleteTopology([topic, `${topic}.bench`], [exchange, `${topic}_fanout`])
}

const fmt = (x: number, d = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
console.log(
  '| op | c | in-process /s | p50 / p99 ms | RabbitMQ /s | p50 / p99 ms | direct replies /s | p50 / p99 ms | upstream profile /s | p50 / p99 ms | oslo.messaging /s | p50 / p99 ms | RabbitMQ ÷ oslo | direct ÷ oslo | upstream profile ÷ oslo |',
)
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
for (const [i, cell] of CELLS.entries()) {
  const col = (side: string) => {
    const r = results[side]?.cells[i]
    return r ? [fmt(r.n / r.seconds), `${fmt(r.p50_ms, 3)} / ${fmt(r.p99_ms, 3)}`] : ['-', '-']
  }
  const os = results.oslo?.cells[i]
  const ratio = (side: string) => {
    const r = results[side]?.cells[i]
    return r && os ? `**${fmt(r.n / r.seconds / (os.n / os.seconds), 1)}x**` : '-'
  }
  const sides = ['in-process', 'rabbit', 'rabbit-direct', 'rabbit-upstream', 'oslo']
  const ratios = ['rabbit', 'rabbit-direct', 'rabbit-upstream'].map(ratio)
  console.log(`| ${cell.op} | ${cell.c} | ${sides.flatMap(col).join(' | ')} | ${ratios.join(' | ')} |`)
}
const mib = (k?: number) => (k ? `${fmt(k / 1024, 0)} MiB` : '-')
console.log(
  `\nRSS: in-process (client and server in one process) ${mib(results['in-process']?.cells.at(-1)?.rss_kib)}; ` +
    `RabbitMQ client ${mib(results.rabbit?.cells.at(-1)?.rss_kib)}, server ${mib(results.rabbit?.serverRssKib)}; ` +
    `upstream profile server ${mib(results['rabbit-upstream']?.serverRssKib)}; ` +
    `oslo.messaging client ${mib(results.oslo?.cells.at(-1)?.rss_kib)} (peak), server ${mib(results.oslo?.serverRssKib)}`,
)
console.log(JSON.stringify(results))
process.exit(0)
