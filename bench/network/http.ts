/**
 * bench/network over HTTP: port create, list and delete rates against any Networking
 * v2.0 found through Identity v3 (public APIs only), so the same program measures
 * Cloudlet and upstream neutron-server in one run.
 *
 * One network with a /16 subnet; `--ports` creates at `--concurrency`; then the list of
 * all the network's ports and a page of 100 (`limit=100`), each `--lists` times (median);
 * then the deletes. CPU: user + system seconds of the processes named by `--pids` or
 * `--pid-dir` and their descendants (the API processes; not the database server).
 *
 * usage: node dist/bench/network/http.js --auth-url URL/v3 --password P [--user admin]
 *   [--project admin] [--ports 1000] [--concurrency 8] [--lists 5]
 *   [--pids 1,2 | --pid-dir DIR] [--label NAME] [--json FILE]
 */
import { appendFileSync } from 'node:fs'
import { optionReader } from '../support/args.js'
import { login, median, percentile } from '../support/openstack-http.js'
import { cpuSeconds, pidsInDir, rssMiB } from '../support/processes.js'

const { get: arg, maybe } = optionReader(process.argv)

const ports = Number(arg('ports', '1000'))
const concurrency = Number(arg('concurrency', '8'))
const lists = Number(arg('lists', '5'))
const label = arg('label', 'cloud')
const pidDir = maybe('pid-dir')
const roots = pidDir ? pidsInDir(pidDir) : arg('pids', '').split(',').filter(Boolean).map(Number)
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d

const s = await login(arg('auth-url'), arg('user', 'admin'), arg('password'), arg('project', 'admin'))
const net = `${s.endpoint('network')}/v2.0`
if (net === '/v2.0') throw new Error('no network endpoint in the catalog')

const must = async (what: string, want: number, p: ReturnType<typeof s.call>) => {
  const r = await p
  if (r.status !== want) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json
}
// upstream's default port quota is 500 a project
await must('quota', 200, s.call('PUT', `${net}/quotas/${s.projectId}`, { quota: { port: -1 } }))
const network = (
  await must('network', 201, s.call('POST', `${net}/networks`, { network: { name: `bench-${Date.now()}` } }))
).network
await must(
  'subnet',
  201,
  s.call('POST', `${net}/subnets`, {
    subnet: { network_id: network.id, ip_version: 4, cidr: '10.200.0.0/16', enable_dhcp: false },
  }),
)

/** Runs `n` calls of `one` at `concurrency`, answering each call's latency in ms. */
async function burst(n: number, one: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++
        const t0 = performance.now()
        await one(i)
        latencies.push(performance.now() - t0)
      }
    }),
  )
  return latencies
}

const ids: string[] = []
let cpu0 = cpuSeconds(roots)
let t0 = performance.now()
const createLatencies = await burst(ports, async () => {
  const r = await must(
    'port create',
    201,
    s.call('POST', `${net}/ports`, { port: { network_id: network.id } }),
  )
  ids.push(r.port.id)
})
const createSeconds = (performance.now() - t0) / 1000
const createCpu = cpuSeconds(roots) - cpu0

const timed = async (url: string, expect: number) => {
  const samples: number[] = []
  const c0 = cpuSeconds(roots)
  for (let i = 0; i < lists; i++) {
    const t = performance.now()
    const r = await must('list', 200, s.call('GET', url))
    samples.push(performance.now() - t)
    if (r.ports.length !== expect) throw new Error(`list gave ${r.ports.length} ports, not ${expect}`)
  }
  return { medianMs: round(median(samples), 1), cpuSecondsEach: round((cpuSeconds(roots) - c0) / lists) }
}
const listAll = await timed(`${net}/ports?network_id=${network.id}`, ports)
const listPage = await timed(`${net}/ports?network_id=${network.id}&limit=100`, Math.min(100, ports))
const rss = rssMiB(roots)

cpu0 = cpuSeconds(roots)
t0 = performance.now()
await burst(ids.length, async (i) => {
  await must('port delete', 204, s.call('DELETE', `${net}/ports/${ids[i]}`))
})
const deleteSeconds = (performance.now() - t0) / 1000
const deleteCpu = cpuSeconds(roots) - cpu0
await must('network delete', 204, s.call('DELETE', `${net}/networks/${network.id}`))

const result = {
  label,
  ports,
  concurrency,
  createsPerSecond: round(ports / createSeconds, 1),
  createLatencyMs: {
    p50: round(percentile(createLatencies, 50), 1),
    p99: round(percentile(createLatencies, 99), 1),
  },
  cpuSecondsPerCreate: round(createCpu / ports, 4),
  listAll,
  listPageOf100: listPage,
  deletesPerSecond: round(ports / deleteSeconds, 1),
  cpuSecondsPerDelete: round(deleteCpu / ports, 4),
  rssMiBWithPorts: rss,
}
console.log(JSON.stringify(result))
const json = maybe('json')
if (json) appendFileSync(json, `${JSON.stringify(result)}\n`)
