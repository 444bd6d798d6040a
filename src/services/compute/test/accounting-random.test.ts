/**
 * The accounting invariant under random operations: a seeded sequence of a few hundred
 * operations (resize, confirm, revert, cold and live migration, stop/start, pause,
 * shelve/unshelve, rescue, createImage, delete and boot) on three hosts, a fifth of them with a
 * failure injected at a random step of a random host. After each one the conductor
 * settles and placement must match the servers exactly (ops-harness checkAccounting):
 * per-host usage equals the flavors there plus the migrations awaiting confirmation,
 * no consumer without a server or migration, no server without its allocation; no
 * answer is a 5xx and no server is left in a task state.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { MoveStep } from '../../../agents/compute/drivers/fake/fake-driver.js'
import { idle, type OpsCloud, startOpsCloud, waitStatus } from './ops-harness.js'

const S = '/compute/v2.1/servers'
const ADMIN = 'project-admin'
const STEPS = Number(process.env.OPS_RANDOM_STEPS ?? 300)
const SEED = Number(process.env.OPS_RANDOM_SEED ?? 20261207)

/** mulberry32: a small seeded generator, so a failing sequence can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const MOVES: Record<string, (string | null)[]> = {
  ACTIVE: ['resize', 'migrate', 'live', 'stop', 'shelve', 'rescue', 'pause', 'reboot', 'snapshot', 'delete'],
  SHUTOFF: ['start', 'resize', 'migrate', 'shelve', 'snapshot'],
  VERIFY_RESIZE: ['confirm', 'revert'],
  PAUSED: ['unpause', 'live', 'snapshot'],
  RESCUE: ['unrescue'],
  SHELVED_OFFLOADED: ['unshelve'],
  SHELVED: ['unshelve'],
  ERROR: ['delete'],
}

const BODIES: Record<string, (r: () => number, flavor: string) => [unknown, string]> = {
  resize: (_r, flavor) => [{ resize: { flavorRef: flavor === '1' ? '2' : '1' } }, '2.1'],
  migrate: () => [{ migrate: null }, '2.1'],
  live: () => [{ 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25'],
  stop: () => [{ 'os-stop': null }, '2.1'],
  start: () => [{ 'os-start': null }, '2.1'],
  shelve: () => [{ shelve: null }, '2.1'],
  unshelve: () => [{ unshelve: null }, '2.1'],
  rescue: () => [{ rescue: null }, '2.1'],
  unrescue: () => [{ unrescue: null }, '2.1'],
  pause: () => [{ pause: null }, '2.1'],
  unpause: () => [{ unpause: null }, '2.1'],
  reboot: () => [{ reboot: { type: 'HARD' } }, '2.1'],
  confirm: () => [{ confirmResize: null }, '2.1'],
  revert: () => [{ revertResize: null }, '2.1'],
  snapshot: (r) => [{ createImage: { name: `rand-image-${Math.floor(r() * 1e6)}` } }, '2.45'],
}

const STEP_NAMES: MoveStep[] = ['pre-check', 'transfer', 'post', 'rescue', 'snapshot']

describe('placement accounting under random operations and failures', () => {
  let c: OpsCloud
  before(async () => {
    c = await startOpsCloud({ hosts: 3 })
  })
  after(() => c.close())

  it(`holds after each of ${STEPS} operations (seed ${SEED})`, async () => {
    const r = rng(SEED)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
    const servers: string[] = []
    for (let i = 0; i < 8; i++) servers.push(await c.boot(`rand-${i}`, pick(['1', '2'])))
    await c.accounting()
    const counts: Record<string, number> = {}
    let injected = 0
    for (let step = 0; step < STEPS; step++) {
      const id = pick(servers)
      const s = (await c.t.call('GET', `${S}/${id}`, { as: ADMIN, version: 'latest' })).body.server
      const op = pick(MOVES[s.status as string] ?? [null])
      if (!op) continue
      if (r() < 0.2) {
        const where = r() < 0.5 ? (s['OS-EXT-SRV-ATTR:host'] ?? pick(c.hosts)) : pick(c.hosts)
        c.driver(where).failNextStep(pick(STEP_NAMES))
        injected++
      }
      counts[op] = (counts[op] ?? 0) + 1
      if (op === 'delete') {
        const d = await c.t.call('DELETE', `${S}/${id}`, { as: ADMIN })
        assert.equal(d.status, 204, `step ${step}: delete ${JSON.stringify(d.body)}`)
        await waitStatus(c.t, id, ['DELETED'])
        servers.splice(servers.indexOf(id), 1, await c.boot(`rand-b${step}`, pick(['1', '2'])))
      } else {
        const [body, version] = BODIES[op]!(r, s.flavor.original_name === 'm1.tiny' ? '1' : '2')
        const res = await c.t.call('POST', `${S}/${id}/action`, { as: ADMIN, version, body })
        assert.ok(
          res.status < 300,
          `step ${step}: ${op} on ${s.status}: ${res.status} ${JSON.stringify(res.body)}`,
        )
        await waitStatus(c.t, id, Object.keys(MOVES), 20_000)
      }
      await idle(c.compute)
      try {
        await c.accounting()
      } catch (e) {
        throw new Error(`step ${step} (${op} on ${s.status}): ${(e as Error).message}`)
      }
    }
    for (const h of c.hosts) for (const st of STEP_NAMES) c.driver(h).failNextStep(st, 0)
    console.log(`# random operations: ${JSON.stringify(counts)}, failures injected: ${injected}`)
    assert.ok(Object.keys(counts).length >= 10, 'most operations were drawn')
  })
})
