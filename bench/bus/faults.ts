/**
 * Broker faults against the project's three-node RabbitMQ cluster
 * (scripts/rabbitmq-cluster.sh), once with Cloudlet's recommended profile and once with
 * oslo.messaging's defaults (`[bus] profile = upstream`), in the same run:
 *
 *   10,000 casts and 2,000 calls at concurrency 50, paced at 250 operations a second so
 *   the load spans the faults: at 5 s node 1 is killed with -9 and 3 s later started
 *   again; at 22 s all three nodes are stopped, and 10 s later started.
 *
 * Afterwards it counts: confirmed casts never handled (lost), casts handled more than
 * once, calls answered / failed with MessagingTimeout / failed otherwise, and whether
 * the server's consumers came back without restarting it (a call and a fanout).
 *
 *   npm run build && node dist/bench/bus/faults.js [--casts 10000] [--calls 2000] [--rate 250]
 *     [--profiles recommended,upstream] [--keep]   (--keep leaves the cluster running)
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { createBus } from '../../src/kernel/bus/create-bus.js'
import { MessagingTimeout } from '../../src/kernel/bus/errors.js'
import type { MessageBus } from '../../src/kernel/bus/message-bus.js'
import type { RabbitTransport } from '../../src/kernel/bus/rabbit-transport.js'
import { deleteTopology, testConfig } from '../../src/kernel/bus/testing.js'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const CASTS = Number(arg('casts', '10000'))
const CALLS = Number(arg('calls', '2000'))
const CONCURRENCY = Number(arg('concurrency', '50'))
/** Operations per second: the load is paced so it runs through both faults. */
const RATE = Number(arg('rate', '250'))
const PROFILES = arg('profiles', 'recommended,upstream').split(',') as Array<'recommended' | 'upstream'>
const SCRIPT = new URL('../../../scripts/rabbitmq-cluster.sh', import.meta.url).pathname
const cluster = async (...args: string[]) => {
  const { stderr } = await run('bash', [SCRIPT, ...args], { maxBuffer: 1 << 24 })
  return stderr.trim()
}
const NODES = [1, 2, 3].map((n) => `guest:guest@127.0.0.1:${5680 + n}`)
/** The transport URL with node `first` listed first, so buses start on different nodes. */
const urlFrom = (first: number) => `rabbit://${[0, 1, 2].map((i) => NODES[(first - 1 + i) % 3]).join(',')}/`

interface Outcome {
  profile: string
  casts: {
    sent: number
    confirmed: number
    refused: number
    /** Refused with a timeout, yet the broker had it and the server handled it. */
    refusedButHandled: number
    lost: number
    handledTwice: number
    handled: number
  }
  calls: {
    sent: number
    answered: number
    timedOut: number
    otherErrors: Record<string, number>
    wrong: number
  }
  consumersBack: boolean
  reconnects: { client: number; server: number }
  resends: number
  seconds: number
  timeline: string[]
}

