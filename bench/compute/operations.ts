/**
 * bench/compute operations: resize + confirm and live migration throughput against any
 * Compute v2.1 (Identity v3 + Compute REST only, so one program measures Cloudlet and
 * upstream Nova with its fake driver in the same run):
 *
 *   setup   one multi-create of N servers (flavor A), all ACTIVE (not timed)
 *   resize  C clients, each taking the next server: POST resize (A <-> B), wait for
 *           VERIFY_RESIZE, POST confirmResize, wait for ACTIVE with no task state
 *   live    C clients: POST os-migrateLive (host null, block_migration auto), wait for
 *           ACTIVE with no task state on another host
 *   cleanup delete all, wait until gone (not timed)
 *
 * One poller lists the run's servers (`GET /servers/detail?name=^<tag>`) every --poll
 * seconds for all waiting clients. Reports per operation: operations per second (done
 * / wall time from the first POST to the last one seen done), latency per operation
 * p50/p99 (its first POST until a poll sees it done), failures, and the CPU seconds the
 * cloud's processes used per operation (gross and net of idle).
 *
 * usage: node dist/bench/compute/operations.js --auth-url URL/v3 --password P
 *   [--user admin] [--project admin] [--flavor tiny] [--resize-flavor tiny2] [--image tiny]
 *   [--count 40] [--clients 8] [--ops resize,live] [--poll 0.02] [--pids 1,2 | --pid-dir DIR]
 *   [--idle-seconds 10] [--label NAME] [--json FILE] [--microversion 2.60] [--timeout 900]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { optionReader } from '../support/args.js'
import { call, cpuSeconds, endpoints, login, pct, r3, rootPids, rssMiB, sleep, tree } from './cloud-api.js'

type Op = 'resize' | 'live'

interface Args {
  authUrl: string
  password: string
  user: string
  project: string
  flavor: string
  resizeFlavor: string
  image: string
  count: number
  clients: number
  ops: Op[]
  poll: number
  pids: number[]
  pidDir?: string
  idleSeconds: number
  label: string
  json?: string
  microversion: string
  timeout: number
}

function parse(argv: string[]): Args {
  const { get, maybe } = optionReader(argv)
  const pidDir = maybe('pid-dir')
  const json = maybe('json')
  return {
    authUrl: get('auth-url').replace(/\/+$/, ''),
    password: get('password'),
    user: get('user', 'admin'),
    project: get('project', 'admin'),
    flavor: get('flavor', 'tiny'),
    resizeFlavor: get('resize-flavor', 'tiny2'),
    image: get('image', 'tiny'),
    count: Number(get('count', '40')),
    clients: Number(get('clients', '8')),
    ops: get('ops', 'resize,live').split(',') as Op[],
    poll: Number(get('poll', '0.02')),
    pids: get('pids', '').split(',').filter(Boolean).map(Number),
    ...(pidDir ? { pidDir } : {}),
    idleSeconds: Number(get('idle-seconds', '10')),
    label: get('label', 'cloud'),
    ...(json ? { json } : {}),
    microversion: get('microversion', '2.60'),
    timeout: Number(get('timeout', '900')),
  }
}

interface ServerState {
  id: string
  status: string
  task: string | null
  host: string | null
  flavor: string
}

/** One list request per interval for every client waiting on a server of the run. */
class Poller {
  private readonly waiters = new Set<{
    id: string
    until: (s: ServerState) => boolean
    done: (s: ServerState | undefined) => void
  }>()
  private running = false
  polls = 0

  constructor(
    private readonly tag: string,
    private readonly a: Args,
  ) {}

  /** Resolves with the state a poll first saw satisfy `until` (undefined on timeout). */
  wait(id: string, until: (s: ServerState) => boolean): Promise<ServerState | undefined> {
    return new Promise((done) => {
      this.waiters.add({ id, until, done })
      if (!this.running) void this.loop()
    })
  }

