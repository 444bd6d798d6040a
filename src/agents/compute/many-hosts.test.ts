/**
 * A hundred simulated hosts in one process, as `cloudlet compute --driver fake --hosts 100`
 * runs them: every one registered, serving and with its tree in placement. The start
 * time and the memory they take are printed as test diagnostics (figures, not limits:
 * run with `node --expose-gc --test` for steadier memory figures).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { PowerState } from './drivers/driver.js'
import { ComputeRpcClient } from './rpc.js'
import { type AgentWorld, startAgentWorld } from './testing.js'

// CLOUDLET_TEST_FAKE_HOSTS=N runs the same test with N hosts (figures for another size).
const HOSTS = Number(process.env.CLOUDLET_TEST_FAKE_HOSTS ?? 100)

describe(`${HOSTS} fake hosts in one process`, () => {
  let w: AgentWorld
  before(async () => {
    w = await startAgentWorld({
      hosts: HOSTS,
      config: {
        fake_driver: {
          shapes:
            'vcpus=16 memory_mb=65536, vcpus=64 memory_mb=262144 cpu_model=EPYC-Milan sev_key_slots=15, vcpus=32 pci=10de:1eb8:type-PCI:2',
        },
      },
    })
  })
  after(() => w.close())

  it('starts them all: registered, up, each tree in placement', async (t) => {
    const f = w.figures
    const mib = (n: number) => (n / 1048576).toFixed(1)
    t.diagnostic(
      `${HOSTS} agents: started (registered, serving) in ${f.startMs.toFixed(0)} ms, trees in placement after ${f.readyMs.toFixed(0)} ms; ` +
        `RSS ${mib(f.rssBefore)} -> ${mib(f.rssAfter)} MiB (+${mib(f.rssAfter - f.rssBefore)} MiB, ${((f.rssAfter - f.rssBefore) / HOSTS / 1024).toFixed(0)} KiB per host), heap ${mib(f.heapAfter)} MiB`,
    )
    const services = await w.registry.list({ binary: 'nova-compute' })
    assert.equal(services.length, HOSTS)
    assert.ok(services.every((s) => w.registry.isUp(s, 60)))
    const roots = await w.placement('GET', '/resource_providers?required=COMPUTE_NODE')
    assert.equal(roots.status, 200)
    assert.equal(roots.body.resource_providers.length, HOSTS, 'one root per host')
    // Shapes go to the hosts in turn: every third host has SEV, every third two GPUs.
    const withShape = (n: number) =>
      Array.from({ length: HOSTS }, (_, i) => i % 3 === n).filter(Boolean).length
    const all = await w.placement('GET', '/resource_providers')
    assert.equal(all.body.resource_providers.length, HOSTS + 2 * withShape(2), 'roots and one child per GPU')
    const sev = await w.placement('GET', '/resource_providers?required=HW_CPU_X86_AMD_SEV')
    assert.equal(sev.body.resource_providers.length, withShape(1))
  })

  it('any of them builds', async () => {
    const rpc = new ComputeRpcClient(w.t.host.bus!)
    const reply = await rpc.buildAndRunInstance(
      `h-${Math.ceil(HOSTS / 2)}`,
      { instance: { uuid: randomUUID(), vcpus: 1, memory_mb: 512, root_gb: 1 } },
      { wait: true },
    )
    assert.equal(reply.power_state, PowerState.RUNNING)
  })
})
