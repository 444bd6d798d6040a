/**
 * bench/compute: boot N servers to ACTIVE and delete them, against any Compute v2.1
 * (Identity v3 + Compute REST only, as ../shared/tools/reference/nova/nova-boot-bench.py,
 * so the same run measures Cloudlet and upstream Nova with its fake driver):
 *
 *   multi    one POST /servers with min_count = max_count = N
 *   clients  C concurrent clients, each POSTing N/C single-server requests back to back
 *
 * then polls GET /servers?status=BUILD until none of the run's is left building (one
 * detailed list then counts ACTIVE and ERROR), deletes them
 * all (C at a time) and polls until they are gone. Reports servers per second (ACTIVE
 * servers / time from the first POST until the last is ACTIVE), time-to-ACTIVE per server
 * p50/p99 (from its POST), the CPU seconds the cloud's processes used during the run
 * (utime + stime from /proc of the given pids and all their descendants) per server
 * booted and deleted, gross and net of the cloud's idle CPU, and their RSS.
 *
 * usage: node dist/bench/compute/bench.js --auth-url URL/v3 --password P [--user admin]
 *   [--project admin] [--flavor tiny] [--image tiny] [--count 100] [--clients 10]
 *   [--modes multi,clients] [--poll 0.02] [--pids 123,456 | --pid-dir DIR]
 *   [--idle-seconds 10] [--label NAME] [--json FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { optionReader } from '../support/args.js'
import { call, cpuSeconds, endpoints, login, pct, r3, rootPids, rssMiB, sleep, tree } from './cloud-api.js'

interface Args {
  authUrl: string
  password: string
  user: string
  project: string
  flavor: string
  image: string
  count: number
  clients: number
  modes: ('multi' | 'clients')[]
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
    image: get('image', 'tiny'),
    count: Number(get('count', '100')),
    clients: Number(get('clients', '10')),
    modes: get('modes', 'multi,clients').split(',') as Args['modes'],
    poll: Number(get('poll', '0.02')),
    pids: get('pids', '').split(',').filter(Boolean).map(Number),
    ...(pidDir ? { pidDir } : {}),
    idleSeconds: Number(get('idle-seconds', '10')),
    label: get('label', 'cloud'),
    ...(json ? { json } : {}),
    microversion: get('microversion', '2.37'),
    timeout: Number(get('timeout', '900')),
  }
}

interface RunResult {
  label: string
  mode: 'multi' | 'clients'
  count: number
  clients: number
  postErrors: number
  active: number
  error: number
  allActiveSeconds: number
  serversPerSecond: number
  timeToActive: { p50: number; p99: number; max: number }
  deleteAllGoneSeconds: number
  deletesPerSecond: number
  cpuSeconds: number
  cpuSecondsPerServer: number
  cpuSecondsPerServerNetOfIdle: number
  rssMiBAfter: number
  polls: number
}

async function runOnce(
  a: Args,
  mode: 'multi' | 'clients',
  flavor: string,
  image: string,
  roots: number[],
  idlePerSecond: number,
): Promise<RunResult> {
  const mv = a.microversion
  const tag = `bench-${Math.random().toString(16).slice(2, 10)}`
  const submitted = new Map<string, number>()
  let postErrors = 0
  const cpu0 = cpuSeconds(roots)
  const t0 = performance.now()
  const create = async (name: string, n: number) => {
    const server: Record<string, unknown> = { name, imageRef: image, flavorRef: flavor, networks: 'none' }
    if (n > 1) Object.assign(server, { min_count: n, max_count: n })
    const at = performance.now()
    const r = await call('POST', `${endpoints.compute}/servers`, { server }, mv)
    if (r.status !== 202) {
      postErrors++
      console.error(`POST ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`)
    }
    return at
  }
  if (mode === 'multi') await create(tag, a.count)
  else {
    const per = Math.floor(a.count / a.clients)
    await Promise.all(
      Array.from({ length: a.clients }, async (_, c) => {
        for (let j = 0; j < per; j++) {
          const name = `${tag}-c${c}-${j}`
          submitted.set(name, await create(name, 1))
        }
      }),
    )
  }
  // NOTE: the poll asks only for the run's servers still in BUILD (a plain list, no
  // details): a server leaves it when it becomes ACTIVE or ERROR. A detailed list of
  // every server each 20 ms cost the cloud more CPU than the boots it measures; one
  // detailed list at the end tells ACTIVE from ERROR.
  const seen = new Map<string, number>()
  const building = new Set<string>()
  let polls = 0
  let firstPoll: number | undefined
  for (;;) {
    const r = await call(
      'GET',
      `${endpoints.compute}/servers?name=^${tag}&status=BUILD&limit=1000`,
      undefined,
      mv,
    )
    polls++
    const now = performance.now()
    firstPoll ??= now
    if (r.status === 200) {
      const still = new Set((r.json.servers as { id: string }[]).map((s) => s.id))
      for (const id of still) building.add(id)
      for (const id of building) if (!still.has(id) && !seen.has(id)) seen.set(id, now)
      if (still.size === 0 && (await countOf(tag, mv)) >= a.count) {
        for (const id of building) if (!seen.has(id)) seen.set(id, now)
        break
      }
    }
    if (now - t0 > a.timeout * 1000) {
      console.error('timeout waiting for ACTIVE')
      break
    }
    await sleep(a.poll * 1000)
  }
  const tActive = performance.now()
  const states = new Map<string, { name: string; status: string }>()
  const all = await call('GET', `${endpoints.compute}/servers/detail?name=^${tag}&limit=1000`, undefined, mv)
  for (const s of all.json.servers as { id: string; name: string; status: string }[]) {
    states.set(s.id, { name: s.name, status: s.status })
    // Not building at the first poll: it was done by then.
    if (!seen.has(s.id)) seen.set(s.id, firstPoll ?? tActive)
  }
  const active = [...states.values()].filter((s) => s.status === 'ACTIVE').length
  const error = [...states.values()].filter((s) => s.status === 'ERROR').length
  const perServer = [...seen]
    .filter(([id]) => states.has(id))
    .map(([id, at]) => (at - (submitted.get(states.get(id)!.name) ?? t0)) / 1000)

  const ids = [...states.keys()]
  const td0 = performance.now()
  const queue = [...ids]
  await Promise.all(
    Array.from({ length: a.clients }, async () => {
      for (let id = queue.shift(); id; id = queue.shift())
        await call('DELETE', `${endpoints.compute}/servers/${id}`, undefined, mv)
    }),
  )
  for (;;) {
    const r = await call('GET', `${endpoints.compute}/servers?name=^${tag}&limit=1000`, undefined, mv)
    polls++
    if (r.status === 200 && r.json.servers.length === 0) break
    if (performance.now() - td0 > a.timeout * 1000) {
      console.error('timeout waiting for deletes')
      break
    }
    await sleep(a.poll * 1000)
  }
  const tGone = performance.now()
  const cpu = cpuSeconds(roots) - cpu0
  const wall = (tGone - t0) / 1000
  return {
    label: a.label,
    mode,
    count: a.count,
    clients: mode === 'clients' ? a.clients : 1,
    postErrors,
    active,
    error,
    allActiveSeconds: r3((tActive - t0) / 1000),
    serversPerSecond: r3(active / ((tActive - t0) / 1000)),
    timeToActive: {
      p50: r3(pct(perServer, 50)),
      p99: r3(pct(perServer, 99)),
      max: r3(Math.max(...perServer)),
    },
    deleteAllGoneSeconds: r3((tGone - td0) / 1000),
    deletesPerSecond: r3(ids.length / ((tGone - td0) / 1000)),
    cpuSeconds: r3(cpu),
    cpuSecondsPerServer: r3(cpu / a.count),
    cpuSecondsPerServerNetOfIdle: r3(Math.max(0, cpu - idlePerSecond * wall) / a.count),
    rssMiBAfter: rssMiB(roots),
    polls,
  }
}

/** How many of the run's servers exist (a plain list). */
async function countOf(tag: string, mv: string): Promise<number> {
  const r = await call('GET', `${endpoints.compute}/servers?name=^${tag}&limit=1000`, undefined, mv)
  return r.status === 200 ? r.json.servers.length : 0
}