  async list(): Promise<ServerState[]> {
    const r = await call(
      'GET',
      `${endpoints.compute}/servers/detail?name=^${this.tag}&limit=1000`,
      undefined,
      this.a.microversion,
    )
    this.polls++
    if (r.status !== 200) return []
    return (r.json.servers as Record<string, unknown>[]).map((s) => ({
      id: String(s.id),
      status: String(s.status),
      task: (s['OS-EXT-STS:task_state'] as string | null) ?? null,
      host: (s['OS-EXT-SRV-ATTR:host'] as string | null) ?? null,
      flavor: String((s.flavor as { original_name?: string; id?: string }).original_name ?? ''),
    }))
  }

  private async loop(): Promise<void> {
    this.running = true
    const started = performance.now()
    while (this.waiters.size > 0) {
      const byId = new Map((await this.list()).map((s) => [s.id, s]))
      for (const w of [...this.waiters]) {
        const s = byId.get(w.id)
        if (s && w.until(s)) {
          this.waiters.delete(w)
          w.done(s)
        }
      }
      if (performance.now() - started > this.a.timeout * 1000)
        for (const w of [...this.waiters]) {
          this.waiters.delete(w)
          w.done(undefined)
        }
      await sleep(this.a.poll * 1000)
    }
    this.running = false
  }
}

interface OpResult {
  label: string
  op: Op
  count: number
  clients: number
  done: number
  failed: number
  wallSeconds: number
  opsPerSecond: number
  latency: { p50: number; p99: number; max: number }
  cpuSeconds: number
  cpuSecondsPerOp: number
  cpuSecondsPerOpNetOfIdle: number
  rssMiBAfter: number
  polls: number
  loadavg: string
}

const settled = (s: ServerState) => s.task === null && (s.status === 'ACTIVE' || s.status === 'ERROR')

/** One operation on one server, to the end; its latency in seconds, or undefined when it failed. */
async function operate(
  a: Args,
  op: Op,
  poller: Poller,
  server: ServerState,
  flavors: { a: string; b: string; aName: string },
): Promise<number | undefined> {
  const act = (body: unknown) =>
    call('POST', `${endpoints.compute}/servers/${server.id}/action`, body, a.microversion)
  const t0 = performance.now()
  if (op === 'resize') {
    const to = server.flavor === flavors.aName ? flavors.b : flavors.a
    const r = await act({ resize: { flavorRef: to } })
    if (r.status !== 202) return fail(op, server, r.status, r.json)
    const verify = await poller.wait(server.id, (s) => s.status === 'VERIFY_RESIZE' || settled(s))
    if (verify?.status !== 'VERIFY_RESIZE') return fail(op, server, 0, verify)
    const c = await act({ confirmResize: null })
    if (c.status !== 204) return fail(op, server, c.status, c.json)
    const end = await poller.wait(server.id, settled)
    if (end?.status !== 'ACTIVE') return fail(op, server, 0, end)
  } else {
    const r = await act({ 'os-migrateLive': { host: null, block_migration: 'auto' } })
    if (r.status !== 202) return fail(op, server, r.status, r.json)
    const end = await poller.wait(server.id, (s) => settled(s) && s.host !== server.host)
    if (end?.status !== 'ACTIVE') return fail(op, server, 0, end)
  }
  return (performance.now() - t0) / 1000
}

function fail(op: Op, server: ServerState, status: number, body: unknown): undefined {
  console.error(`${op} of ${server.id} failed: ${status} ${JSON.stringify(body).slice(0, 300)}`)
  return undefined
}

async function runOp(
  a: Args,
  op: Op,
  poller: Poller,
  flavors: { a: string; b: string; aName: string },
  roots: number[],
  idlePerSecond: number,
): Promise<OpResult> {
  const servers = (await poller.list()).filter((s) => s.status === 'ACTIVE')
  const queue = [...servers]
  const latencies: number[] = []
  let failed = 0
  const pollsBefore = poller.polls
  const cpu0 = cpuSeconds(roots)
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: a.clients }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        const l = await operate(a, op, poller, s, flavors)
        if (l === undefined) failed++
        else latencies.push(l)
      }
    }),
  )
  const wall = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(roots) - cpu0
  const n = Math.max(1, servers.length)
  return {
    label: a.label,
    op,
    count: servers.length,
    clients: a.clients,
    done: latencies.length,
    failed,
    wallSeconds: r3(wall),
    opsPerSecond: r3(latencies.length / wall),
    latency: { p50: r3(pct(latencies, 50)), p99: r3(pct(latencies, 99)), max: r3(Math.max(...latencies)) },
    cpuSeconds: r3(cpu),
    cpuSecondsPerOp: r3(cpu / n),
    cpuSecondsPerOpNetOfIdle: r3(Math.max(0, cpu - idlePerSecond * wall) / n),
    rssMiBAfter: rssMiB(roots),
    polls: poller.polls - pollsBefore,
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }
}

