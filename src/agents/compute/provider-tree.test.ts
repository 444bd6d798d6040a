/**
 * The provider tree as a pure function: which allocation ratio wins, reserved amounts
 * (clamped to the total, disk rounded up to GiB), SEV and PCI, the disabled trait, and
 * operators' custom traits kept by the merge.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cpuTraits } from './drivers/cpu-models.js'
import type { HostResources } from './drivers/driver.js'
import { FAKE_CAPABILITIES } from './drivers/fake/fake-driver.js'
import { allocationRatio, mergeTraits, planTree, providerUuid, type RatioOptions } from './provider-tree.js'

const OPTIONS: RatioOptions = {
  cpu_allocation_ratio: undefined,
  ram_allocation_ratio: undefined,
  disk_allocation_ratio: undefined,
  initial_cpu_allocation_ratio: 16,
  initial_ram_allocation_ratio: 1.5,
  initial_disk_allocation_ratio: 1,
  reserved_host_memory_mb: 512,
  reserved_host_disk_mb: 0,
  reserved_host_cpus: 0,
}

const HOST: HostResources = {
  vcpus: 8,
  memoryMb: 256,
  diskGb: 40,
  cpuModel: 'Haswell',
  arch: 'x86_64',
  pciDevices: [],
  sevKeySlots: 0,
  hypervisorType: 'fake',
  hypervisorVersion: 1000,
}

describe('provider tree', () => {
  it('allocation ratio: configured above 0 wins, else what placement has, else the initial one', () => {
    const table: Array<[number | undefined, number | undefined, number]> = [
      [4, 8, 4],
      [undefined, 8, 8],
      [0, 8, 8],
      [undefined, undefined, 16],
      [0, undefined, 16],
    ]
    for (const [configured, current, expected] of table)
      assert.equal(allocationRatio(configured, current, 16), expected, `${configured} / ${current}`)
  })

  it('clamps reserved memory to the total and rounds reserved disk up to GiB', () => {
    const plan = planTree({
      host: 'h',
      resources: HOST,
      capabilities: FAKE_CAPABILITIES,
      disabled: false,
      options: { ...OPTIONS, reserved_host_disk_mb: 1 },
    })
    assert.equal(plan.root.inventories.MEMORY_MB!.reserved, 256, '512 MiB reserved on a 256 MiB host')
    assert.equal(plan.root.inventories.DISK_GB!.reserved, 1)
    assert.equal(plan.root.uuid, providerUuid('h'))
    assert.match(plan.root.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('root traits: COMPUTE_NODE, capabilities, CPU features, SEV, disabled', () => {
    const plan = planTree({
      host: 'h',
      resources: { ...HOST, sevKeySlots: 3 },
      capabilities: FAKE_CAPABILITIES,
      disabled: true,
      options: OPTIONS,
    })
    for (const t of [
      'COMPUTE_NODE',
      'COMPUTE_STATUS_DISABLED',
      'HW_CPU_X86_AMD_SEV',
      ...cpuTraits('Haswell'),
    ])
      assert.ok(plan.root.traits.includes(t), t)
    assert.ok(
      plan.root.traits.includes('HW_CPU_X86_AVX2') && !plan.root.traits.includes('HW_CPU_X86_AVX512F'),
    )
    assert.equal(plan.root.inventories.MEM_ENCRYPTION_CONTEXT!.total, 3)
    assert.deepEqual(plan.root.traits, [...plan.root.traits].sort())
  })

  it('PCI: one child per device, VFs grouped under their PF, classes named by vendor and product', () => {
    const plan = planTree({
      host: 'h',
      resources: {
        ...HOST,
        pciDevices: [
          { address: '0000:81:00.0', vendorId: '10de', productId: '1eb8', type: 'type-PCI' },
          {
            address: '0000:83:00.0',
            vendorId: '8086',
            productId: '154c',
            type: 'type-VF',
            parentAddress: '0000:82:00.0',
          },
          {
            address: '0000:83:00.1',
            vendorId: '8086',
            productId: '154c',
            type: 'type-VF',
            parentAddress: '0000:82:00.0',
          },
        ],
      },
      capabilities: FAKE_CAPABILITIES,
      disabled: false,
      options: OPTIONS,
    })
    assert.deepEqual(
      plan.children.map((c) => [c.name, c.parentUuid === plan.root.uuid, c.inventories]),
      [
        [
          'h_0000:81:00.0',
          true,
          {
            CUSTOM_PCI_10DE_1EB8: {
              total: 1,
              reserved: 0,
              min_unit: 1,
              max_unit: 1,
              step_size: 1,
              allocation_ratio: 1,
            },
          },
        ],
        [
          'h_0000:82:00.0',
          true,
          {
            CUSTOM_PCI_8086_154C: {
              total: 2,
              reserved: 0,
              min_unit: 1,
              max_unit: 2,
              step_size: 1,
              allocation_ratio: 1,
            },
          },
        ],
      ],
    )
    assert.deepEqual(plan.customResourceClasses, ['CUSTOM_PCI_10DE_1EB8', 'CUSTOM_PCI_8086_154C'])
  })

  it("merging traits keeps others' CUSTOM_* traits and drops standard ones the agent no longer sets", () => {
    assert.deepEqual(
      mergeTraits(['CUSTOM_GOLD', 'COMPUTE_STATUS_DISABLED', 'COMPUTE_NODE'], ['COMPUTE_NODE']),
      ['COMPUTE_NODE', 'CUSTOM_GOLD'],
    )
  })
})
