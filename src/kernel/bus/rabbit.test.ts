/**
 * What only the RabbitMQ transport has, on the machine's broker: queue types and stable
 * names, queue-manager slots, casts kept while their server is down, poison messages
 * dead-lettered, and a connection that goes silent (a TCP proxy that stops forwarding
 * without a FIN) noticed within two heartbeat intervals and replaced, losing nothing.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { DEFAULT_PROCESSNAME } from './config.js'
import { createBus } from './create-bus.js'
import { MessagingTimeout, RemoteError } from './errors.js'
import type { MessageBus } from './message-bus.js'
import type { RabbitTransport } from './rabbit-transport.js'
import {
  type BusWorld,
  deleteTopology,
  enabledTransports,
  makeWorld,
  RABBIT_TEST_URL,
  testConfig,
} from './testing.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
const rabbit = (bus: MessageBus) => bus.transport as RabbitTransport

/** Queue name → type, as the broker reports them. */
function queueTypes(): Map<string, string> {
  const out = execFileSync('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name', 'type'], {
    encoding: 'utf8',
  })
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/) as [string, string]),
  )
}

/**
 * A TCP proxy to the broker whose `freeze()` makes every open connection silent: bytes
 * are swallowed in both directions and no FIN or reset is sent, as when a firewall or a
 * NAT drops a flow. New connections are forwarded normally.
 */
