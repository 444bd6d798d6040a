/**
 * A small cloud for the servers tests: placement, image, network (when asked) and
 * compute (all roles) on one test host with fake tokens and the in-process bus, simulated compute hosts, a
 * service token, and a tiny active image. Helpers boot servers and wait for states.
 */

import assert from 'node:assert/strict'
import type { AnyServiceModule } from '../../../kernel/host/index.js'
import { serviceTokenModule, startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { imageModule } from '../../image/module.js'
import { networkModule } from '../../network/module.js'
import { placementModule } from '../../placement/module.js'
import { volumeModule } from '../../volume/module.js'
import { computeModule } from '../module.js'
import { type ComputeInstance, createCompute } from '../service.js'
import { type FakeAgents, type FakeHostSpec, startFakeAgents } from '../testing/fake-agents.js'

export interface CloudOptions {
  hosts?: FakeHostSpec[]
  /**
   * Run the real compute agents (src/agents/compute, fake driver) on this many hosts
   * instead of the two-message stand-ins: server actions, console output, diagnostics.
   * `agents` is then not set.
   */
  realAgents?: number
  spawnMs?: number
  /** Run the network service too (servers get ports). */
  network?: boolean
  config?: Record<string, Record<string, string | number | boolean>>
  /** Also run the block storage service (attachments, boot from volume). */
  volume?: boolean
}

export interface TestCloud {
  t: TestHost
  compute: ComputeInstance
  agents: FakeAgents
  imageId: string
  close(): Promise<void>
}

export async function startServersCloud(o: CloudOptions = {}): Promise<TestCloud> {
  let agents: FakeAgents | undefined
  const compute: AnyServiceModule = o.realAgents
    ? computeModule
    : {
        ...computeModule,
        create: (ctx) =>
          createCompute(ctx as never, {
            agents: async (c, deps) => {
              agents = await startFakeAgents({
                bus: c.bus!,
                placement: deps.placement,
                registry: deps.registry,
                hosts: o.hosts ?? [{ name: 'cmp-1' }, { name: 'cmp-2' }, { name: 'cmp-3' }],
                ...(o.spawnMs ? { spawnMs: o.spawnMs } : {}),
              })
              return agents
            },
          }),
      }
  const fake: Record<string, Record<string, number>> = o.realAgents
    ? { fake_driver: { hosts: o.realAgents, spawn_time: 0, power_time: 0, reboot_time: 0, destroy_time: 0 } }
    : {}
  const t = await startTestHost({
    modules: [
      serviceTokenModule,
      placementModule,
      imageModule,
      ...(o.volume ? [volumeModule] : []),
      ...(o.network ? [networkModule] : []),
      compute,
    ],
    config: { ...fake, ...(o.config ?? {}) },
  })
  const instance = t.host.modules.find((m) => m.module.name === 'compute')!.instance as ComputeInstance
  await instance.ready
  if (!o.realAgents) assert.ok(agents, 'the agents started')
  const img = await t.call('POST', '/image/v2/images', {
    as: 'project-admin',
    body: { name: 'cirros', disk_format: 'qcow2', container_format: 'bare', visibility: 'public' },
  })
  assert.equal(img.status, 201, JSON.stringify(img.body))
  const up = await t.call('PUT', `/image/v2/images/${img.body.id}/file`, {
    as: 'project-admin',
    body: 'not really a disk',
    headers: { 'content-type': 'application/octet-stream' },
  })
  assert.equal(up.status, 204, JSON.stringify(up.body))
  return { t, compute: instance, agents: agents!, imageId: img.body.id, close: () => t.close() }
}

/** Polls a server until its status is one of `statuses` (or it is gone: 'DELETED'). */
export async function waitFor(
  t: TestHost,
  id: string,
  statuses: readonly string[],
  as = 'project-member',
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const r = await t.call('GET', `/compute/v2.1/servers/${id}`, { as, version: 'latest' })
    if (r.status === 404 && statuses.includes('DELETED')) return { status: 'DELETED' }
    if (r.status === 200 && statuses.includes(r.body.server.status)) return r.body.server
    if (Date.now() > until) throw new Error(`server ${id} stayed ${r.body?.server?.status ?? r.status}`)
    await new Promise((res) => setTimeout(res, 20))
  }
}

/**
 * Polls many servers with one list request per round until each has one of `statuses`
 * ('DELETED': gone from the list), and answers them in the order of `ids`.
 *
 * NOTE: a poller per server (a hundred GETs every 20 ms) loads the cloud under test
 * more than the work it waits for; on a loaded machine the builds then starve.
 */
export async function waitForAll(
  t: TestHost,
  ids: readonly string[],
  statuses: readonly string[],
  as = 'project-member',
  timeoutMs = 120_000,
): Promise<Record<string, unknown>[]> {
  const until = Date.now() + timeoutMs
  const done = new Map<string, Record<string, unknown>>()
  for (;;) {
    const r = await t.call('GET', '/compute/v2.1/servers/detail', { as, version: 'latest' })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const listed = new Map<string, Record<string, unknown>>(
      (r.body.servers as Record<string, unknown>[]).map((s) => [String(s.id), s]),
    )
    for (const id of ids) {
      const s = listed.get(id)
      if (!s && statuses.includes('DELETED')) done.set(id, { id, status: 'DELETED' })
      else if (s && statuses.includes(String(s.status))) done.set(id, s)
    }
    if (done.size === ids.length) return ids.map((id) => done.get(id)!)
    if (Date.now() > until) {
      const left = ids.filter((id) => !done.has(id))
      throw new Error(
        `${left.length} servers did not reach ${statuses.join('/')}: ${left
          .slice(0, 5)
          .map((id) => `${id} ${String(listed.get(id)?.status ?? 'missing')}`)
          .join(', ')}`,
      )
    }
    await new Promise((res) => setTimeout(res, 100))
  }
}

/** Waits until the conductor has nothing in flight. */
export async function settle(compute: ComputeInstance, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs
  await new Promise((r) => setTimeout(r, 50))
  while (compute.conductor?.busy) {
    if (Date.now() > until) throw new Error('the conductor did not settle')
    await new Promise((r) => setTimeout(r, 20))
  }
}
