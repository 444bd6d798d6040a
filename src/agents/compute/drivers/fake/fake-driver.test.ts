/**
 * The fake driver's semantics, as the table in fake-driver.ts states them: every
 * operation from every power state, injected failures, devices and SEV slots, timings,
 * utilisation, and the `[fake_driver]` parsing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConfig } from '../../../../kernel/config/index.js'
import {
  HostResourcesExhausted,
  HypervisorUnavailable,
  InstanceExists,
  InstanceNotFound,
  InstancePowerStateInvalid,
  MigrationAborted,
} from '../../errors.js'
import { type ComputeDriver, capabilityTraits, type InstanceSpec, PowerState } from '../driver.js'
import { fakeDriverConfig, fakeHostNames, hostSpecs, parsePciDevices, parseShape } from './fake-config.js'
import { FakeDriver } from './fake-driver.js'
import { simulatedCpu } from './utilisation.js'

const { RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED } = PowerState

function config(settings: Record<string, string> = {}) {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(settings)) env[`OS_FAKE_DRIVER__${k.toUpperCase()}`] = v
  return loadConfig(fakeDriverConfig, { env }).fake_driver
}

/** A second host h2 whose operations take no time but a migration's transfer (50 ms). */
function second(): FakeDriver {
  const cfg = config({ spawn_time: '0', power_time: '0', reboot_time: '0', destroy_time: '0' })
  return new FakeDriver(hostSpecs(cfg, ['h2'])[0]!)
}

/** A driver whose operations take no time. */
function driver(settings: Record<string, string> = {}, now?: () => number): FakeDriver {
  const cfg = config({
    spawn_time: '0',
    power_time: '0',
    reboot_time: '0',
    destroy_time: '0',
    snapshot_time: '0',
    ...settings,
  })
  return new FakeDriver(hostSpecs(cfg, ['h1'])[0]!, now ? { now } : {})
}

const guest = (uuid = 'g1', extra: Partial<InstanceSpec> = {}): InstanceSpec => ({
  uuid,
  vcpus: 2,
  memoryMb: 2048,
  diskGb: 20,
  ...extra,
})

/** Brings a fresh guest into `state`. */
async function guestIn(d: FakeDriver, state: PowerState, uuid = 'g1'): Promise<void> {
  await d.spawn(guest(uuid))
  if (state === PAUSED) await d.pause(uuid)
  if (state === SUSPENDED) await d.suspend(uuid)
  if (state === SHUTDOWN) await d.powerOff(uuid)
  if (state === CRASHED) d.crash(uuid)
  assert.equal(d.getInfo(uuid).powerState, state)
}

type Op = (d: ComputeDriver, uuid: string) => Promise<unknown>
const OPS: Record<string, Op> = {
  power_off: (d, u) => d.powerOff(u),
  power_on: (d, u) => d.powerOn(u),
  'reboot SOFT': (d, u) => d.reboot(u, 'SOFT'),
  'reboot HARD': (d, u) => d.reboot(u, 'HARD'),
  pause: (d, u) => d.pause(u),
  unpause: (d, u) => d.unpause(u),
  suspend: (d, u) => d.suspend(u),
  resume: (d, u) => d.resume(u),
}

// [operation, from, expected power state after, or 'invalid']
const TABLE: Array<[string, PowerState, PowerState | 'invalid']> = [
  ['power_off', RUNNING, SHUTDOWN],
  ['power_off', PAUSED, SHUTDOWN],
  ['power_off', SUSPENDED, SHUTDOWN],
  ['power_off', CRASHED, SHUTDOWN],
  ['power_off', SHUTDOWN, SHUTDOWN],
  ['power_on', SHUTDOWN, RUNNING],
  ['power_on', CRASHED, RUNNING],
  ['power_on', RUNNING, RUNNING],
  ['power_on', PAUSED, 'invalid'],
  ['power_on', SUSPENDED, 'invalid'],
  ['reboot SOFT', RUNNING, RUNNING],
  ['reboot SOFT', SHUTDOWN, 'invalid'],
  ['reboot SOFT', PAUSED, 'invalid'],
  ['reboot HARD', RUNNING, RUNNING],
  ['reboot HARD', SHUTDOWN, RUNNING],
  ['reboot HARD', CRASHED, RUNNING],
  ['reboot HARD', PAUSED, RUNNING],
  ['reboot HARD', SUSPENDED, RUNNING],
  ['pause', RUNNING, PAUSED],
  ['pause', PAUSED, 'invalid'],
  ['pause', SHUTDOWN, 'invalid'],
  ['unpause', PAUSED, RUNNING],
  ['unpause', RUNNING, 'invalid'],
  ['suspend', RUNNING, SUSPENDED],
  ['suspend', PAUSED, SUSPENDED],
  ['suspend', SHUTDOWN, 'invalid'],
  ['resume', SUSPENDED, RUNNING],
  ['resume', RUNNING, 'invalid'],
  ['resume', SHUTDOWN, 'invalid'],
]

