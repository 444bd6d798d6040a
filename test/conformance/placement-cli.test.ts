/**
 * Placement through the real openstack CLI with osc-placement (Debian
 * python3-osc-placement) against a cloud started with `cloudlet up`, as an operator
 * would drive it: providers and trees, inventories, resource classes, traits,
 * aggregates, allocations, allocation candidates and usages.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import {
  type CloudProcess,
  openstack,
  openstackJson,
  openstackOk,
  startCloudProcess,
} from '../support/cloud-process.js'

type Row = Record<string, unknown>

describe('placement with the openstack CLI (osc-placement)', { timeout: 600_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  const at = (version: string, args: string[]) => ['--os-placement-api-version', version, ...args]
  const json = <T = Row>(version: string, args: string[]) => openstackJson<T>(admin, at(version, args))
  const ok = (version: string, args: string[]) => openstackOk(admin, at(version, args))

  // Shared across the steps below, in order.
  const suffix = randomUUID().slice(0, 8)
  let root: Row
  let child: Row
  const consumer = randomUUID()

  before(async () => {
    // NOTE: without compute: its simulated hypervisors would add providers of their own
    // to every list and candidate these scenarios compare.
    cloud = await startCloudProcess({ args: ['--services', 'identity,placement'] })
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('creates, lists, shows and updates providers in a tree', async () => {
    // The default microversion (1.0) answers 201 with a Location the client follows.
    root = await openstackJson<Row>(admin, ['resource', 'provider', 'create', `cn-${suffix}`])
    assert.match(String(root.uuid), /^[0-9a-f-]{36}$/)
    assert.equal(root.name, `cn-${suffix}`)
    assert.equal(root.generation, 0)

    child = await json('1.14', [
      'resource',
      'provider',
      'create',
      `numa0-${suffix}`,
      '--parent-provider',
      String(root.uuid),
    ])
    assert.equal(child.parent_provider_uuid, root.uuid)
    assert.equal(child.root_provider_uuid, root.uuid)

    const shown = await json('1.14', ['resource', 'provider', 'show', String(child.uuid)])
    assert.equal(shown.name, `numa0-${suffix}`)
    assert.equal(shown.parent_provider_uuid, root.uuid)

    const all = await json<Row[]>('1.14', ['resource', 'provider', 'list'])
    assert.deepEqual(all.map((r) => r.name).sort(), [`cn-${suffix}`, `numa0-${suffix}`].sort())
    const tree = await json<Row[]>('1.14', ['resource', 'provider', 'list', '--in-tree', String(child.uuid)])
    assert.equal(tree.length, 2)
    const byName = await json<Row[]>('1.14', ['resource', 'provider', 'list', '--name', `cn-${suffix}`])
    assert.deepEqual(
      byName.map((r) => r.uuid),
      [root.uuid],
    )

    const renamed = await json('1.14', [
      'resource',
      'provider',
      'set',
      String(child.uuid),
      '--name',
      `numa-0-${suffix}`,
      '--parent-provider',
      String(root.uuid),
    ])
    assert.equal(renamed.name, `numa-0-${suffix}`)
    assert.equal(renamed.parent_provider_uuid, root.uuid)
  })

  it('sets, lists, shows and deletes inventories', async () => {
    const set = await json<Row[]>('1.39', [
      'resource',
      'provider',
      'inventory',
      'set',
      String(root.uuid),
      '--resource',
      'VCPU=16',
      '--resource',
      'VCPU:allocation_ratio=2.0',
      '--resource',
      'MEMORY_MB=8192',
      '--resource',
      'MEMORY_MB:reserved=512',
      '--resource',
      'DISK_GB=100',
    ])
    const byClass = new Map(set.map((r) => [r.resource_class, r]))
    assert.equal(byClass.get('VCPU')?.total, 16)
    assert.equal(byClass.get('VCPU')?.allocation_ratio, 2)
    assert.equal(byClass.get('MEMORY_MB')?.reserved, 512)

    const listed = await json<Row[]>('1.39', ['resource', 'provider', 'inventory', 'list', String(root.uuid)])
    assert.deepEqual(listed.map((r) => r.resource_class).sort(), ['DISK_GB', 'MEMORY_MB', 'VCPU'])
    const vcpu = await json('1.39', ['resource', 'provider', 'inventory', 'show', String(root.uuid), 'VCPU'])
    assert.equal(vcpu.total, 16)

    await ok('1.39', [
      'resource',
      'provider',
      'inventory',
      'delete',
      String(root.uuid),
      '--resource-class',
      'DISK_GB',
    ])
    const after = await json<Row[]>('1.39', ['resource', 'provider', 'inventory', 'list', String(root.uuid)])
    assert.deepEqual(after.map((r) => r.resource_class).sort(), ['MEMORY_MB', 'VCPU'])

    // The child gets a custom class of its own (created just before).
    await ok('1.7', ['resource', 'class', 'create', `CUSTOM_NUMA_SLOT_${suffix.toUpperCase()}`])
    await json('1.39', [
      'resource',
      'provider',
      'inventory',
      'set',
      String(child.uuid),
      '--resource',
      `CUSTOM_NUMA_SLOT_${suffix.toUpperCase()}=4`,
    ])
  })

  it('creates, lists and deletes resource classes', async () => {
    const name = `CUSTOM_GOLD_${suffix.toUpperCase()}`
    await ok('1.7', ['resource', 'class', 'create', name])
    const classes = await json<Row[]>('1.7', ['resource', 'class', 'list'])
    const names = classes.map((r) => r.name)
    assert.ok(names.includes('VCPU') && names.includes(name))
    assert.equal(names.filter((n) => !String(n).startsWith('CUSTOM_')).length, 21, 'the 21 standard classes')
    assert.equal((await json('1.7', ['resource', 'class', 'show', name])).name, name)
    await ok('1.7', ['resource', 'class', 'delete', name])
    const gone = await openstack(admin, at('1.7', ['resource', 'class', 'show', name]))
    assert.notEqual(gone.code, 0)
    assert.match(gone.stderr, /404/)
    // A standard class cannot be deleted.
    const std = await openstack(admin, at('1.7', ['resource', 'class', 'delete', 'VCPU']))
    assert.notEqual(std.code, 0)
    assert.match(std.stderr, /400/)
  })

  it('creates, lists and deletes traits and sets them on a provider', async () => {
    const name = `CUSTOM_FAST_${suffix.toUpperCase()}`
    await ok('1.6', ['trait', 'create', name])
    const customs = await json<Row[]>('1.6', ['trait', 'list', '--name', 'startswith:CUSTOM_'])
    assert.deepEqual(
      customs.map((r) => r.name),
      [name],
    )
    const std = await json<Row[]>('1.6', ['trait', 'list', '--name', 'in:HW_CPU_X86_AVX,HW_CPU_X86_AVX2'])
    assert.equal(std.length, 2)

    const set = await json<Row[]>('1.6', [
      'resource',
      'provider',
      'trait',
      'set',
      String(root.uuid),
      '--trait',
      name,
      '--trait',
      'HW_CPU_X86_AVX',
    ])
    assert.deepEqual(set.map((r) => r.name).sort(), ['HW_CPU_X86_AVX', name].sort())
    const listed = await json<Row[]>('1.6', ['resource', 'provider', 'trait', 'list', String(root.uuid)])
    assert.equal(listed.length, 2)

    // A trait in use cannot be deleted; a fresh one can.
    const inUse = await openstack(admin, at('1.6', ['trait', 'delete', name]))
    assert.notEqual(inUse.code, 0)
    assert.match(inUse.stderr, /409/)
    await ok('1.6', ['trait', 'create', `${name}_SPARE`])
    await ok('1.6', ['trait', 'delete', `${name}_SPARE`])
    const left = await json<Row[]>('1.6', ['trait', 'list', '--name', 'startswith:CUSTOM_'])
    assert.deepEqual(
      left.map((r) => r.name),
      [name],
    )
  })

  it('sets aggregates with the provider generation', async () => {
    const agg = randomUUID()
    const shown = await json('1.19', ['resource', 'provider', 'show', String(root.uuid)])
    const set = await json<Row[]>('1.19', [
      'resource',
      'provider',
      'aggregate',
      'set',
      String(root.uuid),
      '--aggregate',
      agg,
      '--generation',
      String(shown.generation),
    ])
    assert.deepEqual(
      set.map((r) => r.uuid),
      [agg],
    )
    // A stale generation is refused (409 concurrent update).
    const stale = await openstack(
      admin,
      at('1.19', [
        'resource',
        'provider',
        'aggregate',
        'set',
        String(root.uuid),
        '--aggregate',
        agg,
        '--generation',
        String(shown.generation),
      ]),
    )
    assert.notEqual(stale.code, 0)
    assert.match(stale.stderr, /409/)
    const members = await json<Row[]>('1.14', ['resource', 'provider', 'list', '--aggregate-uuid', agg])
    assert.deepEqual(
      members.map((r) => r.uuid),
      [root.uuid],
    )
  })

  it('lists allocation candidates with --resource, --required and --forbidden', async () => {
    const trait = `CUSTOM_FAST_${suffix.toUpperCase()}`
    const found = await json<Row[]>('1.39', [
      'allocation',
      'candidate',
      'list',
      '--resource',
      'VCPU=2',
      '--resource',
      'MEMORY_MB=1024',
      '--required',
      'HW_CPU_X86_AVX',
    ])
    assert.ok(found.length >= 1)
    assert.ok(found.every((r) => r['resource provider'] === root.uuid))
    assert.match(String(found[0]!['inventory used/capacity']), /VCPU=0\/32/)

    const forbidden = await json<Row[]>('1.39', [
      'allocation',
      'candidate',
      'list',
      '--resource',
      'VCPU=2',
      '--forbidden',
      trait,
    ])
    assert.deepEqual(forbidden, [])

    const tooBig = await json<Row[]>('1.39', ['allocation', 'candidate', 'list', '--resource', 'VCPU=33'])
    assert.deepEqual(tooBig, [])

    // A granular group lands on the child (the nested tree is one candidate).
    const nested = await json<Row[]>('1.39', [
      'allocation',
      'candidate',
      'list',
      '--group',
      '1',
      '--resource',
      'VCPU=1',
      '--group',
      '2',
      '--resource',
      `CUSTOM_NUMA_SLOT_${suffix.toUpperCase()}=1`,
      '--group-policy',
      'none',
    ])
    assert.ok(nested.length >= 1)
    const providers = new Set(nested.map((r) => r['resource provider']))
    assert.deepEqual([...providers].sort(), [root.uuid, child.uuid].sort())
  })

  it('sets, shows and unsets allocations; usages follow', async () => {
    const set = await json<Row[]>('1.39', [
      'resource',
      'provider',
      'allocation',
      'set',
      consumer,
      '--allocation',
      `rp=${root.uuid},VCPU=4,MEMORY_MB=2048`,
      '--project-id',
      'p-cli',
      '--user-id',
      'u-cli',
      '--consumer-type',
      'INSTANCE',
    ])
    assert.equal(set.length, 1)
    assert.deepEqual(set[0]!.resources, { VCPU: 4, MEMORY_MB: 2048 })

    const shown = await json<Row[]>('1.39', ['resource', 'provider', 'allocation', 'show', consumer])
    assert.equal(shown[0]!.resource_provider, root.uuid)
    assert.equal(shown[0]!.project_id, 'p-cli')
    assert.equal(shown[0]!.consumer_type, 'INSTANCE')

    const usage = await json<Row[]>('1.39', ['resource', 'provider', 'usage', 'show', String(root.uuid)])
    assert.deepEqual(Object.fromEntries(usage.map((r) => [r.resource_class, r.usage])), {
      VCPU: 4,
      MEMORY_MB: 2048,
    })
    const byProject = await json<Row[]>('1.9', ['resource', 'usage', 'show', 'p-cli', '--user-id', 'u-cli'])
    assert.deepEqual(Object.fromEntries(byProject.map((r) => [r.resource_class, r.usage])), {
      VCPU: 4,
      MEMORY_MB: 2048,
    })

    // Candidates now see the usage.
    const cands = await json<Row[]>('1.39', ['allocation', 'candidate', 'list', '--resource', 'VCPU=1'])
    assert.match(String(cands[0]!['inventory used/capacity']), /VCPU=4\/32/)

    const unset = await json<Row[]>('1.39', [
      'resource',
      'provider',
      'allocation',
      'unset',
      consumer,
      '--provider',
      String(root.uuid),
      '--resource-class',
      'VCPU',
    ])
    assert.deepEqual(unset[0]!.resources, { MEMORY_MB: 2048 })
    const after = await json<Row[]>('1.39', ['resource', 'provider', 'usage', 'show', String(root.uuid)])
    assert.deepEqual(Object.fromEntries(after.map((r) => [r.resource_class, r.usage])), {
      VCPU: 0,
      MEMORY_MB: 2048,
    })

    // A provider with allocations cannot be deleted; deleting the consumer frees it.
    const busy = await openstack(
      admin,
      at('1.39', [
        'resource',
        'provider',
        'inventory',
        'delete',
        String(root.uuid),
        '--resource-class',
        'MEMORY_MB',
      ]),
    )
    assert.notEqual(busy.code, 0)
    assert.match(busy.stderr, /409/)
    await ok('1.39', ['resource', 'provider', 'allocation', 'delete', consumer])
    const none = await json<Row[]>('1.39', ['resource', 'provider', 'allocation', 'show', consumer])
    assert.deepEqual(none, [])
  })

  it('deletes providers, children before parents', async () => {
    const parentFirst = await openstack(
      admin,
      at('1.14', ['resource', 'provider', 'delete', String(root.uuid)]),
    )
    assert.notEqual(parentFirst.code, 0)
    assert.match(parentFirst.stderr, /409/)
    await ok('1.14', ['resource', 'provider', 'delete', String(child.uuid)])
    await ok('1.14', ['resource', 'provider', 'delete', String(root.uuid)])
    const left = await json<Row[]>('1.14', ['resource', 'provider', 'list'])
    assert.deepEqual(left, [])
    const gone = await openstack(admin, at('1.14', ['resource', 'provider', 'show', String(root.uuid)]))
    assert.notEqual(gone.code, 0)
    assert.match(gone.stderr, /404/)
  })
})
