/**
 * A cloud for the operation tests: placement, image and compute (all roles) with the
 * real compute agents (fake driver) on `hosts` simulated hosts named cmp-1..N, their
 * drivers reachable for failure injection, and `accounting()`: the placement invariant
 * the operations promise (see checkAccounting).
 */

import assert from 'node:assert/strict'
import { fakeHostNames } from '../../../agents/compute/drivers/fake/fake-config.js'
import type { FakeDriver } from '../../../agents/compute/drivers/fake/fake-driver.js'
import { type ComputeAgents, startComputeAgents } from '../../../agents/compute/start-agents.js'
import type { AnyServiceModule } from '../../../kernel/host/index.js'
import { serviceTokenModule, startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { imageModule } from '../../image/module.js'
import { placementModule } from '../../placement/module.js'
import type { InstanceFlavor } from '../domain/servers.js'
import { computeModule } from '../module.js'
import { type ComputeInstance, createCompute } from '../service.js'
import type { ComputeDatabase } from '../storage/schema.js'

export interface OpsCloud {
  t: TestHost
  compute: ComputeInstance
  agents: ComputeAgents
  hosts: string[]
  imageId: string
  driver(host: string): FakeDriver
  /** Boots a server as the member and waits for ACTIVE; its id. */
  boot(name: string, flavorRef?: string, extra?: Record<string, unknown>): Promise<string>
  /** Throws unless placement and the servers agree (checkAccounting). */
  accounting(): Promise<void>
  close(): Promise<void>
}

/** Each cloud's compute database, for idle(). */
const DATABASES = new WeakMap<ComputeInstance, import('kysely').Kysely<ComputeDatabase>>()

export async function startOpsCloud(
  o: { hosts?: number; config?: Record<string, Record<string, string | number | boolean>> } = {},
): Promise<OpsCloud> {
  let agents: ComputeAgents | undefined
  const compute: AnyServiceModule = {
    ...computeModule,
    create: (ctx) =>
      createCompute(ctx as never, {
        agents: async (c, deps) => {
          agents = await startComputeAgents({
            bus: c.bus!,
            placement: () => c.client('placement', '1.39'),
            registry: deps.registry,
            tasks: c.tasks,
            logger: c.logger,
            config: c.config,
            hostNames: fakeHostNames(c.config.fake_driver, c.hostName),
          })
          await agents.ready()
          return { close: () => agents!.stop() }
        },
      }),
  }
  const t = await startTestHost({
    modules: [serviceTokenModule, placementModule, imageModule, compute],
    config: {
      ...(o.config ?? {}),
      fake_driver: {
        hosts: o.hosts ?? 3,
        host_name_format: 'cmp-{n}',
        spawn_time: 0,
        power_time: 0,
        reboot_time: 0,
        destroy_time: 0,
        migrate_time: 0,
        timing_jitter: 0,
        ...(o.config?.fake_driver ?? {}),
      },
    },
  })
  const instance = t.host.modules.find((m) => m.module.name === 'compute')!.instance as ComputeInstance
  await instance.ready
  assert.ok(agents, 'the agents started')
  const img = await t.call('POST', '/image/v2/images', {
    as: 'project-admin',
    body: { name: 'cirros', disk_format: 'qcow2', container_format: 'bare', visibility: 'public' },
  })
  await t.call('PUT', `/image/v2/images/${img.body.id}/file`, {
    as: 'project-admin',
    body: 'not really a disk',
    headers: { 'content-type': 'application/octet-stream' },
  })
  const imageId = img.body.id as string
  const db = t.host.modules.find((m) => m.module.name === 'compute')!
    .db as unknown as import('kysely').Kysely<ComputeDatabase>
  DATABASES.set(instance, db)
  const cloud: OpsCloud = {
    t,
    compute: instance,
    agents,
    hosts: agents.agents.map((a) => a.host),
    imageId,
    driver: (host) => agents!.get(host)!.driver as FakeDriver,
    async boot(name, flavorRef = '1', extra = {}) {
      const r = await t.call('POST', '/compute/v2.1/servers', {
        as: 'project-member',
        version: '2.74',
        body: { server: { name, imageRef: imageId, flavorRef, networks: 'none', ...extra } },
      })
      assert.equal(r.status, 202, JSON.stringify(r.body))
      const id = r.body.server.id as string
      const s = await waitStatus(t, id, ['ACTIVE', 'ERROR'])
      assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault ?? s))
      return id
    },
    accounting: () => checkAccounting(t, db),
    close: () => t.close(),
  }
  return cloud
}