const NAME: Record<number, string> = {
  1: 'RUNNING',
  3: 'PAUSED',
  4: 'SHUTDOWN',
  6: 'CRASHED',
  7: 'SUSPENDED',
}

describe('fake driver: power state transitions', () => {
  for (const [op, from, to] of TABLE) {
    it(`${op} from ${NAME[from]} → ${to === 'invalid' ? 'refused' : NAME[to]}`, async () => {
      const d = driver()
      await guestIn(d, from)
      if (to === 'invalid') {
        await assert.rejects(OPS[op]!(d, 'g1'), InstancePowerStateInvalid)
        assert.equal(d.getInfo('g1').powerState, from, 'a refused operation changes nothing')
      } else {
        const info = (await OPS[op]!(d, 'g1')) as { powerState: PowerState }
        assert.equal(info.powerState, to)
        assert.equal(d.getInfo('g1').powerState, to)
      }
    })
  }

  it('upstream numbers the power states 0, 1, 3, 4, 6, 7', () => {
    assert.deepEqual(PowerState, { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 })
  })

  it('every operation on an unknown guest is InstanceNotFound; destroy of one is not an error', async () => {
    const d = driver()
    for (const op of Object.values(OPS)) await assert.rejects(op(d, 'nope'), InstanceNotFound)
    await assert.rejects(d.snapshot('nope'), InstanceNotFound)
    assert.throws(() => d.getInfo('nope'), InstanceNotFound)
    await d.destroy('nope')
  })

  it('spawn runs the guest, a second spawn of its uuid is refused, destroy removes it', async () => {
    const d = driver()
    const info = await d.spawn(guest('g1', { name: 'web' }))
    assert.equal(info.powerState, RUNNING)
    assert.ok(info.startedAt)
    await assert.rejects(d.spawn(guest('g1')), InstanceExists)
    assert.deepEqual(d.listInstances(), ['g1'])
    assert.match(await d.consoleOutput('g1'), /booting web/)
    await d.destroy('g1')
    assert.deepEqual(d.listInstances(), [])
  })

  it('snapshots give raw image bytes naming the guest and the host', async () => {
    const d = driver()
    await d.spawn(guest())
    const snap = await d.snapshot('g1')
    assert.equal(snap.diskFormat, 'raw')
    assert.equal(snap.data.byteLength, 512 * 20)
    assert.match(new TextDecoder().decode(snap.data.subarray(0, 64)), /CLOUDLET FAKE DISK g1 h1/)
  })

  it('a cold move: transfer powers off here, finish defines it there; a revert powers it on again', async () => {
    const src = driver()
    const dst = second()
    await src.spawn(guest())
    await dst.checkCanReceive(guest(), 'resize')
    await src.migrateDiskAndPowerOff('g1', 'h2')
    assert.equal(src.getInfo('g1').powerState, PowerState.SHUTDOWN)
    const moved = await dst.finishMigration({ ...guest(), vcpus: 4 }, true)
    assert.equal(moved.powerState, PowerState.RUNNING)
    assert.equal(moved.vcpus, 4)
    const back = await src.finishRevertMigration(guest(), true)
    assert.equal(back.powerState, PowerState.RUNNING)
  })

  it('each step of a move fails once when told to, and a live migration can be aborted', async () => {
    const src = driver()
    const dst = second()
    await src.spawn(guest())
    dst.failNextStep('pre-check')
    await assert.rejects(dst.checkCanReceive(guest(), 'live'), /injected pre-check failure/)
    await dst.checkCanReceive(guest(), 'live')
    src.failNextStep('transfer', 1, 'link down')
    await dst.preLiveMigration(guest())
    await assert.rejects(src.liveMigrate('g1', 'h2'), /link down/)
    assert.equal(src.getInfo('g1').powerState, PowerState.RUNNING)
    const running = src.liveMigrate('g1', 'h2')
    await src.abortLiveMigration('g1')
    await assert.rejects(running, MigrationAborted)
    await src.liveMigrate('g1', 'h2')
    assert.deepEqual(src.listInstances(), [])
    const info = await dst.postLiveMigrationAtDestination('g1', PowerState.RUNNING)
    assert.equal(info.powerState, PowerState.RUNNING)
  })
})

