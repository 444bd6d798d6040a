/**
 * Test support: compute agents on a real kernel host beside a real placement, as the
 * compute module's agent role will run them. A small module stands in for compute (its
 * config is the agents' sections, it uses the bus and has a service registry), another
 * gives the service token (a project admin of the fake tokens). Only tests import it.
 *
 *   const w = await startAgentWorld({ hosts: 2, config: { fake_driver: { sev_key_slots: 4 } } })
 *   w.agent('h-1').driver …; await w.call('GET', '/placement/resource_providers')
 */

import type { AnyServiceModule } from '../../kernel/host/index.js'
import type { ServiceRegistry } from '../../kernel/registry/index.js'
import { serviceTokenModule, startTestHost, type TestHost } from '../../kernel/testing/index.js'
import { placementModule } from '../../services/placement/module.js'
import type { ComputeAgent } from './agent.js'
import { computeAgentConfig } from './config.js'
import type { FakeDriver } from './drivers/fake/fake-driver.js'
import { type ComputeAgents, startComputeAgents } from './start-agents.js'

export interface AgentWorld {
  t: TestHost
  agents: ComputeAgents
  registry: ServiceRegistry
  /** The agent of a host, by its name. */
  agent(host: string): ComputeAgent
  /** The fake driver of a host. */
  driver(host: string): FakeDriver
  /** A placement call as the admin, at 1.39. */
  placement(method: string, path: string, body?: unknown): ReturnType<TestHost['call']>
  /** From startComputeAgents to every tree in placement, and the process's RSS around it. */
  figures: { startMs: number; readyMs: number; rssBefore: number; rssAfter: number; heapAfter: number }
  close(): Promise<void>
}

export interface AgentWorldOptions {
  /** @default 2 */
  hosts?: number
  /** Sections as an INI file would give them. */
  config?: Record<string, Record<string, string | number | boolean>>
}

export async function startAgentWorld(options: AgentWorldOptions = {}): Promise<AgentWorld> {
  let rssBefore = 0
  let t0 = 0
  let startMs = 0
  let started: { agents: ComputeAgents; registry: ServiceRegistry } | undefined
  const agentModule: AnyServiceModule = {
    name: 'agents',
    serviceType: 'test-compute-agents',
    prefix: '/test-compute-agents',
    configSchema: computeAgentConfig,
    migrations: [],
    roles: ['agent'],
    needs: ['serviceToken'],
    usesBus: true,
    // NOTE: no worker entries: each agent records its own host, not the process's.
    workers: {},
    create: async (ctx) => {
      globalThis.gc?.()
      rssBefore = process.memoryUsage().rss
      t0 = performance.now()
      const config = ctx.config as Parameters<typeof startComputeAgents>[0]['config']
      const agents = await startComputeAgents({
        bus: ctx.bus!,
        placement: () => ctx.client('placement'),
        registry: ctx.registry!,
        tasks: ctx.tasks,
        logger: ctx.logger,
        config,
        hostNames: Array.from({ length: options.hosts ?? 2 }, (_, i) => `h-${i + 1}`),
      })
      startMs = performance.now() - t0
      started = { agents, registry: ctx.registry! }
      return { close: () => agents.stop() }
    },
  }
  const fastTimings = { spawn_time: 0, power_time: 0, reboot_time: 0, destroy_time: 0, snapshot_time: 0 }
  const config = options.config ?? {}
  const t = await startTestHost({
    modules: [placementModule, serviceTokenModule, agentModule],
    config: { ...config, fake_driver: { ...fastTimings, ...config.fake_driver } },
  })
  const { agents, registry } = started!
  await agents.ready()
  const readyMs = performance.now() - t0
  globalThis.gc?.()
  const mem = process.memoryUsage()
  const agent = (host: string) => {
    const a = agents.get(host)
    if (!a) throw new Error(`no agent for ${host}`)
    return a
  }
  return {
    t,
    agents,
    registry,
    agent,
    driver: (host) => agent(host).driver as FakeDriver,
    figures: { startMs, readyMs, rssBefore, rssAfter: mem.rss, heapAfter: mem.heapUsed },
    placement: (method, path, body) =>
      t.call(method, `/placement${path}`, {
        as: 'project-admin',
        version: '1.39',
        ...(body ? { body } : {}),
      }),
    close: () => t.close(),
  }
}