async function main() {
  const a = parse(process.argv.slice(2))
  await login(a)
  const roots = rootPids(a)
  const flavors = (await call('GET', `${endpoints.compute}/flavors`, undefined, a.microversion)).json
    .flavors as {
    id: string
    name: string
  }[]
  const flavor = flavors.find((f) => f.name === a.flavor || f.id === a.flavor)?.id
  if (!flavor) throw new Error(`flavor ${a.flavor} not found`)
  const images = (await call('GET', `${endpoints.image}/v2/images?name=${encodeURIComponent(a.image)}`)).json
    .images
  const image = images?.[0]?.id as string | undefined
  if (!image) throw new Error(`image ${a.image} not found`)
  // The cloud's idle CPU, to report CPU per server net of what it burns doing nothing.
  const i0 = cpuSeconds(roots)
  await sleep(a.idleSeconds * 1000)
  const idlePerSecond = (cpuSeconds(roots) - i0) / a.idleSeconds
  const rssIdle = rssMiB(roots)
  const runs: RunResult[] = []
  for (const mode of a.modes) {
    const r = await runOnce(a, mode, flavor, image, roots, idlePerSecond)
    runs.push(r)
    console.error(JSON.stringify(r))
  }
  const out = {
    label: a.label,
    pids: tree(roots).length,
    idleCpuSecondsPerMinute: r3(idlePerSecond * 60),
    rssMiBIdle: rssIdle,
    poll: a.poll,
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    runs,
  }
  console.log(JSON.stringify(out, null, 2))
  if (a.json) writeFileSync(a.json, JSON.stringify(out, null, 2))
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