describe('fake driver: injected failures and timings', () => {
  it('failNextSpawns fails that many spawns and leaves no guest', async () => {
    const d = driver()
    d.failNextSpawns(2, 'disk image corrupt')
    await assert.rejects(d.spawn(guest('a')), /disk image corrupt/)
    await assert.rejects(d.spawn(guest('b')), /disk image corrupt/)
    assert.deepEqual(d.listInstances(), [])
    assert.equal((await d.spawn(guest('c'))).powerState, RUNNING)
  })

  it('a host in fail_spawn_hosts fails every spawn; a failure rate fails that fraction', async () => {
    const always = driver({ fail_spawn_hosts: 'h1' })
    for (let i = 0; i < 5; i++) await assert.rejects(always.spawn(guest(`g${i}`)))
    const cfg = config({ spawn_time: '0', spawn_failure_rate: '0.5' })
    let n = 0
    const seq = [0.1, 0.9, 0.2, 0.8] // below 0.5 fails
    const half = new FakeDriver(hostSpecs(cfg, ['h1'])[0]!, { random: () => seq[n++ % seq.length]! })
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => half.spawn(guest(`g${i}`))))
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
    )
  })

  it('a host that is down answers nothing until it is back', async () => {
    const d = driver()
    await d.spawn(guest())
    d.setDown(true)
    assert.equal(d.alive(), false)
    assert.throws(() => d.resources(), HypervisorUnavailable)
    await assert.rejects(d.powerOff('g1'), HypervisorUnavailable)
    await assert.rejects(d.spawn(guest('g2')), HypervisorUnavailable)
    d.setDown(false)
    assert.equal(d.getInfo('g1').powerState, RUNNING, 'guests survive the outage')
    const starts = driver({ down_hosts: 'h1' })
    assert.equal(starts.alive(), false)
  })

  it('spawn takes spawn_time, ten times that on a slow host', async () => {
    const fast = driver({ spawn_time: '0.03', timing_jitter: '0' })
    const slow = driver({ spawn_time: '0.03', timing_jitter: '0', slow_hosts: 'h1', slow_factor: '5' })
    const t0 = performance.now()
    await fast.spawn(guest())
    const t1 = performance.now()
    await slow.spawn(guest())
    const t2 = performance.now()
    // NOTE: lower bounds only: timers never fire early, but a loaded machine may be late.
    assert.ok(t1 - t0 >= 28, `fast spawn took ${t1 - t0} ms`)
    assert.ok(t2 - t1 >= 148, `slow spawn took ${t2 - t1} ms`)
  })

  it('SEV guests take key slots; PCI devices go to one guest at a time', async () => {
    const d = driver({ sev_key_slots: '1', pci_devices: '10de:1eb8:type-PCI:1' })
    await d.spawn(guest('s1', { memEncryption: true }))
    await assert.rejects(d.spawn(guest('s2', { memEncryption: true })), HostResourcesExhausted)
    await d.spawn(guest('p1', { pciDevices: ['0000:81:00.0'] }))
    await assert.rejects(d.spawn(guest('p2', { pciDevices: ['0000:81:00.0'] })), HostResourcesExhausted)
    await assert.rejects(d.spawn(guest('p3', { pciDevices: ['0000:99:00.0'] })), HostResourcesExhausted)
    await d.destroy('s1')
    await d.spawn(guest('s3', { memEncryption: true }))
  })
})

