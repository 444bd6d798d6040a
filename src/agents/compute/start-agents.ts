/**
 * Starts the compute agents of one process: one per host name, each with its driver,
 * sharing the process's bus, placement client, registry and task group. Each agent is
 * registered and serving when this resolves; its provider tree follows in the
 * background (`ready()`), since placement may not answer before the process is up. The compute
 * module's `agent` role calls this with `[fake_driver] hosts` names under `cloudlet up`,
 * and with `--hosts N` names under `cloudlet compute --driver fake`.
 *
 *   const agents = await startComputeAgents({
 *     bus: ctx.bus!, placement: () => ctx.client('placement', '1.39'), registry: ctx.registry,
 *     tasks: ctx.tasks, logger: ctx.logger, config: ctx.config,
 *     hostNames: fakeHostNames(ctx.config.fake_driver, ctx.hostName),
 *   })
 *   ...
 *   await agents.stop()     // in the module's close()
 */
import type { Logger } from 'pino'
import type { Bus } from '../../kernel/bus/index.js'
import type { ServiceClient, TaskGroup } from '../../kernel/host/index.js'
import type { ServiceRegistry } from '../../kernel/registry/index.js'
import { ComputeAgent } from './agent.js'
import type { ComputeAgentConfig } from './config.js'
import type { ComputeDriver } from './drivers/driver.js'
import { createDrivers } from './drivers/index.js'
import { PlacementClient } from './placement-client.js'
import type { VifEventSink } from './vif-events.js'

export interface ComputeAgentsDeps {
  bus: Bus
  /** A client for placement (e.g. `() => ctx.client('placement', '1.39')`). */
  placement: () => ServiceClient | PlacementClient
  registry?: ServiceRegistry
  tasks: TaskGroup
  logger: Logger
  config: Pick<ComputeAgentConfig, 'DEFAULT' | 'fake_driver'>
  /** One agent per name; see `fakeHostNames`. */
  hostNames: readonly string[]
  /** Drivers for the names; @default from `[DEFAULT] compute_driver` */
  drivers?: (hostNames: readonly string[]) => ComputeDriver[]
  /** Agents starting at once (each registers and writes its tree). @default 16 */
  concurrency?: number
  /** Where agents report plugged VIFs (see vif-events.ts). */
  vifEvents?: VifEventSink
}

export interface ComputeAgents {
  readonly agents: readonly ComputeAgent[]
  get(host: string): ComputeAgent | undefined
  /** Resolves once every agent that is up has its provider tree in placement. */
  ready(): Promise<void>
  /** Stops every agent's RPC server; periodic jobs end with the task group. */
  stop(deadlineMs?: number): Promise<void>
}

export async function startComputeAgents(deps: ComputeAgentsDeps): Promise<ComputeAgents> {
  const names = [...new Set(deps.hostNames)]
  if (names.length !== deps.hostNames.length) throw new Error('compute agent host names must be unique')
  const drivers = deps.drivers ? deps.drivers(names) : createDrivers(deps.config, names)
  const agents = drivers.map((driver) => {
    const client = deps.placement()
    return new ComputeAgent({
      driver,
      bus: deps.bus,
      placement: client instanceof PlacementClient ? client : new PlacementClient(client),
      ...(deps.registry ? { registry: deps.registry } : {}),
      tasks: deps.tasks,
      logger: deps.logger,
      config: deps.config,
      ...(deps.vifEvents ? { vifEvents: deps.vifEvents } : {}),
    })
  })
  const byHost = new Map(agents.map((a) => [a.host, a]))
  const stop = async (deadlineMs = 2000) => {
    await Promise.all(agents.map((a) => a.stop(deadlineMs)))
  }
  // NOTE: a bounded number at once: a hundred agents writing their trees together would
  // queue on placement's provider locks and on the database for no gain.
  let next = 0
  const worker = async () => {
    while (next < agents.length) await agents[next++]!.start()
  }
  try {
    await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 16, agents.length) }, worker))
  } catch (error) {
    await stop(500).catch(() => {})
    throw error
  }
  deps.logger.info(
    { agents: agents.length, driver: deps.config.DEFAULT.compute_driver },
    'compute agents started',
  )
  return {
    agents,
    get: (host) => byHost.get(host),
    ready: async () => {
      await Promise.all(agents.map((a) => a.ready()))
    },
    stop,
  }
}
