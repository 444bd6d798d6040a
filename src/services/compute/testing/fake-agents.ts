/**
 * Simulated compute hosts for tests and for `cloudlet up` until the compute agents
 * (src/agents/compute, `startComputeAgents`) take the agent role: each host records
 * itself as a `nova-compute` service, keeps a compute node provider in placement with
 * VCPU, MEMORY_MB and DISK_GB, and answers the agent's two build messages on topic
 * `compute`, server `<host>` (build_and_run_instance, terminate_instance) with the
 * agent contract's shapes. Spawns can be made to fail per host.
 */
import type { MessageBus, RpcServer } from '../../../kernel/bus/index.js'
import type { ServiceClient } from '../../../kernel/host/index.js'
import type { ServiceRegistry } from '../../../kernel/registry/index.js'
import type { BuildAndRunInstanceArgs, InstanceStateReport, TerminateInstanceArgs } from '../rpc.js'
import { COMPUTE_NAMESPACE, COMPUTE_RPC_VERSION, COMPUTE_TOPIC } from '../rpc.js'

export interface FakeHostSpec {
  name: string
  /** @default 32 */
  vcpus?: number
  /** @default 131072 */
  memoryMb?: number
  /** @default 2048 */
  diskGb?: number
  /** VCPU allocation ratio. @default 16 */
  cpuRatio?: number
  /** MEMORY_MB allocation ratio. @default 1.5 */
  ramRatio?: number
  /** Every spawn on this host fails. */
  failSpawn?: boolean
}

export interface FakeAgentsOptions {
  bus: MessageBus
  placement: ServiceClient
  registry: ServiceRegistry
  hosts: readonly FakeHostSpec[]
  /** @default 0 */
  spawnMs?: number
  /** Heartbeat period. @default 10 s */
  reportIntervalMs?: number
}

export interface FakeAgents {
  /** The guests each host runs. */
  guests: Map<string, Set<string>>
  /** Makes spawns on a host fail (or work again). */
  setFailing(host: string, failing: boolean): void
  close(): Promise<void>
}

const PLACEMENT = '1.39'

/** Starts the hosts: providers in placement, services in the registry, RPC servers. */
export async function startFakeAgents(o: FakeAgentsOptions): Promise<FakeAgents> {
  const placement = o.placement.at(PLACEMENT)
  const guests = new Map<string, Set<string>>()
  const failing = new Set(o.hosts.filter((h) => h.failSpawn).map((h) => h.name))
  const servers: RpcServer[] = []
  const timers: NodeJS.Timeout[] = []
  for (const h of o.hosts) {
    guests.set(h.name, new Set())
    await ensureProvider(placement, h)
    const record = await o.registry.register({ host: h.name, binary: 'nova-compute', topic: COMPUTE_TOPIC })
    const beat = setInterval(
      () => void o.registry.heartbeat(record.id).catch(() => {}),
      o.reportIntervalMs ?? 10_000,
    )
    beat.unref()
    timers.push(beat)
    const mine = guests.get(h.name)!
    servers.push(
      await o.bus.serve({ topic: COMPUTE_TOPIC, server: h.name }, [
        {
          namespace: COMPUTE_NAMESPACE,
          version: COMPUTE_RPC_VERSION,
          methods: {
            build_and_run_instance: async (args: BuildAndRunInstanceArgs): Promise<InstanceStateReport> => {
              if (o.spawnMs) await new Promise((r) => setTimeout(r, o.spawnMs))
              if (failing.has(h.name))
                throw new Error(
                  `Build of instance ${args.instance.uuid} was re-scheduled: spawn failed on ${h.name}`,
                )
              mine.add(args.instance.uuid)
              return {
                instance_uuid: args.instance.uuid,
                host: h.name,
                node: h.name,
                vm_state: 'active',
                task_state: null,
                power_state: 1,
                launched_at: new Date().toISOString(),
              }
            },
            terminate_instance: async (args: TerminateInstanceArgs) => {
              mine.delete(args.instance_uuid)
              if (args.delete_allocations ?? true)
                await placement.request(
                  { method: 'DELETE', path: `/allocations/${args.instance_uuid}` },
                  { accept: [404] },
                )
              return {
                instance_uuid: args.instance_uuid,
                host: h.name,
                node: h.name,
                vm_state: 'deleted',
                task_state: null,
                power_state: 0,
              }
            },
          },
        },
      ]),
    )
  }
  return {
    guests,
    setFailing(host, f) {
      if (f) failing.add(host)
      else failing.delete(host)
    },
    async close() {
      for (const t of timers) clearInterval(t)
      await Promise.all(servers.map((s) => s.stop(1000)))
    },
  }
}

async function ensureProvider(placement: ServiceClient, h: FakeHostSpec): Promise<void> {
  const found = await placement.get<{ resource_providers: { uuid: string; generation: number }[] }>(
    `/resource_providers?name=${encodeURIComponent(h.name)}`,
  )
  let rp = found.resource_providers[0]
  if (!rp)
    rp = await placement.post<{ uuid: string; generation: number }>('/resource_providers', { name: h.name })
  const inv = (total: number, ratio: number, reserved = 0) => ({
    total,
    reserved,
    min_unit: 1,
    max_unit: total,
    step_size: 1,
    allocation_ratio: ratio,
  })
  await placement.put(`/resource_providers/${rp.uuid}/inventories`, {
    resource_provider_generation: rp.generation,
    inventories: {
      VCPU: inv(h.vcpus ?? 32, h.cpuRatio ?? 16),
      MEMORY_MB: inv(h.memoryMb ?? 131072, h.ramRatio ?? 1.5),
      DISK_GB: inv(h.diskGb ?? 2048, 1),
    },
  })
}