/** The flavor's id; made (1 vCPU, `ram` MiB, 1 GiB) when the cloud has none of that name. */
async function flavorId(a: Args, name: string, ram: number): Promise<string> {
  const list = (await call('GET', `${endpoints.compute}/flavors`, undefined, a.microversion)).json
    .flavors as { id: string; name: string }[]
  const found = list.find((f) => f.name === name || f.id === name)
  if (found) return found.id
  const r = await call(
    'POST',
    `${endpoints.compute}/flavors`,
    { flavor: { name, vcpus: 1, ram, disk: 1 } },
    a.microversion,
  )
  if (r.status !== 200) throw new Error(`flavor ${name} not made: ${r.status} ${JSON.stringify(r.json)}`)
  return String(r.json.flavor.id)
}

async function main() {
  const a = parse(process.argv.slice(2))
  await login(a)
  const roots = rootPids(a)
  const flavors = {
    a: await flavorId(a, a.flavor, 64),
    b: await flavorId(a, a.resizeFlavor, 128),
    aName: a.flavor,
  }
  const images = (await call('GET', `${endpoints.image}/v2/images?name=${encodeURIComponent(a.image)}`)).json
    .images
  const image = images?.[0]?.id as string | undefined
  if (!image) throw new Error(`image ${a.image} not found`)
  const tag = `bench-ops-${Math.random().toString(16).slice(2, 10)}`
  const poller = new Poller(tag, a)
  // setup: the servers, booted in one request (not timed)
  const r = await call(
    'POST',
    `${endpoints.compute}/servers`,
    {
      server: {
        name: tag,
        imageRef: image,
        flavorRef: flavors.a,
        networks: 'none',
        min_count: a.count,
        max_count: a.count,
      },
    },
    a.microversion,
  )
  if (r.status !== 202) throw new Error(`boot refused: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`)
  for (const t0 = performance.now(); ; ) {
    const all = await poller.list()
    if (all.length >= a.count && all.every(settled)) break
    if (performance.now() - t0 > a.timeout * 1000) throw new Error('the servers did not become ACTIVE')
    await sleep(Math.max(a.poll, 0.2) * 1000)
  }
  const i0 = cpuSeconds(roots)
  await sleep(a.idleSeconds * 1000)
  const idlePerSecond = (cpuSeconds(roots) - i0) / a.idleSeconds
  const results: OpResult[] = []
  for (const op of a.ops) {
    const res = await runOp(a, op, poller, flavors, roots, idlePerSecond)
    results.push(res)
    console.error(JSON.stringify(res))
  }
  // cleanup (not timed)
  const ids = (await poller.list()).map((s) => s.id)
  await Promise.all(
    Array.from({ length: a.clients }, async () => {
      for (let id = ids.shift(); id; id = ids.shift())
        await call('DELETE', `${endpoints.compute}/servers/${id}`, undefined, a.microversion)
    }),
  )
  for (const t0 = performance.now(); (await poller.list()).length > 0; ) {
    if (performance.now() - t0 > a.timeout * 1000) break
    await sleep(Math.max(a.poll, 0.2) * 1000)
  }
  const out = {
    label: a.label,
    pids: tree(roots).length,
    idleCpuSecondsPerMinute: r3(idlePerSecond * 60),
    poll: a.poll,
    results,
  }
  console.log(JSON.stringify(out, null, 2))
  if (a.json) writeFileSync(a.json, JSON.stringify(out, null, 2))
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
