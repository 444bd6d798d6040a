/**
 * Test support: the contract suite runs once per transport. A `BusWorld` makes buses
 * that play separate processes on one broker: the in-memory one, or the machine's
 * RabbitMQ at 127.0.0.1:5672 with an exchange and topics unique to the run, deleted
 * afterwards. CLOUDLET_TEST_BUS=in-process (or rabbit) runs one transport only;
 * CLOUDLET_TEST_RABBIT_URL points the RabbitMQ world elsewhere.
 */
import { randomBytes } from 'node:crypto'
import amqp from 'amqplib'
import { loadConfig } from '../config/index.js'
import { busConfig } from './config.js'
import { createBus } from './create-bus.js'
import { InProcessBroker } from './in-process.js'
import type { MessageBus } from './message-bus.js'
import { RabbitTransport } from './rabbit-transport.js'

export const RABBIT_TEST_URL = process.env.CLOUDLET_TEST_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/'

export interface BusWorld {
  readonly name: 'in-process' | 'rabbit'
  /** A new bus, as a new process would have; `settings` are `SECTION__option` overrides. */
  bus(settings?: Record<string, string>): Promise<MessageBus>
  /** A topic name unique to this run. */
  topic(name: string): string
  /** What the broker dead-lettered so far. */
  deadLettered(): Promise<number>
  /** Closes every bus and deletes what the run declared. */
  cleanup(): Promise<void>
}

export function enabledTransports(): Array<'in-process' | 'rabbit'> {
  const env = process.env.CLOUDLET_TEST_BUS
  if (!env) return ['in-process', 'rabbit']
  return env.split(',').map((t) => t.trim()) as Array<'in-process' | 'rabbit'>
}

/** Configuration for a test bus: `settings` keys are `section__option`. */
export function testConfig(settings: Record<string, string> = {}) {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(settings)) env[`OS_${k.toUpperCase()}`] = v
  return loadConfig(busConfig, { env })
}

export function makeWorld(kind: 'in-process' | 'rabbit'): BusWorld {
  const run = randomBytes(4).toString('hex')
  const buses: MessageBus[] = []
  let processes = 0
  if (kind === 'in-process') {
    const broker = new InProcessBroker()
    return {
      name: kind,
      async bus(settings = {}) {
        const bus = await createBus(testConfig(settings), { broker })
        buses.push(bus)
        return bus
      },
      topic: (name) => `${name}_${run}`,
      deadLettered: async () => broker.deadLetters.length,
      async cleanup() {
        await Promise.all(buses.map((b) => b.close(2000)))
      },
    }
  }
  const exchange = `cloudlet_test_${run}`
  return {
    name: kind,
    async bus(settings = {}) {
      const bus = await createBus(
        testConfig({
          DEFAULT__transport_url: RABBIT_TEST_URL,
          DEFAULT__control_exchange: exchange,
          OSLO_MESSAGING_RABBIT__processname: `test-${run}-${++processes}`,
          // NOTE: one node: a quorum queue of one replica is still a quorum queue.
          ...settings,
        }),
      )
      buses.push(bus)
      return bus
    },
    topic: (name) => `${name}_${run}`,
    async deadLettered() {
      const c = await amqp.connect(RABBIT_TEST_URL.replace(/^rabbit:/, 'amqp:'))
      try {
        const ch = await c.createChannel()
        ch.on('error', () => {})
        const q = await ch.checkQueue(`${exchange}.dead_letter`).catch(() => ({ messageCount: 0 }))
        return q.messageCount
      } finally {
        await c.close()
      }
    },
    async cleanup() {
      const queues = new Set<string>()
      const exchanges = new Set<string>()
      for (const b of buses) {
        if (b.transport instanceof RabbitTransport) {
          const t = b.transport.topology()
          for (const q of t.queues) queues.add(q)
          for (const x of t.exchanges) exchanges.add(x)
        }
      }
      await Promise.all(buses.map((b) => b.close(2000)))
      await deleteTopology([...queues], [...exchanges])
    },
  }
}

/** Deletes queues and exchanges from the test broker, ignoring those already gone. */
export async function deleteTopology(queues: readonly string[], exchanges: readonly string[]): Promise<void> {
  const c = await amqp.connect(RABBIT_TEST_URL.replace(/^rabbit:/, 'amqp:'))
  try {
    for (const [names, remove] of [
      [queues, (ch: amqp.Channel, n: string) => ch.deleteQueue(n)],
      [exchanges, (ch: amqp.Channel, n: string) => ch.deleteExchange(n)],
    ] as const) {
      for (const name of names) {
        const ch = await c.createChannel()
        ch.on('error', () => {})
        await remove(ch, name).catch(() => {})
        await ch.close().catch(() => {})
      }
    }
  } finally {
    await c.close()
  }
}
