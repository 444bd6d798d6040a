/** Transport URLs and the profile switch, without a broker. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MalformedMessage } from './errors.js'
import { parseTransportUrl, resolveRabbitOptions } from './rabbit-options.js'
import { testConfig } from './testing.js'

describe('transport_url', () => {
  it('reads every host of an oslo-style URL, with credentials, ports and the vhost', () => {
    const u = parseTransportUrl('rabbit://nova:s%40cret@h1:5673,cinder:pw@h2,h3:5674/cloud%2Fa')
    assert.deepEqual(u.hosts, [
      { hostname: 'h1', port: 5673, username: 'nova', password: 's@cret' },
      { hostname: 'h2', port: 5672, username: 'cinder', password: 'pw' },
      { hostname: 'h3', port: 5674, username: 'cinder', password: 'pw' },
    ])
    assert.equal(u.vhost, 'cloud/a')
    assert.equal(u.ssl, false)
    assert.equal(parseTransportUrl('rabbit://h/').vhost, '/')
    assert.equal(parseTransportUrl('rabbit://guest:guest@[::1]:5671/?ssl=1').hosts[0]?.hostname, '::1')
    assert.equal(parseTransportUrl('amqps://u:p@h').hosts[0]?.port, 5671)
  })
  it('refuses what is not a rabbit URL, without echoing it', () => {
    for (const bad of ['kafka://h:9092', 'rabbit://', 'rabbit://u:p@h:x/']) {
      assert.throws(
        () => parseTransportUrl(bad),
        (e: Error) => e instanceof MalformedMessage && !e.message.includes(':p@'),
      )
    }
  })
})

describe('rabbit options', () => {
  const resolve = (settings: Record<string, string>) => {
    const c = testConfig({ DEFAULT__transport_url: 'rabbit://u:p@h1,h2/', ...settings })
    return resolveRabbitOptions({
      transport_url: c.DEFAULT.transport_url!,
      control_exchange: c.DEFAULT.control_exchange,
      rabbit: c.oslo_messaging_rabbit,
      profile: c.bus.profile,
      publisher_confirms: c.bus.publisher_confirms,
    })
  }
  it('turns the operators’ recommendations on by default', () => {
    const o = resolve({})
    assert.equal(o.quorum, true)
    assert.equal(o.transientQuorum, true)
    assert.equal(o.streamFanout, true)
    assert.equal(o.queueManager, true)
    assert.equal(o.confirms, true)
    assert.equal(o.deadLetter, true)
    assert.equal(o.url.hosts.length, 2)
  })
  it('upstream profile forces oslo.messaging defaults whatever the section says', () => {
    const o = resolve({ BUS__profile: 'upstream', OSLO_MESSAGING_RABBIT__rabbit_quorum_queue: 'true' })
    assert.deepEqual(
      [o.quorum, o.transientQuorum, o.streamFanout, o.queueManager, o.confirms, o.durable, o.deadLetter],
      [false, false, false, false, false, false, false],
    )
  })
  it('reads upstream option names from [oslo_messaging_rabbit]', () => {
    const o = resolve({
      OSLO_MESSAGING_RABBIT__heartbeat_timeout_threshold: '10',
      OSLO_MESSAGING_RABBIT__kombu_failover_strategy: 'shuffle',
      OSLO_MESSAGING_RABBIT__rabbit_stream_fanout: 'false',
    })
    assert.equal(o.heartbeatThreshold, 10)
    assert.equal(o.failover, 'shuffle')
    assert.equal(o.streamFanout, false)
  })
})
