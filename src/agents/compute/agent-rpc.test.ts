/**
 * The agents' RPC interface over the in-process bus, with a stand-in conductor that
 * collects the reports: builds to ACTIVE (call and cast), an injected spawn failure as an
 * error reply and a `build_failed` report, power operations, terminate dropping the
 * guest's allocations, utilisation samples and `compute.metrics.update` notifications, and a
 * host that goes down: no heartbeat, so the registry shows it down within
 * service_down_time, and no RPC until it is back.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type MessageBus,
  MessagingTimeout,
  type ReceivedNotification,
  RemoteError,
} from '../../kernel/bus/index.js'
import { PowerState } from './drivers/driver.js'
import { providerUuid } from './provider-tree.js'
import {
  type BuildFailedReport,
  COMPUTE_REPORTS_NAMESPACE,
  COMPUTE_REPORTS_VERSION,
  CONDUCTOR_TOPIC,
  ComputeRpcClient,
  type InstanceMessage,
  type InstanceStateReport,
} from './rpc.js'
import { type AgentWorld, startAgentWorld } from './testing.js'

const instance = (extra: Partial<InstanceMessage> = {}): InstanceMessage => ({
  uuid: randomUUID(),
  name: 'web',
  vcpus: 2,
  memory_mb: 2048,
  root_gb: 20,
  ...extra,
})

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

describe('compute agent RPC', () => {
  let w: AgentWorld
  let bus: MessageBus
  let rpc: ComputeRpcClient
  const updates: InstanceStateReport[] = []
  const failures: BuildFailedReport[] = []
  const metrics: ReceivedNotification[] = []

  before(async () => {
    w = await startAgentWorld({
      hosts: 2,
      config: {
        DEFAULT: { report_interval: 1, service_down_time: 2, compute_monitors: 'cpu.virt_driver' },
        // NOTE: no daily cycle: with it, an idle host's simulated CPU use is 0 for part of
        // every day (3 % idle minus a 10 % swing), and the sample below must be positive.
        fake_driver: { spawn_time: 0.02, cpu_daily_swing: 0 },
      },
    })
    bus = w.t.host.bus!
    rpc = new ComputeRpcClient(bus)
    await bus.serve({ topic: CONDUCTOR_TOPIC, server: 'test-conductor' }, [
      {
        namespace: COMPUTE_REPORTS_NAMESPACE,
        version: COMPUTE_REPORTS_VERSION,
        methods: {
          instance_update: (r: InstanceStateReport) => void updates.push(r),
          build_failed: (r: BuildFailedReport) => void failures.push(r),
        },
      },
    ])
    await bus.listen(
      { pool: 'test-scheduler', eventTypes: ['compute.metrics.update'] },
      (n) => void metrics.push(n),
    )
  })
  after(() => w.close())

  it('a build sent as a call replies once the guest runs: ACTIVE, power state RUNNING, and reports nothing', async () => {
    const i = instance()
    const reply = await rpc.buildAndRunInstance('h-1', { instance: i }, { wait: true })
    assert.equal(reply.vm_state, 'active')
    assert.equal(reply.power_state, PowerState.RUNNING)
    assert.equal(reply.host, 'h-1')
    assert.ok(reply.launched_at)
    assert.equal(w.driver('h-1').getInfo(i.uuid).powerState, PowerState.RUNNING)
    // a report sent now would have arrived before this call's next round trip
    await rpc.getInstanceState('h-1', { instance_uuid: i.uuid })
    assert.deepEqual(
      updates.filter((u) => u.instance_uuid === i.uuid),
      [],
      'the reply is the outcome: no report',
    )
  })

  it('a build sent as a cast is accepted at once; its progress and outcome reach the conductor', async () => {
    const many = Array.from({ length: 5 }, () => instance())
    const t0 = Date.now()
    for (const i of many) await rpc.buildAndRunInstance('h-2', { instance: i })
    await until('five ACTIVE reports', () =>
      many.every((i) => updates.some((u) => u.instance_uuid === i.uuid && u.vm_state === 'active')),
    )
    assert.deepEqual(
      updates
        .filter((u) => u.instance_uuid === many[0]!.uuid)
        .map((u) => [u.vm_state, u.task_state, u.power_state]),
      [
        ['building', 'spawning', PowerState.NOSTATE],
        ['active', null, PowerState.RUNNING],
      ],
    )
    // NOTE: the bus runs one sender's casts to a server one at a time; the builds overlap
    // only because the agent takes them in the background.
    assert.ok(Date.now() - t0 < 5 * 20 + 500, `five 20 ms builds took ${Date.now() - t0} ms`)
    assert.equal(w.driver('h-2').listInstances().length, 5)
  })

  it('an injected spawn failure is an error reply to a call, a reschedulable build_failed report to a cast', async () => {
    w.driver('h-1').failNextSpawns(1, 'simulated hypervisor fault')
    const i = instance()
    await assert.rejects(rpc.buildAndRunInstance('h-1', { instance: i, attempt: 2 }, { wait: true }), (e) => {
      assert.ok(e instanceof RemoteError)
      assert.equal(e.remoteName, 'InstanceBuildFailed')
      assert.equal(e.remoteCode, 'compute.instance.build_failed')
      assert.match(e.message, /simulated hypervisor fault/)
      return true
    })
    assert.throws(() => w.driver('h-1').getInfo(i.uuid), /could not be found/, 'no guest is left behind')
    w.driver('h-1').failNextSpawns(1, 'simulated hypervisor fault')
    const cast = instance()
    await rpc.buildAndRunInstance('h-1', { instance: cast, attempt: 2 })
    await until('the failure report', () => failures.some((f) => f.instance_uuid === cast.uuid))
    const f = failures.find((x) => x.instance_uuid === cast.uuid)!
    assert.deepEqual([f.host, f.attempt, f.reschedulable], ['h-1', 2, true])
    assert.deepEqual(
      failures.filter((x) => x.instance_uuid === i.uuid),
      [],
      "the call's error reply is its outcome: no report",
    )
  })

  it('power operations move the guest and report vm_state; a refused one is an error reply', async () => {
    const i = instance()
    await rpc.buildAndRunInstance('h-1', { instance: i }, { wait: true })
    const stopped = (await rpc.stopInstance(
      'h-1',
      { instance_uuid: i.uuid },
      { wait: true },
    )) as InstanceStateReport
    assert.deepEqual([stopped.vm_state, stopped.power_state], ['stopped', PowerState.SHUTDOWN])
    const started = (await rpc.startInstance(
      'h-1',
      { instance_uuid: i.uuid },
      { wait: true },
    )) as InstanceStateReport
    assert.deepEqual([started.vm_state, started.power_state], ['active', PowerState.RUNNING])
    const rebooted = (await rpc.rebootInstance(
      'h-1',
      { instance_uuid: i.uuid, reboot_type: 'SOFT' },
      { wait: true },
    )) as InstanceStateReport
    assert.equal(rebooted.power_state, PowerState.RUNNING)
    await assert.rejects(
      bus.call(
        { topic: 'compute', server: 'h-1' },
        'unpause_instance',
        { instance_uuid: i.uuid },
        { namespace: 'compute' },
      ),
      (e) => e instanceof RemoteError && e.remoteCode === 'compute.instance.invalid_power_state',
    )
    // aborting a live migration of a guest that is not migrating is refused
    await assert.rejects(
      bus.call(
        { topic: 'compute', server: 'h-1' },
        'live_migration_abort',
        { instance_uuid: i.uuid },
        { namespace: 'compute' },
      ),
      (e) => e instanceof RemoteError && e.remoteCode === 'compute.instance.invalid_power_state',
    )
    const state = await rpc.getInstanceState('h-1', { instance_uuid: i.uuid })
    assert.equal(state.vm_state, 'active')
  })

  it('terminate destroys the guest and drops its allocations in placement', async () => {
    const i = instance()
    await rpc.buildAndRunInstance('h-2', { instance: i }, { wait: true })
    const claim = await w.placement('PUT', `/allocations/${i.uuid}`, {
      allocations: { [providerUuid('h-2')]: { resources: { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 20 } } },
      project_id: 'p1',
      user_id: 'u1',
      consumer_generation: null,
      consumer_type: 'INSTANCE',
    })
    assert.equal(claim.status, 204)
    const gone = (await rpc.terminateInstance(
      'h-2',
      { instance_uuid: i.uuid },
      { wait: true },
    )) as InstanceStateReport
    assert.equal(gone.vm_state, 'deleted')
    assert.ok(gone.terminated_at)
    assert.ok(!w.driver('h-2').listInstances().includes(i.uuid))
    const allocations = await w.placement('GET', `/allocations/${i.uuid}`)
    assert.deepEqual(allocations.body.allocations, {})
  })

  it('each resource update samples utilisation: kept for get_host_utilisation and published as compute.metrics.update', async () => {
    await w.agent('h-1').updateResources()
    const reply = await rpc.getHostUtilisation('h-1')
    assert.ok(reply.samples.length >= 2, 'the first update and this one')
    const last = reply.samples.at(-1)!
    assert.ok(last.cpu_percent > 0 && last.cpu_percent <= 1)
    assert.equal(last.memory_total_mb, 131072)
    await until('a compute.metrics.update from h-1', () =>
      metrics.some((m) => (m.payload.data as { host: string }).host === 'h-1'),
    )
    const m = metrics.find((x) => (x.payload.data as { host: string }).host === 'h-1')!
    assert.equal(m.publisherId, 'nova-compute:h-1')
    const names = (m.payload.data as { metrics: { name: string }[] }).metrics.map((x) => x.name)
    assert.ok(names.includes('cpu.percent'))
  })

  it('a host that goes down stops heartbeating (down within service_down_time) and serving; it comes back', async () => {
    const isUp = async (host: string) =>
      w.registry.isUp((await w.registry.find(host, 'nova-compute'))!, 2 /* service_down_time */)
    await until('h-2 up', () => isUp('h-2'))
    w.driver('h-2').setDown(true)
    const downAt = Date.now()
    await until('h-2 down in the registry', async () => !(await isUp('h-2')), 5000)
    // Down after at most service_down_time (2 s) plus one report interval (1 s, + jitter).
    assert.ok(Date.now() - downAt < 3600, `down after ${Date.now() - downAt} ms`)
    assert.ok(await isUp('h-1'), 'the other host still heartbeats')
    assert.equal(w.agent('h-2').isUp, false)
    await assert.rejects(
      rpc.getInstanceState('h-2', { instance_uuid: randomUUID() }, { timeout: 0.3 }),
      MessagingTimeout,
      'nobody serves compute.h-2',
    )
    w.driver('h-2').setDown(false)
    await until('h-2 back', () => isUp('h-2'), 4000)
    const reply = await rpc.getHostUtilisation('h-2', { window_seconds: 60 })
    assert.equal(reply.host, 'h-2')
  })
})
