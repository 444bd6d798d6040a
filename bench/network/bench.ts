/**
 * Port create and list rates of the network service, in process (the kernel's test host,
 * SQLite in a temporary directory, requests through inject: no sockets, no identity).
 * Lists, as the network's owner (a member) and as an admin, each `reps` times: wall and
 * CPU ms per list (CPU of this one process, which runs server and client), for the
 * whole list, a page of 100, the page of 100 after the middle port, and a page of 100
 * by name descending. `cpu_ms` includes the client's side (inject copying the body
 * into one string and JSON.parse of it); `server_cpu_ms` is the same list read as a
 * stream and only counted, so it is nearer what the server spends over a socket.
 * Upstream is measured over HTTP (http.ts).
 *
 *   node dist/bench/network/bench.js [ports=1000] [concurrency=8] [reps=20]
 */
import { startTestHost } from '../../src/kernel/testing/index.js'
import { networkModule } from '../../src/services/network/module.js'

const N = '/network/v2.0'
const total = Number(process.argv[2] ?? 1000)
const concurrency = Number(process.argv[3] ?? 8)
const reps = Number(process.argv[4] ?? 20)

const t = await startTestHost({ modules: [networkModule], config: { quotas: { quota_port: -1 } } })
try {
  const as = 'project-member'
  const net = (await t.call('POST', `${N}/networks`, { as, body: { network: { name: 'bench' } } })).body
    .network
  await t.call('POST', `${N}/subnets`, {
    as,
    body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/16' } },
  })
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++
        const r = await t.call('POST', `${N}/ports`, { as, body: { port: { network_id: net.id } } })
        if (r.status !== 201) throw new Error(`port create: ${r.status} ${JSON.stringify(r.body)}`)
      }
    }),
  )
  const createMs = performance.now() - started
  /** Mean wall and CPU (this process: server and client, in process) ms of `reps` lists. */
  const timed = async (url: string, who: string, expect: number) => {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < reps; i++) {
      const r = await t.call('GET', url, { as: who })
      if (r.body.ports?.length !== expect)
        throw new Error(`${url}: ${r.status} ${r.body.ports?.length} ports`)
    }
    const c = process.cpuUsage(c0)
    const wall = performance.now() - t0
    // The same lists, the body read as a stream and counted, not copied into a string or parsed.
    const s0 = process.cpuUsage()
    for (let i = 0; i < reps; i++) {
      const r = await t.host.app.inject({
        method: 'GET',
        url,
        headers: { accept: 'application/json', 'x-auth-token': who },
        payloadAsStream: true,
      })
      let bytes = 0
      for await (const chunk of r.stream()) bytes += (chunk as Buffer).length
      if (r.statusCode !== 200 || bytes < 2) throw new Error(`${url}: ${r.statusCode}, ${bytes} bytes`)
    }
    const s = process.cpuUsage(s0)
    const round = (x: number) => Math.round(x * 10) / 10
    return {
      wall_ms: round(wall / reps),
      cpu_ms: round((c.user + c.system) / 1000 / reps),
      server_cpu_ms: round((s.user + s.system) / 1000 / reps),
    }
  }
  const all = `${N}/ports?network_id=${net.id}`
  const middle = (await t.call('GET', `${all}&limit=${Math.floor(total / 2)}`, { as })).body.ports.at(-1).id
  const out: Record<string, unknown> = {
    ports: total,
    concurrency,
    creates_per_s: Math.round((total / createMs) * 1000),
    reps,
  }
  for (const who of [as, 'project-admin']) {
    out[who] = {
      list_all: await timed(all, who, total),
      page_of_100: await timed(`${all}&limit=100`, who, Math.min(100, total)),
      page_of_100_after_middle: await timed(
        `${all}&limit=100&marker=${middle}`,
        who,
        Math.min(100, total - Math.floor(total / 2)),
      ),
      page_of_100_by_name_desc: await timed(
        `${all}&limit=100&sort_key=name&sort_dir=desc`,
        who,
        Math.min(100, total),
      ),
    }
  }
  console.log(JSON.stringify(out))
} finally {
  await t.close()
}