async function scenario(profile: 'recommended' | 'upstream'): Promise<Outcome> {
  const id = randomBytes(3).toString('hex')
  const topic = `faults_${profile}_${id}`
  const exchange = `faults_${profile}_${id}`
  const settings = (first: number, name: string) => ({
    DEFAULT__transport_url: urlFrom(first),
    DEFAULT__control_exchange: exchange,
    DEFAULT__rpc_response_timeout: '10',
    BUS__profile: profile,
    // NOTE: oslo.messaging has no duplicate window; the upstream run goes without one.
    ...(profile === 'upstream' ? { BUS__duplicate_window_size: '0' } : {}),
    OSLO_MESSAGING_RABBIT__processname: `${name}-${id}`,
    OSLO_MESSAGING_RABBIT__heartbeat_timeout_threshold: '10',
    OSLO_MESSAGING_RABBIT__rabbit_retry_interval: '1',
    OSLO_MESSAGING_RABBIT__rabbit_retry_backoff: '1',
    OSLO_MESSAGING_RABBIT__rabbit_interval_max: '3',
  })
  const t0 = Date.now()
  const timeline: string[] = []
  const mark = (what: string) => {
    timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`)
    console.log(`  [${profile}] ${timeline.at(-1)}`)
  }
  const handled = new Map<number, number>()
  let fanouts = 0
  const server = await createBus(testConfig(settings(1, 'server')))
  await server.serve({ topic, server: 's1' }, [
    {
      version: '1.0',
      methods: {
        cast: (a: { n: number }) => void handled.set(a.n, (handled.get(a.n) ?? 0) + 1),
        call: (a: { n: number }) => a.n * 2,
        ping: () => 'pong',
        fanout: () => void fanouts++,
      },
    },
  ])
  const client: MessageBus = await createBus(testConfig(settings(2, 'client')))
  for (const [name, bus] of [
    ['client', client],
    ['server', server],
  ] as const) {
    ;(bus.transport as RabbitTransport).onLink((e) => mark(`${name} link ${e}`))
  }

  const jobs: Array<{ kind: 'cast' | 'call'; n: number }> = []
  const every = Math.round((CASTS + CALLS) / CALLS)
  for (let i = 0, c = 0, k = 0; c < CASTS || k < CALLS; i++) {
    if ((i % every === every - 1 && k < CALLS) || c >= CASTS) jobs.push({ kind: 'call', n: k++ })
    else jobs.push({ kind: 'cast', n: c++ })
  }
  const confirmed = new Set<number>()
  let refused = 0
  let answered = 0
  let timedOut = 0
  let wrong = 0
  const otherErrors: Record<string, number> = {}
  let next = 0
  let done = 0
  const start = Date.now()
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++
      const job = jobs[index]!
      const wait = start + (index * 1000) / RATE - Date.now()
      if (wait > 0) await sleep(wait)
      try {
        if (job.kind === 'cast') {
          await client.cast({ topic }, 'cast', { n: job.n })
          confirmed.add(job.n)
        } else {
          const r = await client.call<number>({ topic }, 'call', { n: job.n })
          if (r === job.n * 2) answered++
          else wrong++
        }
      } catch (e) {
        if (job.kind === 'cast') refused++
        else if (e instanceof MessagingTimeout) timedOut++
        else otherErrors[(e as Error).name] = (otherErrors[(e as Error).name] ?? 0) + 1
      }
      done++
    }
  }
  const load = Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const faults = (async () => {
    await sleep(start + 5000 - Date.now())
    mark(`kill -9 node 1 after ${done} operations`)
    await cluster('kill', '1')
    await sleep(3000)
    mark('starting node 1')
    await cluster('start-node', '1')
    mark(`node 1 back after ${done} operations`)
    await sleep(start + 22_000 - Date.now())
    mark(`stopping all three nodes after ${done} operations`)
    await cluster('stop-all')
    mark('all stopped; waiting 10 s')
    await sleep(10_000)
    mark('starting all three')
    await cluster('start-all')
    mark(`all three back after ${done} operations`)
  })()
  await Promise.all([load, faults])
  mark(`load finished: ${confirmed.size} casts confirmed, ${answered} calls answered`)
  // Wait for what is still queued to be handled.
  let last = -1
  for (let stable = 0; stable < 10; ) {
    await sleep(500)
    const now = [...handled.keys()].filter((n) => confirmed.has(n)).length
    stable = now === last ? stable + 1 : 0
    last = now
    if (now === confirmed.size) break
  }
  // Consumers back without a restart: a call and a fanout reach the same server object.
  let consumersBack = false
  try {
    const pong = await client.call({ topic }, 'ping', {}, { timeout: 20 })
    await client.fanout(topic, 'fanout', {})
    for (let i = 0; i < 100 && fanouts === 0; i++) await sleep(100)
    consumersBack = pong === 'pong' && fanouts === 1
  } catch (e) {
    mark(`consumer check failed: ${(e as Error).message}`)
  }
  const lost = [...confirmed].filter((n) => !handled.has(n)).length
  const refusedButHandled = [...handled.keys()].filter((n) => !confirmed.has(n)).length
  const handledTwice = [...handled.values()].filter((c) => c > 1).length
  const outcome: Outcome = {
    profile,
    casts: {
      sent: CASTS,
      confirmed: confirmed.size,
      refused,
      refusedButHandled,
      lost,
      handledTwice,
      handled: handled.size,
    },
    calls: { sent: CALLS, answered, timedOut, otherErrors, wrong },
    consumersBack,
    reconnects: { client: client.counters.reconnects, server: server.counters.reconnects },
    resends: client.counters.resends,
    seconds: (Date.now() - t0) / 1000,
    timeline,
  }
  const topology = [client, server].map((b) => (b.transport as RabbitTransport).topology())
  await Promise.all([client.close(2000), server.close(2000)])
  await deleteFromCluster(
    topology.flatMap((t) => t.queues),
    topology.flatMap((t) => t.exchanges),
  )
  return outcome
}

async function deleteFromCluster(queues: string[], exchanges: string[]): Promise<void> {
  process.env.CLOUDLET_TEST_RABBIT_URL = urlFrom(1).replace(/,.*\//, '/')
  await deleteTopology(queues, exchanges).catch((e) => console.error(`cleanup: ${(e as Error).message}`))
}

console.log(`starting the cluster: ${await cluster('start')}`)
const outcomes: Outcome[] = []
for (const profile of PROFILES) {
  console.log(`== ${profile}: ${CASTS} casts and ${CALLS} calls at concurrency ${CONCURRENCY}`)
  outcomes.push(await scenario(profile))
}
console.log(
  '\n| profile | casts confirmed | refused (caller saw a timeout) | of those handled anyway | confirmed but lost | handled twice | calls answered | calls timed out | other call errors | consumers back | reconnects (client/server) | seconds |',
)
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
for (const o of outcomes) {
  const other =
    Object.entries(o.calls.otherErrors)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '0'
  console.log(
    `| ${o.profile} | ${o.casts.confirmed} | ${o.casts.refused} | ${o.casts.refusedButHandled} | ${o.casts.lost} | ${o.casts.handledTwice} | ${o.calls.answered} | ${o.calls.timedOut} | ${other} | ${o.consumersBack ? 'yes' : 'no'} | ${o.reconnects.client}/${o.reconnects.server} | ${o.seconds.toFixed(0)} |`,
  )
}
console.log(JSON.stringify(outcomes, null, 1))
if (!process.argv.includes('--keep')) console.log(await cluster('destroy'))
process.exit(0)