describe('fake driver: resources, capabilities, load', () => {
  it('reports its shape and capability traits', () => {
    const d = driver({ vcpus: '8', memory_mb: '16384', disk_gb: '100', cpu_model: 'EPYC-Rome' })
    const r = d.resources()
    assert.deepEqual(
      {
        vcpus: r.vcpus,
        memoryMb: r.memoryMb,
        diskGb: r.diskGb,
        cpuModel: r.cpuModel,
        type: r.hypervisorType,
      },
      { vcpus: 8, memoryMb: 16384, diskGb: 100, cpuModel: 'EPYC-Rome', type: 'fake' },
    )
    const traits = capabilityTraits(d.capabilities)
    assert.ok(traits.includes('COMPUTE_VOLUME_MULTI_ATTACH'))
    assert.ok(traits.includes('COMPUTE_IMAGE_TYPE_QCOW2'))
    assert.ok(!traits.includes('COMPUTE_IMAGE_TYPE_VHD'))
    assert.ok(!traits.includes('COMPUTE_ACCELERATORS'))
  })

  it('CPU use follows the running guests; a busy host stays busy', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z')
    const d = driver({ vcpus: '8', cpu_daily_swing: '0', cpu_idle: '0.05', guest_cpu_load: '0.5' }, () => now)
    const idle = d.utilisation().cpuPercent
    assert.ok(Math.abs(idle - 0.05) <= 0.011, `idle ${idle}`)
    await d.spawn({ ...guest('a'), vcpus: 8 })
    const loaded = d.utilisation()
    assert.ok(Math.abs(loaded.cpuPercent - 0.55) <= 0.011, `loaded ${loaded.cpuPercent}`)
    assert.equal(loaded.memoryUsedMb, 2048)
    assert.equal(loaded.running, 1)
    await d.suspend('a')
    assert.equal(d.utilisation().memoryUsedMb, 0, 'a suspended guest holds no memory')
    d.setBusy(0.9)
    assert.ok(d.utilisation().cpuPercent >= 0.89)
    now += 60_000
    assert.ok(d.utilisation().cpuPercent <= 0.91)
  })

  it('the daily cycle moves CPU use over a day, the same at the same minute', () => {
    const model = { idle: 0.3, perGuestVcpu: 0.5, dailySwing: 0.2 }
    const t = Date.parse('2025-01-01T00:00:00Z')
    const day = Array.from({ length: 24 }, (_, h) => simulatedCpu(model, 'h1', 8, 0, t + h * 3_600_000))
    assert.ok(Math.max(...day) - Math.min(...day) > 0.3, `swing ${Math.max(...day) - Math.min(...day)}`)
    assert.equal(simulatedCpu(model, 'h1', 8, 0, t + 5_000), simulatedCpu(model, 'h1', 8, 0, t + 50_000))
    assert.notEqual(simulatedCpu(model, 'h1', 8, 0, t), simulatedCpu(model, 'h2', 8, 0, t))
  })
})

describe('[fake_driver]', () => {
  it('names hosts from the format and gives shapes in turn', () => {
    const cfg = config({
      hosts: '3',
      shapes:
        'vcpus=8 memory_mb=8192, vcpus=64 cpu_model=EPYC-Milan sev_key_slots=15 pci=8086:154c:type-VF:4',
    })
    const names = fakeHostNames(cfg, 'box')
    assert.deepEqual(names, ['box-fake-1', 'box-fake-2', 'box-fake-3'])
    const specs = hostSpecs(cfg, names)
    assert.deepEqual(
      specs.map((s) => [s.vcpus, s.memoryMb, s.cpuModel, s.sevKeySlots, s.pciDevices.length]),
      [
        [8, 8192, 'Skylake-Server', 0, 0],
        [64, 131072, 'EPYC-Milan', 15, 4],
        [8, 8192, 'Skylake-Server', 0, 0],
      ],
    )
  })

  it('parses PCI devices: VFs under a PF of their own', () => {
    const devices = parsePciDevices(['8086:1572:type-PF:2', '8086:154c:type-VF:2'])
    assert.deepEqual(
      devices.map((d) => [d.address, d.type, d.parentAddress]),
      [
        ['0000:81:00.0', 'type-PF', undefined],
        ['0000:81:00.1', 'type-PF', undefined],
        ['0000:83:00.0', 'type-VF', '0000:82:00.0'],
        ['0000:83:00.1', 'type-VF', '0000:82:00.0'],
      ],
    )
    assert.throws(() => parsePciDevices(['xyz:1:type-PCI']), /vendor:product/)
    assert.throws(() => parsePciDevices(['8086:1572:type-XX']), /type-PCI, type-PF or type-VF/)
    assert.throws(() => parseShape('cores=4'), /unknown key "cores"/)
  })
})