class SilentProxy {
  private readonly server = net.createServer((client) => this.accept(client))
  private readonly frozen = new WeakSet<net.Socket>()
  private readonly open = new Set<net.Socket>()
  port = 0

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as net.AddressInfo).port
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(5672, '127.0.0.1')
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.open.add(from)
      from.on('data', (chunk) => {
        if (!this.frozen.has(from)) to.write(chunk)
      })
      from.on('error', () => {})
      from.on('close', () => {
        this.open.delete(from)
        if (!this.frozen.has(from)) to.destroy()
      })
    }
  }

  freeze(): void {
    for (const s of this.open) this.frozen.add(s)
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

if (enabledTransports().includes('rabbit')) {
  describe('RabbitMQ transport', () => {
    let world: BusWorld
    before(() => {
      world = makeWorld('rabbit')
    })
    after(async () => world.cleanup())

    it('declares quorum RPC queues, a transient quorum reply queue and a fanout stream, with stable names', async () => {
      const topic = world.topic('shape')
      const bus = await world.bus({ OSLO_MESSAGING_RABBIT__processname: 'shape-proc' })
      await bus.serve({ topic, server: 'h1' }, [{ version: '1.0', methods: {} }])
      assert.equal(bus.transport.replyAddress, `reply_${rabbit(bus).options.hostname}:shape-proc`)
      const role = await createBus(
        testConfig({ DEFAULT__transport_url: RABBIT_TEST_URL, DEFAULT__control_exchange: `${topic}_x` }),
        {
          role: 'conductor',
        },
      )
      assert.equal(
        role.transport.replyAddress,
        `reply_${rabbit(role).options.hostname}:${DEFAULT_PROCESSNAME}-conductor`,
      )
      await role.close()
      await deleteTopology(
        [role.transport.replyAddress, `${topic}_x.dead_letter`],
        [`${topic}_x`, `${topic}_x.dlx`],
      )
      const types = queueTypes()
      assert.equal(types.get(topic), 'quorum')
      assert.equal(types.get(`${topic}.h1`), 'quorum')
      assert.equal(types.get(bus.transport.replyAddress), 'quorum')
      assert.equal(types.get(`${topic}_fanout`), 'stream')
      const status = await bus.status()
      assert.equal(status.transport, 'rabbit')
      assert.equal(status.connected, true)
      assert.equal(status.broker, '127.0.0.1:5672')
      assert.ok(status.queues.some((q) => q.name === topic && q.consumers === 1))
    })

    it('gives two processes of one name their own slots; a restart takes its slot and queue again', async () => {
      const settings = { OSLO_MESSAGING_RABBIT__processname: 'twin' }
      const a = await world.bus(settings)
      const b = await world.bus(settings)
      assert.notEqual(a.transport.replyAddress, b.transport.replyAddress)
      assert.match(b.transport.replyAddress, /:twin:2$/)
      const topic = world.topic('twins')
      const server = await world.bus()
      await server.serve({ topic, server: 's' }, [
        { version: '1.0', methods: { id: (x: { n: number }) => x.n } },
      ])
      const replies = await Promise.all([
        a.call({ topic }, 'id', { n: 1 }),
        b.call({ topic }, 'id', { n: 2 }),
      ])
      assert.deepEqual(replies, [1, 2])
      const address = b.transport.replyAddress
      await b.close()
      const again = await world.bus(settings)
      assert.equal(again.transport.replyAddress, address, 'the restarted process reuses slot 2')
      assert.equal(await again.call({ topic }, 'id', { n: 3 }), 3)
    })

    it('keeps casts sent while their server is down and hands them over when it is back', async () => {
      const topic = world.topic('offline')
      const sender = await world.bus()
      for (let n = 0; n < 50; n++) await sender.cast({ topic, server: 'late' }, 'work', { n })
      const got: number[] = []
      const server = await world.bus()
      await server.serve({ topic, server: 'late' }, [
        { version: '1.0', methods: { work: (a: { n: number }) => void got.push(a.n) } },
      ])
      await until(() => got.length === 50, 10_000, '50 kept casts')
      assert.deepEqual(
        got,
        Array.from({ length: 50 }, (_, i) => i),
      )
    })

    it('dead-letters a message that kills its consumer every time instead of redelivering it forever', async () => {
      const topic = world.topic('poison')
      const settings = { OSLO_MESSAGING_RABBIT__rabbit_quorum_delivery_limit: '2' }
      let deliveries = 0
      let healthy = 0
      // Each "process" dies (its connection is cut, the handler never returns) when it
      // gets the poison message; the next one starts on the same server name.
      const start = async () => {
        const bus = await world.bus(settings)
        // NOTE: the poison can arrive while serve() still subscribes; the "crash" then
        // fails serve() too, as it would a real process.
        await bus
          .serve({ topic, server: 'p' }, [
            {
              version: '1.0',
              methods: {
                poison: () => {
                  deliveries++
                  rabbit(bus).cutConnection()
                  void rabbit(bus).close()
                  return new Promise(() => {})
                },
                fine: () => ++healthy,
              },
            },
          ])
          .catch(() => {})
        return bus
      }
      const sender = await world.bus(settings)
      const deadBefore = await world.deadLettered()
      await start()
      await sender.cast({ topic }, 'poison', {})
      for (let seen = 1; seen <= 4; seen++) {
        const ok = await until(() => deliveries >= seen, 5000, `delivery ${seen}`).then(
          () => true,
          () => false,
        )
        if (!ok) break
        await start()
      }
      await sleep(1000)
      assert.equal(deliveries, 3, 'first delivery and two redeliveries, then dead-lettered')
      assert.equal((await world.deadLettered()) - deadBefore, 1)
      assert.equal(await sender.call({ topic }, 'fine', {}, { timeout: 10 }), 1, 'the topic keeps serving')
    })

    it('notices a connection gone silent within two heartbeat intervals, replaces it and loses nothing', async () => {
      const proxy = new SilentProxy()
      await proxy.start()
      try {
        const topic = world.topic('silent')
        const handled = new Map<number, number>()
        const server = await world.bus()
        await server.serve({ topic, server: 's' }, [
          {
            version: '1.0',
            methods: { work: (a: { n: number }) => void handled.set(a.n, (handled.get(a.n) ?? 0) + 1) },
          },
        ])
        // The client reaches the broker through the proxy; heartbeat interval 1 s.
        const client = await world.bus({
          DEFAULT__transport_url: `rabbit://guest:guest@127.0.0.1:${proxy.port}/`,
          OSLO_MESSAGING_RABBIT__heartbeat_timeout_threshold: '2',
          OSLO_MESSAGING_RABBIT__rabbit_retry_interval: '0',
        })
        const echoTopic = world.topic('silent_echo')
        await client.serve({ topic: echoTopic, server: 'c' }, [
          { version: '1.0', methods: { echo: (x: unknown) => x } },
        ])
        const events: Array<{ event: string; at: number }> = []
        rabbit(client).onLink((event) => events.push({ event, at: Date.now() }))

        const total = 600
        let next = 0
        const confirmed = new Set<number>()
        const sender = async () => {
          while (next < total) {
            const n = next++
            await client.cast({ topic }, 'work', { n })
            confirmed.add(n)
            if (n % 10 === 0) await sleep(2)
          }
        }
        const senders = Promise.all(Array.from({ length: 10 }, sender))
        await until(() => confirmed.size >= 200, 20_000, '200 confirmed casts')
        const frozenAt = Date.now()
        proxy.freeze()
        await until(() => events.some((e) => e.event === 'down'), 10_000, 'the silent link noticed')
        const noticedMs = events.find((e) => e.event === 'down')!.at - frozenAt
        await until(() => events.some((e) => e.event === 'up'), 20_000, 'a new link')
        await senders
        await until(() => handled.size === total, 20_000, 'every cast handled')
        await sleep(300)
        assert.ok(noticedMs <= 2000, `noticed after ${noticedMs} ms; the heartbeat interval is 1000 ms`)
        assert.equal(confirmed.size, total)
        assert.equal([...handled.values()].filter((c) => c > 1).length, 0, 'none handled twice')
        assert.equal(client.counters.reconnects, 1)
        assert.deepEqual(await server.call({ topic: echoTopic }, 'echo', { back: true }), { back: true })
        console.log(`silent link noticed after ${noticedMs} ms, resends ${client.counters.resends}`)
      } finally {
        await proxy.close()
      }
    })

    it('connects through the next host of the URL when the first is down', async () => {
      const topic = world.topic('failover')
      const bus = await world.bus({
        DEFAULT__transport_url: 'rabbit://guest:guest@127.0.0.1:1,guest:guest@127.0.0.1:5672/',
      })
      await bus.serve({ topic, server: 'f' }, [{ version: '1.0', methods: { hi: () => 'hi' } }])
      assert.equal((await bus.status()).broker, '127.0.0.1:5672')
      assert.equal(await bus.call({ topic }, 'hi', {}), 'hi')
    })

    it('with the broker away, start returns and every send fails with MessagingTimeout at its deadline', async () => {
      const started = Date.now()
      const bus = await world.bus({ DEFAULT__transport_url: 'rabbit://guest:guest@127.0.0.1:1/' })
      assert.ok(Date.now() - started < 5000, 'start does not wait for the broker')
      const status = await bus.status()
      assert.equal(status.connected, false)
      assert.match(status.lastError ?? '', /127\.0\.0\.1:1/)
      for (const send of [
        () => bus.call({ topic: 'away' }, 'm', {}, { timeout: 0.5 }),
        () => bus.cast({ topic: 'away' }, 'm', {}, { timeout: 0.5 }),
        () => bus.fanout('away', 'm', {}, { timeout: 0.5 }),
      ]) {
        const t0 = Date.now()
        const error = await send().catch((e) => e)
        assert.ok(error instanceof MessagingTimeout, String(error))
        assert.equal(error.retriable, true)
        const took = Date.now() - t0
        assert.ok(took >= 450 && took < 2000, `took ${took} ms`)
      }
      assert.equal(bus.counters.timeouts, 3)
    })

    it('direct reply-to: calls are answered without a reply queue', async () => {
      const topic = world.topic('direct')
      const settings = { BUS__direct_reply_to: 'true' }
      const server = await world.bus(settings)
      await server.serve({ topic, server: 'd' }, [
        {
          version: '1.0',
          methods: {
            twice: (a: { n: number }) => a.n * 2,
            fail: () => {
              throw new Error('no')
            },
          },
        },
      ])
      const client = await world.bus(settings)
      assert.equal(client.transport.replyAddress, 'amq.rabbitmq.reply-to')
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, n) => client.call<number>({ topic }, 'twice', { n })),
      )
      replies.forEach((r, n) => {
        assert.equal(r, n * 2)
      })
      await assert.rejects(client.call({ topic }, 'fail', {}), RemoteError)
      assert.ok(
        !queueTypes().has(`reply_${rabbit(client).options.hostname}:${rabbit(client).options.processname}`),
      )
    })

    it('upstream profile: classic queues with random names', async () => {
      const topic = world.topic('classic')
      const bus = await world.bus({ BUS__profile: 'upstream', DEFAULT__control_exchange: `${topic}_x` })
      await bus.serve({ topic, server: 'h' }, [{ version: '1.0', methods: { hi: () => 'hi' } }])
      assert.match(bus.transport.replyAddress, /^reply_[0-9a-f]{32}$/)
      const types = queueTypes()
      assert.equal(types.get(topic), 'classic')
      assert.equal(types.get(bus.transport.replyAddress), 'classic')
      assert.equal(await bus.call({ topic }, 'hi', {}), 'hi')
    })
  })
}
