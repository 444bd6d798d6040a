/**
 * The server side of bench/bus on RabbitMQ, in its own process as a conductor would be:
 * serves `echo` (calls), `work` (casts) and `count` (how many casts it handled).
 *
 *   node dist/bench/bus/server.js URL EXCHANGE TOPIC [SETTINGS_JSON]
 */
import { createBus } from '../../src/kernel/bus/create-bus.js'
import { testConfig } from '../../src/kernel/bus/testing.js'

const [url, exchange, topic, settings = '{}'] = process.argv.slice(2) as [string, string, string, string?]
const bus = await createBus(
  testConfig({
    DEFAULT__transport_url: url,
    DEFAULT__control_exchange: exchange,
    OSLO_MESSAGING_RABBIT__processname: `bench-server-${process.pid}`,
    ...(JSON.parse(settings) as Record<string, string>),
  }),
)
let handled = 0
await bus.serve({ topic, server: 'bench' }, [
  {
    version: '1.0',
    methods: {
      echo: (a: { n: number }) => a.n,
      work: () => {
        handled++
      },
      count: () => handled,
    },
  },
])
process.stdout.write(`ready ${bus.transport.replyAddress}\n`)
process.on('SIGTERM', () => {
  void bus.close(1000).then(() => process.exit(0))
})
