/**
 * The placement repositories on SQLite, PostgreSQL and MariaDB: migrations, the change
 * counter, generation compare-and-swap, the in-transaction capacity check, and that a
 * refused write leaves nothing behind (read back through the state reads).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import { migrateToLatest, openDatabase } from '../../../kernel/db/index.js'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { ConcurrentUpdate, PlacementConflict } from '../errors.js'
import { dropWhenIdle } from '../test/harness.js'
import { placementMigrations } from './migrations/0001-initial.js'
import type { PlacementDatabase } from './schema.js'
import { StateRepo } from './state.repo.js'
import { type ConsumerWrite, type InventoryRow, WritePlanRepo } from './write-plan.repo.js'

const VCPU = 0
const MEMORY_MB = 1

const inv = (resourceClassId: number, total: number, extra: Partial<InventoryRow> = {}): InventoryRow => ({
  resourceClassId,
  total,
  reserved: 0,
  minUnit: 1,
  maxUnit: total,
  stepSize: 1,
  allocationRatio: 1,
  ...extra,
})

const consumer = (
  providerId: number,
  resources: [number, number][],
  extra: Partial<ConsumerWrite> = {},
): ConsumerWrite => ({
  uuid: randomUUID(),
  projectId: 'p',
  userId: 'u',
  consumerType: 'INSTANCE',
  expectedGeneration: null,
  exists: false,
  allocations: resources.map(([resourceClassId, used]) => ({ providerId, resourceClassId, used })),
  conflictMessage: 'consumer generation conflict',
  ...extra,
})

/** The writes, with the two state reads the tests check them by. */
type Repo = WritePlanRepo & Pick<StateRepo, 'loadState' | 'counter'>

async function repoOn(db: Kysely<PlacementDatabase>, dialect: string): Promise<Repo> {
  await migrateToLatest(db as Kysely<unknown>, 'placement', placementMigrations)
  const reads = new StateRepo(db, dialect as 'sqlite')
  return Object.assign(new WritePlanRepo(db, dialect as 'sqlite'), {
    loadState: () => reads.loadState(),
    counter: () => reads.counter(),
  })
}

async function newProvider(repo: Repo, rows: InventoryRow[] = [], parentId: number | null = null) {
  const uuid = randomUUID()
  let rootId: number | null = null
  if (parentId !== null) {
    const s = await repo.loadState()
    rootId = s.providers.find((p) => p.id === parentId)!.root_provider_id
  }
  const id = await repo.createProvider({ uuid, name: `rp-${uuid}`, parentId, rootId })
  if (rows.length)
    await repo.apply({ providers: [{ id, generation: 0 }], inventories: [{ providerId: id, rows }] })
  return { id, uuid, generation: rows.length ? 1 : 0 }
}

