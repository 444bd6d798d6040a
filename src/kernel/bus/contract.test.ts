/**
 * The bus contract, run against every transport (in-process, and RabbitMQ on the
 * machine's broker): call, cast, fanout, notifications, timeouts, per-sender ordering,
 * large payloads, many concurrent callers, a server restarting mid-stream, version
 * refusal, duplicates and bad input.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { MessageInfo, ReceivedNotification } from './bus.js'
import {
  MalformedMessage,
  MessageTooLarge,
  MessagingTimeout,
  NoSuchMethod,
  RemoteError,
  UnsupportedVersion,
} from './errors.js'
import type { MessageBus } from './message-bus.js'
import { type BusWorld, enabledTransports, makeWorld } from './testing.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `check` holds, failing after `ms`. */
async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

for (const transport of enabledTransports()) {
  describe(`bus contract on ${transport}`, () => {
    let world: BusWorld
    let client: MessageBus
    before(async () => {
      world = makeWorld(transport)
      client = await world.bus()
    })
    after(async () => world.cleanup())

    it('call returns the handler result, with context, sender and version', async () => {
      const topic = world.topic('calc')
      const server = await world.bus()
      let seen: MessageInfo | undefined
      await server.serve({ topic, server: 'h1' }, [
        {
          namespace: 'calc',
          version: '1.3',
          methods: {
            add: (a: { x: number; y: number }, info: MessageInfo) => {
              seen = info
              return { sum: a.x + a.y }
            },
          },
        },
      ])
      const reply = await client.call<{ sum: number }>(
        { topic },
        'add',
        { x: 2, y: 40 },
        { namespace: 'calc', version: '1.1', context: { request_id: 'req-1' } },
      )
      assert.deepEqual(reply, { sum: 42 })
      assert.equal(seen?.kind, 'call')
      assert.equal(seen?.version, '1.1')
      assert.equal(seen?.sender, client.id)
      assert.deepEqual(seen?.context, { request_id: 'req-1' })
      assert.equal(client.counters.callLatency.count > 0, true)
      const status = await server.status()
      assert.equal(status.transport, transport)
      assert.equal(status.connected, true)
      assert.deepEqual(status.servers, [{ topic, server: 'h1', inFlight: 0 }])
      assert.ok(status.queues.some((q) => q.name === `${topic}.h1`))
      assert.equal((await client.status()).pendingCalls, 0)
    })

    it('a server target reaches that server only; a topic target reaches one server per message', async () => {
      const topic = world.topic('compute')
      const hits: string[] = []
      for (const host of ['a', 'b']) {
        const bus = await world.bus()
        await bus.serve({ topic, server: host }, [
          { version: '1.0', methods: { who: () => host, note: () => void hits.push(host) } },
        ])
      }
      for (let i = 0; i < 6; i++) assert.equal(await client.call({ topic, server: 'b' }, 'who', {}), 'b')
      for (let i = 0; i < 20; i++) await client.cast({ topic }, 'note', {})
      await until(() => hits.length === 20, 10_000, '20 casts')
      await sleep(100)
      assert.equal(hits.length, 20, 'each cast handled by exactly one server')
      assert.ok(hits.includes('a') && hits.includes('b'), 'both servers share the topic queue')
    })

    it('fanout reaches every server of the topic', async () => {
      const topic = world.topic('fan')
      const got = new Map<string, number[]>()
      for (const host of ['x', 'y', 'z']) {
        got.set(host, [])
        const bus = await world.bus()
        await bus.serve({ topic, server: host }, [
          { version: '1.0', methods: { refresh: (a: { n: number }) => void got.get(host)!.push(a.n) } },
        ])
      }
      for (let n = 0; n < 5; n++) await client.fanout(topic, 'refresh', { n })
      await until(() => [...got.values()].every((l) => l.length === 5), 10_000, 'fanout on every server')
      for (const list of got.values()) assert.deepEqual(list, [0, 1, 2, 3, 4])
    })

    it('notifications reach one listener of each pool, filtered by type and priority', async () => {
      const topic = world.topic('notifications')
      const a1: ReceivedNotification[] = []
      const a2: ReceivedNotification[] = []
      const b: ReceivedNotification[] = []
      const errors: ReceivedNotification[] = []
      const l1 = await world.bus()
      const l2 = await world.bus()
      await l1.listen({ topic, pool: 'a', eventTypes: ['compute.instance.*'] }, (n) => void a1.push(n))
      await l2.listen({ topic, pool: 'a', eventTypes: ['compute.instance.*'] }, (n) => void a2.push(n))
      await l2.listen({ topic, pool: 'b' }, (n) => void b.push(n))
      await l1.listen({ topic, pool: 'errors', priorities: ['error'] }, (n) => void errors.push(n))
      const payload = { name: 'InstancePayload', version: '1.2', data: { uuid: 'u1' } }
      for (let i = 0; i < 10; i++) {
        await client.notify(
          { publisherId: 'compute.h1', eventType: 'compute.instance.create', payload },
          { topic },
        )
      }
      await client.notify(
        { publisherId: 'compute.h1', eventType: 'compute.volume.attach', priority: 'error', payload },
        { topic },
      )
      await until(
        () => a1.length + a2.length === 10 && b.length === 11 && errors.length === 1,
        10_000,
        'notifications',
      )
      await sleep(100)
      assert.equal(a1.length + a2.length, 10, 'pool a shares the instance events and filters the volume one')
      assert.equal(b.length, 11)
      assert.equal(errors[0]?.eventType, 'compute.volume.attach')
      assert.equal(b[0]?.priority, 'info')
      assert.deepEqual(b[0]?.payload, payload)
      assert.match(b[0]!.timestamp, /^\d{4}-\d\d-\d\dT/)
      await assert.rejects(
        client.notify({ publisherId: 'x', eventType: 'NotAType', payload }, { topic }),
        MalformedMessage,
      )
    })

    it('a call nobody answers fails with a retriable MessagingTimeout at its deadline, never hangs', async () => {
      const topic = world.topic('nobody')
      const started = Date.now()
      const error = await client.call({ topic }, 'ping', {}, { timeout: 0.5 }).catch((e) => e)
      const took = Date.now() - started
      assert.ok(error instanceof MessagingTimeout, String(error))
      assert.equal(error.retriable, true)
      assert.equal(error.code, 'bus.timeout')
      assert.ok(took >= 480 && took < 2500, `took ${took} ms`)
    })

    it('a reply later than the deadline times the call out and is counted as late', async () => {
      const topic = world.topic('slow')
      const server = await world.bus()
      await server.serve({ topic, server: 's' }, [{ version: '1.0', methods: { slow: () => sleep(700) } }])
      const late = client.counters.lateReplies
      await assert.rejects(client.call({ topic }, 'slow', {}, { timeout: 0.3 }), MessagingTimeout)
      await until(() => client.counters.lateReplies === late + 1, 5000, 'the late reply')
    })

    it('casts from one sender are handled in the order sent, even with handlers of varying length', async () => {
      const topic = world.topic('ordered')
      const server = await world.bus()
      const seen = new Map<string, number[]>()
      await server.serve({ topic, server: 'o', concurrency: 32 }, [
        {
          version: '1.0',
          methods: {
            step: async (a: { n: number }, info: MessageInfo) => {
              if (a.n % 7 === 0) await sleep(3)
              const list = seen.get(info.sender) ?? []
              list.push(a.n)
              seen.set(info.sender, list)
            },
          },
        },
      ])
      const other = await world.bus()
      const sends: Promise<void>[] = []
      for (let n = 0; n < 300; n++) {
        sends.push(client.cast({ topic }, 'step', { n }))
        sends.push(other.cast({ topic }, 'step', { n }))
      }
      await Promise.all(sends)
      await until(
        () => (seen.get(client.id)?.length ?? 0) === 300 && (seen.get(other.id)?.length ?? 0) === 300,
      )
      const expected = Array.from({ length: 300 }, (_, i) => i)
      assert.deepEqual(seen.get(client.id), expected)
      assert.deepEqual(seen.get(other.id), expected)
    })

    it('carries large payloads both ways and refuses one over the size limit before sending', async () => {
      const topic = world.topic('large')
      const server = await world.bus()
      await server.serve({ topic, server: 'l' }, [
        {
          version: '1.0',
          methods: { echo: (a: { blob: string }) => ({ length: a.blob.length, blob: a.blob }) },
        },
      ])
      const blob = 'x'.repeat(4 * 1024 * 1024)
      const reply = await client.call<{ length: number; blob: string }>({ topic }, 'echo', { blob })
      assert.equal(reply.length, blob.length)
      assert.equal(reply.blob, blob)
      const small = await world.bus({ BUS__max_message_size: '65536' })
      const sent = small.counters.sent
      await assert.rejects(small.cast({ topic }, 'echo', { blob: 'y'.repeat(70_000) }), MessageTooLarge)
      assert.equal(small.counters.sent, sent)
    })

    it('answers 2,000 calls from 4 callers at once, each with its own reply', async () => {
      const topic = world.topic('busy')
      for (const host of ['p', 'q']) {
        const bus = await world.bus()
        await bus.serve({ topic, server: host }, [
          { version: '1.0', methods: { square: (a: { n: number }) => a.n * a.n } },
        ])
      }
      const callers = [client, await world.bus(), await world.bus(), await world.bus()]
      const results = await Promise.all(
        Array.from({ length: 2000 }, (_, n) =>
          callers[n % 4]!.call<number>({ topic }, 'square', { n }, { timeout: 30 }),
        ),
      )
      results.forEach((r, n) => {
        assert.equal(r, n * n)
      })
    })

    it('a server restarting mid-stream loses nothing: the next one handles the rest', async () => {
      const topic = world.topic('restart')
      const handled = new Map<number, number>()
      const endpoint = {
        version: '1.0',
        methods: {
          work: async (a: { n: number }) => {
            await sleep(1)
            handled.set(a.n, (handled.get(a.n) ?? 0) + 1)
          },
        },
      }
      const first = await world.bus()
      const s1 = await first.serve({ topic, server: 'r' }, [endpoint])
      const total = 400
      const sending = (async () => {
        for (let n = 0; n < total; n++) await client.cast({ topic, server: 'r' }, 'work', { n })
      })()
      await until(() => handled.size >= 50, 10_000, 'the first 50')
      await s1.stop(5000)
      await first.close(5000)
      const second = await world.bus()
      await second.serve({ topic, server: 'r' }, [endpoint])
      await sending
      await until(() => handled.size === total, 20_000, 'every cast handled')
      await sleep(200)
      const twice = [...handled.values()].filter((c) => c > 1).length
      assert.equal(twice, 0, 'none handled twice')
    })

    it('refuses unknown versions and methods with typed errors; a pinned client never sends newer', async () => {
      const topic = world.topic('versions')
      const server = await world.bus()
      await server.serve({ topic, server: 'v' }, [
        {
          namespace: 'compute',
          version: '2.4',
          methods: {
            boot: () => 'booted',
            fail: () => {
              throw new UnsupportedVersion('inner', { code: 'compute.instance.locked' })
            },
          },
        },
      ])
      const call = (method: string, version: string, namespace = 'compute') =>
        client.call({ topic }, method, {}, { version, namespace, timeout: 10 })
      assert.equal(await call('boot', '2.0'), 'booted')
      assert.equal(await call('boot', '2.4'), 'booted')
      const newer = await call('boot', '2.5').catch((e) => e)
      assert.ok(newer instanceof UnsupportedVersion, String(newer))
      assert.match(newer.message, /speaks compute 2\.4, not 2\.5/)
      await assert.rejects(call('boot', '1.9'), UnsupportedVersion)
      await assert.rejects(call('boot', '3.0'), UnsupportedVersion)
      await assert.rejects(call('reboot', '2.1'), NoSuchMethod)
      await assert.rejects(call('boot', '2.0', 'network'), NoSuchMethod)
      const remote = await call('fail', '2.0').catch((e) => e)
      assert.ok(remote instanceof RemoteError, String(remote))
      assert.equal(remote.remoteName, 'UnsupportedVersion')
      assert.equal(remote.remoteCode, 'compute.instance.locked')

      const pinned = client.client({ topic, namespace: 'compute', versionCap: '2.1' })
      assert.equal(pinned.canSendVersion('2.1'), true)
      assert.equal(pinned.canSendVersion('1.9'), true)
      assert.equal(pinned.canSendVersion('2.2'), false)
      assert.equal(await pinned.call('boot', {}, { version: '2.1' }), 'booted')
      const sent = client.counters.sent
      await assert.rejects(pinned.cast('boot', {}, { version: '2.2' }), UnsupportedVersion)
      assert.equal(client.counters.sent, sent, 'nothing sent')
    })

    it('handles a resent message once; a resent call gets the first reply again', async () => {
      const topic = world.topic('dupes')
      const server = await world.bus()
      let runs = 0
      await server.serve({ topic, server: 'd' }, [{ version: '1.0', methods: { once: () => ++runs } }])
      const messageId = randomUUID()
      assert.equal(await client.call({ topic }, 'once', {}, { messageId }), 1)
      assert.equal(await client.call({ topic }, 'once', {}, { messageId }), 1)
      const castId = randomUUID()
      await client.cast({ topic }, 'once', {}, { messageId: castId })
      await client.cast({ topic }, 'once', {}, { messageId: castId })
      await until(() => runs === 2 && server.counters.duplicates === 2, 5000, 'the duplicate cast')
      await sleep(100)
      assert.equal(runs, 2)
    })

    it('dead-letters malformed, oversized and unrunnable messages and keeps serving', async () => {
      const topic = world.topic('bad')
      const server = await world.bus({ BUS__max_message_size: '65536' })
      await server.serve({ topic, server: 'b' }, [{ version: '1.0', methods: { ok: () => 'still here' } }])
      const send = (body: Buffer) =>
        client.transport.send({ kind: 'rpc', topic }, body, {
          messageId: randomUUID(),
          deadline: Date.now() + 5000,
          persistent: true,
        })
      const before = await world.deadLettered()
      await send(Buffer.from('not json at all'))
      await send(Buffer.from(JSON.stringify({ hello: 'world' })))
      await send(
        Buffer.from(JSON.stringify({ v: 1, kind: 'call', id: 'x', from: 'y', seq: 1, ns: '', ver: 'one' })),
      )
      await send(
        Buffer.from(JSON.stringify({ v: 1, kind: 'reply', id: 'x', from: 'y', seq: 1, corr: 'z', ok: true })),
      )
      await client.cast({ topic }, 'ok', { pad: 'z'.repeat(70_000) })
      await client.cast({ topic }, 'nope', {})
      await client.cast({ topic }, 'ok', {}, { version: '2.0' })
      await until(() => server.counters.deadLettered === 7, 10_000, '7 dead letters')
      assert.equal(await client.call({ topic }, 'ok', {}), 'still here')
      await until(() => server.counters.deadLettered === 7, 1000)
      let dead = (await world.deadLettered()) - before
      for (const end = Date.now() + 5000; dead < 7 && Date.now() < end; ) {
        await sleep(50)
        dead = (await world.deadLettered()) - before
      }
      assert.equal(dead, 7, 'the broker holds the 7 dead letters')
    })
  })
}