/**
 * The invariant: on every host placement's usage equals the flavors of the servers
 * there plus the old flavors of the resizes and migrations waiting for confirmation
 * (their migration record holds the source); every consumer is a live server or such a
 * migration; every server on a host holds exactly its flavor there.
 */
export async function checkAccounting(
  t: TestHost,
  db: import('kysely').Kysely<ComputeDatabase>,
): Promise<void> {
  const pl = (path: string) => t.call('GET', `/placement${path}`, { as: 'project-admin', version: '1.39' })
  const providers = (await pl('/resource_providers')).body.resource_providers as {
    uuid: string
    name: string
    root_provider_uuid: string
  }[]
  const roots = providers.filter((p) => p.uuid === p.root_provider_uuid)
  const byName = new Map(roots.map((p) => [p.name, p.uuid]))
  const servers = await db.selectFrom('instances').selectAll().where('deleted', '=', 0).execute()
  const migrations = await db
    .selectFrom('migrations')
    .selectAll()
    .where('status', 'in', ['finished'])
    .execute()
  const expected = new Map<string, Record<string, number>>()
  const add = (host: string, f: InstanceFlavor) => {
    const rp = byName.get(host)
    assert.ok(rp, `a provider for ${host}`)
    const e = expected.get(rp) ?? {}
    e.VCPU = (e.VCPU ?? 0) + f.vcpus
    e.MEMORY_MB = (e.MEMORY_MB ?? 0) + f.memory_mb
    e.DISK_GB = (e.DISK_GB ?? 0) + f.root_gb + f.ephemeral_gb + Math.ceil(f.swap / 1024)
    expected.set(rp, e)
  }
  const holders = new Set<string>()
  for (const s of servers) {
    if (!s.host || s.vm_state === 'shelved_offloaded' || s.launched_at === null) continue
    add(s.host, JSON.parse(s.flavor) as InstanceFlavor)
    holders.add(s.uuid)
  }
  for (const m of migrations) {
    add(m.source_compute!, JSON.parse(m.old_flavor) as InstanceFlavor)
    holders.add(m.uuid)
  }
  for (const rp of roots) {
    const usages = (await pl(`/resource_providers/${rp.uuid}/usages`)).body.usages as Record<string, number>
    const want = expected.get(rp.uuid) ?? {}
    const got = Object.fromEntries(Object.entries(usages).filter(([, n]) => n > 0))
    const wantNz = Object.fromEntries(Object.entries(want).filter(([, n]) => n > 0))
    assert.deepEqual(got, wantNz, `usages of ${rp.name}`)
    const allocs = (await pl(`/resource_providers/${rp.uuid}/allocations`)).body.allocations as Record<
      string,
      unknown
    >
    for (const consumer of Object.keys(allocs))
      assert.ok(
        holders.has(consumer),
        `consumer ${consumer} on ${rp.name} is a server or a waiting migration`,
      )
  }
  for (const uuid of holders) {
    const a = (await pl(`/allocations/${uuid}`)).body.allocations as Record<string, unknown>
    assert.equal(Object.keys(a).length, 1, `${uuid} holds one allocation`)
  }
}

export async function waitStatus(
  t: TestHost,
  id: string,
  statuses: readonly string[],
  timeoutMs = 20_000,
): Promise<Record<string, unknown> & { status: string }> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const r = await t.call('GET', `/compute/v2.1/servers/${id}`, { as: 'project-admin', version: 'latest' })
    if (r.status === 404 && statuses.includes('DELETED')) return { status: 'DELETED' }
    if (
      r.status === 200 &&
      statuses.includes(r.body.server.status) &&
      r.body.server['OS-EXT-STS:task_state'] === null
    )
      return r.body.server
    if (Date.now() > until)
      throw new Error(
        `server ${id} stayed ${r.body?.server?.status ?? r.status} (${r.body?.server?.['OS-EXT-STS:task_state']})`,
      )
    await new Promise((res) => setTimeout(res, 10))
  }
}

/**
 * Waits until the conductor has nothing in flight and no confirm is waiting for it (a
 * confirm sets no task state: its migration says `confirming` until it is done).
 */
export async function idle(compute: ComputeInstance, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs
  await new Promise((r) => setTimeout(r, 5))
  const db = DATABASES.get(compute)
  const confirming = async () =>
    db
      ? (await db.selectFrom('migrations').select('id').where('status', '=', 'confirming').execute()).length >
        0
      : false
  while (compute.conductor?.busy || (await confirming())) {
    if (Date.now() > until) throw new Error('the conductor did not settle')
    await new Promise((r) => setTimeout(r, 5))
  }
}