for (const dialect of enabledDialects()) {
  describe(`placement repository on ${dialect}`, () => {
    const run = async (fn: (repo: Repo) => Promise<void>) => {
      const tdb = await createTestDatabase(dialect)
      const { db } = await openDatabase<PlacementDatabase>(tdb.connection)
      try {
        await fn(await repoOn(db, dialect))
      } finally {
        await db.destroy()
        await dropWhenIdle(tdb)
      }
    }

    it('migrates, seeds traits idempotently and counts changes', () =>
      run(async (repo) => {
        const c0 = BigInt(await repo.counter())
        await repo.ensureTraits(['HW_CPU_X86_AVX', 'STORAGE_DISK_SSD'])
        await repo.ensureTraits(['HW_CPU_X86_AVX', 'STORAGE_DISK_SSD'])
        const s = await repo.loadState()
        assert.deepEqual(s.traits.map((t) => t.name).sort(), ['HW_CPU_X86_AVX', 'STORAGE_DISK_SSD'])
        const c1 = BigInt(await repo.counter())
        assert.ok(c1 > c0)
        const rp = await newProvider(repo, [inv(VCPU, 8)])
        const s2 = await repo.loadState()
        assert.equal(BigInt(s2.counter), BigInt(await repo.counter()))
        assert.ok(BigInt(s2.counter) >= c1 + 2n, 'create and inventory each bump the counter')
        const p = s2.providers.find((x) => x.id === rp.id)!
        assert.equal(p.root_provider_id, rp.id)
        assert.equal(p.generation, 1)
        assert.equal(s2.inventories.length, 1)
        assert.equal(s2.inventories[0]!.allocation_ratio, 1)
      }))

    it('refuses duplicate uuids and names with upstream codes', () =>
      run(async (repo) => {
        const rp = await newProvider(repo)
        await assert.rejects(
          repo.createProvider({ uuid: rp.uuid, name: 'other', parentId: null, rootId: null }),
          (e: PlacementConflict) => e.code === 'placement.duplicate_uuid',
        )
        await assert.rejects(
          repo.createProvider({ uuid: randomUUID(), name: `rp-${rp.uuid}`, parentId: null, rootId: null }),
          (e: PlacementConflict) => e.code === 'placement.duplicate_name',
        )
      }))

    it('a stale generation writes nothing', () =>
      run(async (repo) => {
        const rp = await newProvider(repo, [inv(VCPU, 8)])
        const before = await repo.loadState()
        await assert.rejects(
          repo.apply({
            providers: [{ id: rp.id, generation: rp.generation - 1 }],
            inventories: [{ providerId: rp.id, rows: [inv(VCPU, 99), inv(MEMORY_MB, 1024)] }],
          }),
          ConcurrentUpdate,
        )
        const after = await repo.loadState()
        assert.equal(after.counter, before.counter)
        assert.deepEqual(after.inventories, before.inventories)
        assert.equal(after.providers[0]!.generation, rp.generation)
      }))

    it('checks capacity inside the transaction, whatever the caller believed', () =>
      run(async (repo) => {
        const rp = await newProvider(repo, [inv(VCPU, 2)])
        // Two callers that both saw generation 1 and free capacity: allocations queue
        // on the provider's row rather than fail the swap, and the database decides.
        const ok = consumer(rp.id, [[VCPU, 2]])
        await repo.apply({ providers: [{ id: rp.id, generation: rp.generation }], consumers: [ok] })
        const late = consumer(rp.id, [[VCPU, 1]])
        const before = await repo.loadState()
        await assert.rejects(
          repo.apply({ providers: [{ id: rp.id, generation: rp.generation }], consumers: [late] }),
          (e: Error) =>
            e instanceof PlacementConflict &&
            !(e instanceof ConcurrentUpdate) &&
            /'VCPU' on resource provider '[0-9a-f-]{36}'.*exceed the capacity/.test(e.message),
        )
        const after = await repo.loadState()
        assert.equal(after.counter, before.counter, 'nothing written')
        assert.deepEqual(
          after.consumers.map((c) => c.uuid),
          [ok.uuid],
        )
        assert.equal(after.providers[0]!.generation, rp.generation + 1)
      }))

    it('checks min_unit, max_unit, step_size and missing inventory in the transaction', () =>
      run(async (repo) => {
        const rp = await newProvider(repo, [inv(VCPU, 16, { maxUnit: 4, stepSize: 2 })])
        const plan = (c: ConsumerWrite) => ({
          providers: [{ id: rp.id, generation: rp.generation }],
          consumers: [c],
        })
        for (const used of [3, 6]) {
          await assert.rejects(
            repo.apply(plan(consumer(rp.id, [[VCPU, used]]))),
            /violate inventory constraints/,
          )
        }
        await assert.rejects(
          repo.apply(plan(consumer(rp.id, [[MEMORY_MB, 1]]))),
          /Inventory for 'MEMORY_MB'.*invalid/,
        )
        await repo.apply(plan(consumer(rp.id, [[VCPU, 4]])))
      }))

    it('lets a consumer keep what it holds after the inventory shrank', () =>
      run(async (repo) => {
        const rp = await newProvider(repo, [inv(VCPU, 8)])
        const c = consumer(rp.id, [[VCPU, 6]])
        await repo.apply({ providers: [{ id: rp.id, generation: 1 }], consumers: [c] })
        await repo.apply({
          providers: [{ id: rp.id, generation: 2 }],
          inventories: [{ providerId: rp.id, rows: [inv(VCPU, 4, { maxUnit: 8 })] }],
        })
        const s = await repo.loadState()
        const gen = s.consumers[0]!.generation
        // Same amount again (e.g. a project change): allowed; growing: refused.
        await repo.apply({
          providers: [{ id: rp.id, generation: 3 }],
          consumers: [{ ...c, exists: true, expectedGeneration: gen, projectId: 'p2' }],
        })
        await assert.rejects(
          repo.apply({
            providers: [{ id: rp.id, generation: 4 }],
            consumers: [
              {
                ...c,
                exists: true,
                expectedGeneration: gen + 1,
                allocations: [{ providerId: rp.id, resourceClassId: VCPU, used: 7 }],
              },
            ],
          }),
          /exceed the capacity/,
        )
      }))

    it('compares and swaps consumer generations', () =>
      run(async (repo) => {
        const rp = await newProvider(repo, [inv(VCPU, 8)])
        const c = consumer(rp.id, [[VCPU, 1]])
        await repo.apply({ providers: [{ id: rp.id, generation: 1 }], consumers: [c] })
        await assert.rejects(
          repo.apply({ providers: [{ id: rp.id, generation: 2 }], consumers: [{ ...c }] }),
          ConcurrentUpdate,
          'a second create of the same consumer',
        )
        await assert.rejects(
          repo.apply({
            providers: [{ id: rp.id, generation: 2 }],
            consumers: [{ ...c, exists: true, expectedGeneration: 7 }],
          }),
          ConcurrentUpdate,
        )
        // Deleting the last allocations deletes the consumer.
        await repo.apply({
          providers: [{ id: rp.id, generation: 2 }],
          consumers: [{ ...c, exists: true, expectedGeneration: 1, allocations: [] }],
        })
        const s = await repo.loadState()
        assert.equal(s.consumers.length, 0)
        assert.equal(s.allocations.length, 0)
      }))

    it('protects parents and providers in use; re-roots a moved subtree', () =>
      run(async (repo) => {
        const root = await newProvider(repo, [inv(VCPU, 8)])
        const child = await newProvider(repo, [], root.id)
        const grandchild = await newProvider(repo, [], child.id)
        await assert.rejects(
          repo.deleteProvider(root.id, root.generation, root.uuid),
          (e: PlacementConflict) => e.code === 'placement.resource_provider.cannot_delete_parent',
        )
        await repo.apply({
          providers: [{ id: root.id, generation: root.generation }],
          consumers: [consumer(root.id, [[VCPU, 1]])],
        })
        await repo.deleteProvider(grandchild.id, grandchild.generation, grandchild.uuid)
        await repo.deleteProvider(child.id, child.generation, child.uuid)
        await assert.rejects(
          repo.deleteProvider(root.id, root.generation + 1, root.uuid),
          (e: PlacementConflict) => e.code === 'placement.resource_provider.inuse',
        )
        // Re-rooting: a new tree under `other`.
        const other = await newProvider(repo)
        const a = await newProvider(repo)
        const b = await newProvider(repo, [], a.id)
        await repo.updateProvider(
          a.id,
          0,
          { name: 'moved', uuid: a.uuid, parentId: other.id, rootId: other.id },
          [a.id, b.id],
        )
        const s = await repo.loadState()
        for (const id of [a.id, b.id])
          assert.equal(s.providers.find((p) => p.id === id)!.root_provider_id, other.id)
        await assert.rejects(
          repo.updateProvider(a.id, 5, { name: 'again', uuid: a.uuid, parentId: null, rootId: a.id }, [
            a.id,
            b.id,
          ]),
          ConcurrentUpdate,
        )
      }))

    it('custom classes and traits cannot be deleted while in use', () =>
      run(async (repo) => {
        await repo.createResourceClass(10000, 'CUSTOM_GOLD')
        await assert.rejects(
          repo.createResourceClass(10001, 'CUSTOM_GOLD'),
          (e: PlacementConflict) => e.code === 'placement.undefined_code',
        )
        const rp = await newProvider(repo, [inv(10000, 3)])
        await assert.rejects(repo.deleteResourceClass(10000, 'CUSTOM_GOLD'), /in use/)
        assert.equal(await repo.createTrait('CUSTOM_FAST'), true)
        assert.equal(await repo.createTrait('CUSTOM_FAST'), false)
        const trait = (await repo.loadState()).traits.find((t) => t.name === 'CUSTOM_FAST')!
        await repo.apply({
          providers: [{ id: rp.id, generation: rp.generation }],
          traits: [{ providerId: rp.id, traitIds: [trait.id] }],
        })
        await assert.rejects(repo.deleteTrait(trait.id, 'CUSTOM_FAST'), /in use/)
        await repo.apply({
          providers: [{ id: rp.id, generation: rp.generation + 1 }],
          traits: [{ providerId: rp.id, traitIds: [] }],
          inventories: [{ providerId: rp.id, rows: [] }],
          aggregates: [{ providerId: rp.id, uuids: [randomUUID(), randomUUID()] }],
        })
        await repo.deleteTrait(trait.id, 'CUSTOM_FAST')
        await repo.deleteResourceClass(10000, 'CUSTOM_GOLD')
        const s = await repo.loadState()
        assert.equal(s.providerAggregates.length, 2)
        assert.equal(s.resourceClasses.length, 0)
        await repo.truncate()
        const empty = await repo.loadState()
        assert.equal(empty.providers.length + empty.aggregates.length + empty.traits.length, 0)
      }))
  })
}
