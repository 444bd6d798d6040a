/**
 * Port create and list rates of the network service, in process (the kernel's test host,
 * SQLite in a temporary directory, requests through inject: no sockets, no identity).
 * Upstream neutron-server is not measured here yet.
 *
 *   node dist/bench/network/bench.js [ports=1000] [concurrency=8]
 */
import { startTestHost } from '../../src/kernel/testing/index.js'
import { networkModule } from '../../src/services/network/module.js'

const N = '/network/v2.0'
const total = Number(process.argv[2] ?? 1000)
const concurrency = Number(process.argv[3] ?? 8)

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
  const listStart = performance.now()
  const list = await t.call('GET', `${N}/ports?network_id=${net.id}`, { as })
  const listMs = performance.now() - listStart
  const pageStart = performance.now()
  await t.call('GET', `${N}/ports?network_id=${net.id}&limit=100`, { as })
  const pageMs = performance.now() - pageStart
  console.log(
    JSON.stringify({
      ports: total,
      concurrency,
      creates_per_s: Math.round((total / createMs) * 1000),
      list_all_ms: Math.round(listMs),
      listed: list.body.ports.length,
      list_page_of_100_ms: Math.round(pageMs),
    }),
  )
} finally {
  await t.close()
}
