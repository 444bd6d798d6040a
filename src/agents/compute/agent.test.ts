/**
 * Agents against a real placement (kernel test host, fake tokens): the provider tree each
 * host keeps, inventories with ratios and reserved amounts, PCI children, SEV, traits,
 * a disabled host's trait, operators' own traits and ratios, and the retry after a
 * generation conflict.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { providerUuid } from './provider-tree.js'
import { ComputeRpcClient } from './rpc.js'
import { type AgentWorld, startAgentWorld } from './testing.js'

type Inv = Record<string, { total: number; reserved: number; allocation_ratio: number; max_unit: number }>

async function inventories(w: AgentWorld, uuid: string): Promise<Inv> {
  const res = await w.placement('GET', `/resource_providers/${uuid}/inventories`)
  assert.equal(res.status, 200)
  return res.body.inventories
}

async function traits(w: AgentWorld, uuid: string): Promise<{ traits: string[]; generation: number }> {
  const res = await w.placement('GET', `/resource_providers/${uuid}/traits`)
  assert.equal(res.status, 200)
  return { traits: res.body.traits, generation: res.body.resource_provider_generation }
}

describe('compute agents keep their provider trees in placement', () => {
  let w: AgentWorld
  before(async () => {
    w = await startAgentWorld({
      hosts: 2,
      config: {
        DEFAULT: {
          cpu_allocation_ratio: 4.0,
          reserved_host_cpus: 2,
          reserved_host_memory_mb: 1024,
          reserved_host_disk_mb: 2049,
        },
        fake_driver: {
          vcpus: 16,
          memory_mb: 65536,
          disk_gb: 500,
          shapes:
            'cpu_model=Skylake-Server, cpu_model=EPYC-Rome sev_key_slots=15 pci=8086:1572:type-PF:2|8086:154c:type-VF:4',
        },
      },
    })
  })
  after(() => w.close())

  it('names the root provider after the host, with a uuid anyone can derive', async () => {
    const res = await w.placement('GET', '/resource_providers?name=h-1')
    assert.equal(res.body.resource_providers.length, 1)
    const root = res.body.resource_providers[0]
    assert.equal(root.uuid, providerUuid('h-1'))
    assert.equal(root.root_provider_uuid, root.uuid)
    assert.equal(w.agent('h-1').rootProviderUuid, root.uuid)
  })

  it('reports VCPU, MEMORY_MB and DISK_GB with reserved amounts and ratios', async () => {
    const inv = await inventories(w, providerUuid('h-1'))
    assert.deepEqual(Object.keys(inv).sort(), ['DISK_GB', 'MEMORY_MB', 'VCPU'])
    assert.deepEqual(
      [inv.VCPU!.total, inv.VCPU!.reserved, inv.VCPU!.allocation_ratio, inv.VCPU!.max_unit],
      [16, 2, 4.0, 16],
      'cpu_allocation_ratio set: it wins; reserved_host_cpus',
    )
    assert.deepEqual(
      [inv.MEMORY_MB!.total, inv.MEMORY_MB!.reserved, inv.MEMORY_MB!.allocation_ratio],
      [65536, 1024, 1.5],
      'ram_allocation_ratio unset: initial_ram_allocation_ratio (1.5) on a new provider',
    )
    assert.deepEqual(
      [inv.DISK_GB!.total, inv.DISK_GB!.reserved, inv.DISK_GB!.allocation_ratio],
      [500, 3, 1.0],
      'reserved_host_disk_mb 2049 is 3 GiB, rounded up',
    )
  })

  it("gives the root the driver's capability traits and the CPU model's", async () => {
    const skylake = (await traits(w, providerUuid('h-1'))).traits
    for (const t of [
      'COMPUTE_NODE',
      'COMPUTE_IMAGE_TYPE_QCOW2',
      'COMPUTE_VOLUME_MULTI_ATTACH',
      'HW_CPU_X86_AVX512F',
    ])
      assert.ok(skylake.includes(t), `h-1 has ${t}`)
    assert.ok(!skylake.includes('HW_CPU_X86_AMD_SEV'))
    assert.ok(!skylake.includes('COMPUTE_STATUS_DISABLED'))
    const epyc = (await traits(w, providerUuid('h-2'))).traits
    assert.ok(epyc.includes('HW_CPU_X86_AMD_SVM') && !epyc.includes('HW_CPU_X86_AVX512F'))
  })

  it('an SEV host reports MEM_ENCRYPTION_CONTEXT slots and HW_CPU_X86_AMD_SEV', async () => {
    const inv = await inventories(w, providerUuid('h-2'))
    assert.equal(inv.MEM_ENCRYPTION_CONTEXT?.total, 15)
    assert.equal(inv.MEM_ENCRYPTION_CONTEXT?.allocation_ratio, 1.0)
    assert.ok((await traits(w, providerUuid('h-2'))).traits.includes('HW_CPU_X86_AMD_SEV'))
    assert.equal((await inventories(w, providerUuid('h-1'))).MEM_ENCRYPTION_CONTEXT, undefined)
  })

  it('PCI devices are child providers: one per PF, one per PF of VFs holding their count', async () => {
    const res = await w.placement('GET', `/resource_providers?in_tree=${providerUuid('h-2')}`)
    const children = res.body.resource_providers
      .filter((p: { parent_provider_uuid: string | null }) => p.parent_provider_uuid === providerUuid('h-2'))
      .map((p: { name: string }) => p.name)
      .sort()
    assert.deepEqual(children, ['h-2_0000:81:00.0', 'h-2_0000:81:00.1', 'h-2_0000:82:00.0'])
    const pf = await inventories(w, providerUuid('h-2_0000:81:00.0'))
    assert.deepEqual(Object.keys(pf), ['CUSTOM_PCI_8086_1572'])
    assert.equal(pf.CUSTOM_PCI_8086_1572!.total, 1)
    const vfs = await inventories(w, providerUuid('h-2_0000:82:00.0'))
    assert.equal(vfs.CUSTOM_PCI_8086_154C!.total, 4)
    assert.deepEqual((await traits(w, providerUuid('h-2_0000:82:00.0'))).traits, [
      'COMPUTE_MANAGED_PCI_DEVICE',
    ])
    const h1 = await w.placement('GET', `/resource_providers?in_tree=${providerUuid('h-1')}`)
    assert.equal(h1.body.resource_providers.length, 1, 'a host without devices has no children')
  })

  it('a disabled service gets COMPUTE_STATUS_DISABLED, and loses it when enabled', async () => {
    const record = (await w.registry.find('h-1', 'nova-compute'))!
    await w.registry.setDisabled(record.id, true, 'maintenance')
    await w.agent('h-1').updateResources()
    assert.ok((await traits(w, providerUuid('h-1'))).traits.includes('COMPUTE_STATUS_DISABLED'))
    assert.ok(!(await traits(w, providerUuid('h-2'))).traits.includes('COMPUTE_STATUS_DISABLED'))
    await w.registry.setDisabled(record.id, false)
    await w.agent('h-1').updateResources()
    assert.ok(!(await traits(w, providerUuid('h-1'))).traits.includes('COMPUTE_STATUS_DISABLED'))
  })

  it('after a concurrent change (409) it reads the provider again and retries, keeping what others set', async () => {
    const uuid = providerUuid('h-1')
    // An operator changes the provider behind the agent's back: a custom trait, the RAM
    // ratio (unset in the config, so it must stay) and the CPU ratio (set: the config wins).
    const before = await traits(w, uuid)
    assert.equal((await w.placement('PUT', '/traits/CUSTOM_GOLD')).status, 201)
    const put = await w.placement('PUT', `/resource_providers/${uuid}/traits`, {
      resource_provider_generation: before.generation,
      traits: [...before.traits, 'CUSTOM_GOLD'],
    })
    assert.equal(put.status, 200)
    const inv = await w.placement('GET', `/resource_providers/${uuid}/inventories`)
    const changed = structuredClone(inv.body.inventories)
    changed.MEMORY_MB.allocation_ratio = 3.0
    changed.VCPU.allocation_ratio = 8.0
    const inventoryPut = await w.placement('PUT', `/resource_providers/${uuid}/inventories`, {
      resource_provider_generation: put.body.resource_provider_generation,
      inventories: changed,
    })
    assert.equal(inventoryPut.status, 200)

    // The agent still holds the old generation; disabling the service (the API records it
    // in the registry, then tells the agent) makes it write.
    const conflicts = w.agent('h-1').stats.generationConflicts
    const record = (await w.registry.find('h-1', 'nova-compute'))!
    await w.registry.setDisabled(record.id, true, 'maintenance')
    const rpc = new ComputeRpcClient(w.t.host.bus!)
    assert.deepEqual(await rpc.setHostEnabled('h-1', { enabled: false }), { enabled: false })
    assert.ok(w.agent('h-1').stats.generationConflicts > conflicts, 'the first write met a 409')

    const after = await traits(w, uuid)
    assert.ok(after.traits.includes('COMPUTE_STATUS_DISABLED'), 'the retry landed')
    assert.ok(after.traits.includes('CUSTOM_GOLD'), "the operator's trait stays")
    const final = await inventories(w, uuid)
    assert.equal(final.MEMORY_MB!.allocation_ratio, 3.0, 'an unset ratio keeps what placement has')
    assert.equal(final.VCPU!.allocation_ratio, 4.0, 'a configured ratio wins')
    await w.registry.setDisabled(record.id, false)
    await rpc.setHostEnabled('h-1', { enabled: true })
    assert.ok(!(await traits(w, uuid)).traits.includes('COMPUTE_STATUS_DISABLED'))
  })

  it('a device the host no longer has loses its provider', async () => {
    const spec = w.driver('h-2').spec
    spec.pciDevices = spec.pciDevices.filter((d) => d.type !== 'type-VF')
    await w.agent('h-2').updateResources()
    const res = await w.placement('GET', `/resource_providers?in_tree=${providerUuid('h-2')}`)
    assert.deepEqual(res.body.resource_providers.map((p: { name: string }) => p.name).sort(), [
      'h-2',
      'h-2_0000:81:00.0',
      'h-2_0000:81:00.1',
    ])
  })
})
