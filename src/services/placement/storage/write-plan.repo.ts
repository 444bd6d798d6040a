/**
 * The writes: each API call's write plan applied in one transaction that
 * compare-and-swaps provider and consumer generations, re-checks capacity against the
 * rows as they are under lock, and logs what it touched (change-log.ts), so every
 * process sharing the database sees that its index is stale. The catalog (classes,
 * traits) and provider creation, update and deletion have their own statements.
 */
import { type Kysely, sql } from 'kysely'
import { type Dialect, isRetryableTransactionError, isUniqueViolation } from '../../../kernel/db/index.js'
import { STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'
import { ConcurrentUpdate, PlacementConflict } from '../errors.js'
import { bump } from './change-log.js'
import type { PlacementDatabase } from './schema.js'
import { insertId, now, type Tx } from './sql.js'

export interface InventoryRow {
  resourceClassId: number
  total: number
  reserved: number
  minUnit: number
  maxUnit: number
  stepSize: number
  allocationRatio: number
}

export interface ConsumerWrite {
  uuid: string
  projectId: string
  userId: string
  /** undefined: no type (pre-1.38 writers keep what is there). */
  consumerType: string | undefined
  /** The generation the writer saw; null when the consumer must be new. */
  expectedGeneration: number | null
  /** Whether the consumer row exists (decides UPDATE vs INSERT). */
  exists: boolean
  allocations: { providerId: number; resourceClassId: number; used: number }[]
  /** Message for a lost compare-and-swap on this consumer. */
  conflictMessage: string
}

/** Everything one API call writes, applied atomically. */
export interface WritePlan {
  /** Providers whose generation must still be `generation`; each is bumped by one. */
  providers: { id: number; generation: number; conflictMessage?: string }[]
  inventories?: { providerId: number; rows: InventoryRow[] }[]
  traits?: { providerId: number; traitIds: number[] }[]
  aggregates?: { providerId: number; uuids: string[] }[]
  consumers?: ConsumerWrite[]
}

export interface NewProvider {
  uuid: string
  name: string
  parentId: number | null
  rootId: number | null
}

/** Attempts of one transaction that failed on a deadlock or a busy database. */
const TX_RETRIES = 20

export class WritePlanRepo {
  /**
   * Ids of projects, users and consumer types seen committed, by `table\0key`.
   * NOTE: placement never deletes these rows and their ids never change, so a process
   * may remember them: each claim otherwise looked them up twice (before and inside its
   * transaction), a quarter of placement's statements per server boot.
   */
  private readonly ownerIds = new Map<string, number>()

  constructor(
    readonly db: Kysely<PlacementDatabase>,
    readonly dialect: Dialect,
  ) {}

  /** Adds the standard traits that are missing (idempotent; racing processes are fine). */
  async ensureTraits(names: readonly string[]): Promise<void> {
    const have = new Set((await this.db.selectFrom('traits').select('name').execute()).map((r) => r.name))
    const missing = names.filter((n) => !have.has(n))
    if (missing.length === 0) return
    const ts = now()
    // NOTE: no transaction: another process may be seeding the same names, and a unique
    // violation inside a PostgreSQL transaction would abort the rest of it.
    for (const name of missing) {
      try {
        await this.db.insertInto('traits').values({ name, created_at: ts, updated_at: null }).execute()
      } catch (e) {
        if (!isUniqueViolation(e)) throw e
      }
    }
    await this.db.transaction().execute((tx) => bump(tx, this.dialect, { kind: 'catalog' }))
  }

  async createProvider(p: NewProvider): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const ts = now()
      const clash = await tx
        .selectFrom('resource_providers')
        .select('id')
        .where((eb) => eb.or([eb('uuid', '=', p.uuid), eb('name', '=', p.name)]))
        .executeTakeFirst()
      if (clash) throw await this.duplicateProvider(tx, p)
      let id: number
      try {
        id = await insertId(
          tx,
          this.dialect,
          tx.insertInto('resource_providers').values({
            uuid: p.uuid,
            name: p.name,
            generation: 0,
            root_provider_id: p.rootId,
            parent_provider_id: p.parentId,
            created_at: ts,
            updated_at: ts,
          }),
        )
      } catch (e) {
        if (isUniqueViolation(e))
          throw new ConcurrentUpdate('Another thread concurrently created this resource provider.')
        throw e
      }
      if (p.rootId === null)
        await tx
          .updateTable('resource_providers')
          .set({ root_provider_id: id })
          .where('id', '=', id)
          .execute()
      if (p.parentId !== null) {
        const parent = await tx
          .selectFrom('resource_providers')
          .select('id')
          .where('id', '=', p.parentId)
          .executeTakeFirst()
        if (!parent) throw new ConcurrentUpdate('The parent resource provider was deleted concurrently.')
      }
      await bump(tx, this.dialect, { kind: 'delta', providers: [id] })
      return id
    })
  }

  private async duplicateProvider(tx: Tx, p: NewProvider): Promise<Error> {
    const byUuid = await tx
      .selectFrom('resource_providers')
      .select('id')
      .where('uuid', '=', p.uuid)
      .executeTakeFirst()
    if (byUuid)
      return new PlacementConflict(
        `Conflicting resource provider uuid: ${p.uuid} already exists.`,
        'placement.duplicate_uuid',
      )
    return new PlacementConflict(
      `Conflicting resource provider name: ${p.name} already exists.`,
      'placement.duplicate_name',
    )
  }

  /** Renames and/or moves a provider; `subtree` gets the new root. */
  async updateProvider(
    id: number,
    generation: number,
    changes: { name: string; uuid: string; parentId: number | null; rootId: number },
    subtree: number[],
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      try {
        const r = await tx
          .updateTable('resource_providers')
          .set({ name: changes.name, parent_provider_id: changes.parentId, updated_at: now() })
          .where('id', '=', id)
          .where('generation', '=', generation)
          .executeTakeFirst()
        if (Number(r.numUpdatedRows) === 0)
          throw new ConcurrentUpdate('resource provider generation conflict')
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new PlacementConflict(
            `Conflicting resource provider name: ${changes.name} already exists.`,
            'placement.duplicate_name',
          )
        }
        throw e
      }
      if (subtree.length) {
        await tx
          .updateTable('resource_providers')
          .set({ root_provider_id: changes.rootId })
          .where('id', 'in', subtree)
          .execute()
      }
      await bump(tx, this.dialect)
    })
  }

  /** Deletes a provider that has no allocations and no children (checked in the transaction). */
  async deleteProvider(id: number, generation: number, uuid: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const child = await tx
        .selectFrom('resource_providers')
        .select('id')
        .where('parent_provider_id', '=', id)
        .executeTakeFirst()
      if (child) {
        throw new PlacementConflict(
          `Unable to delete parent resource provider ${uuid}: It has child resource providers.`,
          'placement.resource_provider.cannot_delete_parent',
        )
      }
      const alloc = await tx
        .selectFrom('allocations')
        .select('id')
        .where('resource_provider_id', '=', id)
        .executeTakeFirst()
      if (alloc) {
        throw new PlacementConflict(
          `Unable to delete resource provider ${uuid}: Resource provider has allocations.`,
          'placement.resource_provider.inuse',
        )
      }
      await tx.deleteFrom('inventories').where('resource_provider_id', '=', id).execute()
      await tx.deleteFrom('resource_provider_traits').where('resource_provider_id', '=', id).execute()
      await tx.deleteFrom('resource_provider_aggregates').where('resource_provider_id', '=', id).execute()
      const r = await tx
        .deleteFrom('resource_providers')
        .where('id', '=', id)
        .where('generation', '=', generation)
        .executeTakeFirst()
      if (Number(r.numDeletedRows) === 0) throw new ConcurrentUpdate('resource provider generation conflict')
      await bump(tx, this.dialect)
    })
  }

  /**
   * Applies a write plan atomically; throws ConcurrentUpdate when a generation moved.
   * A deadlock or busy database (the transaction never took effect) is retried here.
   */
  async apply(plan: WritePlan): Promise<void> {
    await this.ensureOwners(plan.consumers ?? [])
    await this.ensureAggregates(plan.aggregates ?? [])
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.transaction().execute((tx) => this.applyIn(tx, plan))
        return
      } catch (e) {
        if (!isRetryableTransactionError(e) || attempt >= TX_RETRIES) throw e
        await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)))
      }
    }
  }

  private async applyIn(tx: Tx, plan: WritePlan): Promise<void> {
    const ts = now()
    const consumers = plan.consumers ?? []
    // Providers whose inventories, traits or aggregates this plan replaces are written
    // only if their generation is still the one the caller validated against.
    const strict = new Set<number>([
      ...(plan.inventories ?? []).map((i) => i.providerId),
      ...(plan.traits ?? []).map((t) => t.providerId),
      ...(plan.aggregates ?? []).map((a) => a.providerId),
    ])
    // NOTE: every provider row is locked first, in id order, so two writers lock in the
    // same order and never deadlock on them. A provider touched only by allocations is
    // locked without comparing its generation: its capacity is re-checked below against
    // the rows as they are once the lock is held, so concurrent claims queue on the
    // provider instead of failing their compare-and-swap.
    const providers = [...plan.providers].sort((a, b) => a.id - b.id)
    for (const p of providers) {
      const cas = consumers.length === 0 || strict.has(p.id)
      const q = tx
        .updateTable('resource_providers')
        .set({ generation: sql<number>`generation + 1`, updated_at: ts })
        .where('id', '=', p.id)
      const r = await (cas ? q.where('generation', '=', p.generation) : q).executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0) {
        throw new ConcurrentUpdate(p.conflictMessage ?? 'resource provider generation conflict')
      }
    }
    for (const inv of plan.inventories ?? []) await replaceInventories(tx, inv.providerId, inv.rows, ts)
    for (const t of plan.traits ?? []) {
      await tx
        .deleteFrom('resource_provider_traits')
        .where('resource_provider_id', '=', t.providerId)
        .execute()
      if (t.traitIds.length) {
        await tx
          .insertInto('resource_provider_traits')
          .values(
            t.traitIds.map((trait_id) => ({
              resource_provider_id: t.providerId,
              trait_id,
              created_at: ts,
            })),
          )
          .execute()
      }
    }
    for (const a of plan.aggregates ?? []) await this.replaceAggregates(tx, a.providerId, a.uuids, ts)
    if (consumers.length) {
      const before = await usageOf(tx, consumers)
      for (const c of consumers) await this.writeConsumer(tx, c, ts)
      await checkCapacity(tx, consumers, before)
    }
    await bump(tx, this.dialect, {
      kind: 'delta',
      providers: strict,
      generations: providers.map((p) => p.id),
      consumers: consumers.map((c) => c.uuid),
    })
  }

  private async replaceAggregates(tx: Tx, providerId: number, uuids: string[], ts: string) {
    const ids: number[] = []
    for (const uuid of uuids) {
      let row = await tx
        .selectFrom('placement_aggregates')
        .select('id')
        .where('uuid', '=', uuid)
        .executeTakeFirst()
      if (!row) {
        try {
          const id = await insertId(
            tx,
            this.dialect,
            tx.insertInto('placement_aggregates').values({ uuid, created_at: ts }),
          )
          row = { id }
        } catch (e) {
          if (!isUniqueViolation(e)) throw e
          throw new ConcurrentUpdate('Another thread concurrently created the aggregate; please retry.')
        }
      }
      ids.push(row.id)
    }
    await tx
      .deleteFrom('resource_provider_aggregates')
      .where('resource_provider_id', '=', providerId)
      .execute()
    if (ids.length) {
      await tx
        .insertInto('resource_provider_aggregates')
        .values(
          ids.map((aggregate_id) => ({ resource_provider_id: providerId, aggregate_id, created_at: ts })),
        )
        .execute()
    }
  }

  /**
   * Creates the projects, users and consumer types a write names, each in its own
   * statement before the write's transaction: two first claims by a new project
   * would otherwise collide on its unique key inside their transactions (fatal to a
   * PostgreSQL transaction), and one would fail for no reason of its own.
   */
  private async ensureOwners(consumers: ConsumerWrite[]): Promise<void> {
    const ts = now()
    const insertIgnoring = async (insert: () => Promise<unknown>) => {
      try {
        await insert()
      } catch (e) {
        if (!isUniqueViolation(e)) throw e
      }
    }
    for (const c of consumers) {
      if (c.allocations.length === 0) continue
      for (const [table, external] of [
        ['projects', c.projectId],
        ['users', c.userId],
      ] as const) {
        if (this.ownerIds.has(`${table}\0${external}`)) continue
        const row = await this.db
          .selectFrom(table)
          .select('id')
          .where('external_id', '=', external)
          .executeTakeFirst()
        if (row) this.ownerIds.set(`${table}\0${external}`, row.id)
        else
          await insertIgnoring(() =>
            this.db.insertInto(table).values({ external_id: external, created_at: ts }).execute(),
          )
      }
      const type = c.consumerType
      if (type !== undefined && !this.ownerIds.has(`consumer_types\0${type}`)) {
        const row = await this.db
          .selectFrom('consumer_types')
          .select('id')
          .where('name', '=', type)
          .executeTakeFirst()
        if (row) this.ownerIds.set(`consumer_types\0${type}`, row.id)
        else
          await insertIgnoring(() =>
            this.db
              .insertInto('consumer_types')
              .values({ name: type, created_at: ts, updated_at: null })
              .execute(),
          )
      }
    }
  }

  /**
   * Creates the aggregates a plan links that do not exist yet, before its transaction,
   * for the reason given at ensureOwners: two processes linking providers to one new
   * aggregate would otherwise collide on its uuid.
   */
  private async ensureAggregates(links: NonNullable<WritePlan['aggregates']>): Promise<void> {
    const ts = now()
    for (const uuid of new Set(links.flatMap((a) => a.uuids))) {
      const row = await this.db
        .selectFrom('placement_aggregates')
        .select('id')
        .where('uuid', '=', uuid)
        .executeTakeFirst()
      if (row) continue
      try {
        await this.db.insertInto('placement_aggregates').values({ uuid, created_at: ts }).execute()
      } catch (e) {
        if (!isUniqueViolation(e)) throw e
      }
    }
  }

  private async externalId(
    tx: Tx,
    table: 'projects' | 'users',
    external: string,
    ts: string,
  ): Promise<number> {
    const known = this.ownerIds.get(`${table}\0${external}`)
    if (known !== undefined) return known
    const row = await tx.selectFrom(table).select('id').where('external_id', '=', external).executeTakeFirst()
    if (row) return row.id
    try {
      return await insertId(
        tx,
        this.dialect,
        tx.insertInto(table).values({ external_id: external, created_at: ts }),
      )
    } catch (e) {
      if (!isUniqueViolation(e)) throw e
      throw new ConcurrentUpdate(
        `Another thread concurrently created ${table.slice(0, -1)} ${external}; please retry.`,
      )
    }
  }

  private async consumerTypeId(tx: Tx, name: string, ts: string): Promise<number> {
    const known = this.ownerIds.get(`consumer_types\0${name}`)
    if (known !== undefined) return known
    const row = await tx.selectFrom('consumer_types').select('id').where('name', '=', name).executeTakeFirst()
    if (row) return row.id
    try {
      return await insertId(
        tx,
        this.dialect,
        tx.insertInto('consumer_types').values({ name, created_at: ts, updated_at: null }),
      )
    } catch (e) {
      if (!isUniqueViolation(e)) throw e
      throw new ConcurrentUpdate('Another thread concurrently created the consumer type; please retry.')
    }
  }

  private async writeConsumer(tx: Tx, c: ConsumerWrite, ts: string) {
    await tx.deleteFrom('allocations').where('consumer_id', '=', c.uuid).execute()
    if (c.allocations.length === 0) {
      // A consumer without allocations is deleted (as upstream); the generation check
      // still guards the delete.
      if (c.exists) {
        const q = tx.deleteFrom('consumers').where('uuid', '=', c.uuid)
        const r = await (c.expectedGeneration === null
          ? q
          : q.where('generation', '=', c.expectedGeneration)
        ).executeTakeFirst()
        if (Number(r.numDeletedRows) === 0) throw new ConcurrentUpdate(c.conflictMessage)
      }
      return
    }
    const projectId = await this.externalId(tx, 'projects', c.projectId, ts)
    const userId = await this.externalId(tx, 'users', c.userId, ts)
    const typeId =
      c.consumerType === undefined ? undefined : await this.consumerTypeId(tx, c.consumerType, ts)
    if (c.exists) {
      const q = tx
        .updateTable('consumers')
        .set({
          project_id: projectId,
          user_id: userId,
          ...(typeId === undefined ? {} : { consumer_type_id: typeId }),
          generation: sql<number>`generation + 1`,
          updated_at: ts,
        })
        .where('uuid', '=', c.uuid)
      const r = await (c.expectedGeneration === null
        ? q
        : q.where('generation', '=', c.expectedGeneration)
      ).executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0) throw new ConcurrentUpdate(c.conflictMessage)
    } else {
      try {
        await tx
          .insertInto('consumers')
          .values({
            uuid: c.uuid,
            project_id: projectId,
            user_id: userId,
            consumer_type_id: typeId ?? null,
            generation: 1,
            created_at: ts,
            updated_at: ts,
          })
          .execute()
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConcurrentUpdate(c.conflictMessage)
        throw e
      }
    }
    await tx
      .insertInto('allocations')
      .values(
        c.allocations.map((a) => ({
          resource_provider_id: a.providerId,
          consumer_id: c.uuid,
          resource_class_id: a.resourceClassId,
          used: a.used,
          created_at: ts,
          updated_at: ts,
        })),
      )
      .execute()
  }

  async createResourceClass(id: number, name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const ts = now()
      const same = await tx
        .selectFrom('resource_classes')
        .select('id')
        .where('name', '=', name)
        .executeTakeFirst()
      if (same) throw new PlacementConflict(`Conflicting resource class already exists: ${name}`)
      try {
        await tx
          .insertInto('resource_classes')
          .values({ id, name, created_at: ts, updated_at: null })
          .execute()
      } catch (e) {
        if (!isUniqueViolation(e)) throw e
        throw new ConcurrentUpdate('Another thread concurrently created a resource class; please retry.')
      }
      await bump(tx, this.dialect, { kind: 'catalog' })
    })
  }

  async updateResourceClass(id: number, name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      try {
        await tx
          .updateTable('resource_classes')
          .set({ name, updated_at: now() })
          .where('id', '=', id)
          .execute()
      } catch (e) {
        if (isUniqueViolation(e)) throw new PlacementConflict(`Resource class already exists: ${name}`)
        throw e
      }
      await bump(tx, this.dialect)
    })
  }

  /** Deletes a custom class unless some inventory still uses it. */
  async deleteResourceClass(id: number, name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const used = await tx
        .selectFrom('inventories')
        .select('id')
        .where('resource_class_id', '=', id)
        .executeTakeFirst()
      if (used)
        throw new PlacementConflict(`Error in delete resource class: Class is in use in inventory: ${name}`)
      await tx.deleteFrom('resource_classes').where('id', '=', id).execute()
      await bump(tx, this.dialect, { kind: 'catalog' })
    })
  }

  async createTrait(name: string): Promise<boolean> {
    const exists = await this.db.selectFrom('traits').select('id').where('name', '=', name).executeTakeFirst()
    if (exists) return false
    try {
      return await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('traits').values({ name, created_at: now(), updated_at: null }).execute()
        await bump(tx, this.dialect, { kind: 'catalog' })
        return true
      })
    } catch (e) {
      // Another process created it since the check: it exists, which is all PUT asks.
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  /** Deletes a custom trait unless a provider has it. */
  async deleteTrait(id: number, name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const used = await tx
        .selectFrom('resource_provider_traits')
        .select('trait_id')
        .where('trait_id', '=', id)
        .executeTakeFirst()
      if (used) throw new PlacementConflict(`The trait ${name} is in use by a resource provider.`)
      await tx.deleteFrom('traits').where('id', '=', id).execute()
      await bump(tx, this.dialect, { kind: 'catalog' })
    })
  }

  /** Test and benchmark support: empties every table (never exposed over HTTP). */
  async truncate(): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const t of [
        'allocations',
        'consumers',
        'inventories',
        'resource_provider_traits',
        'resource_provider_aggregates',
        'placement_aggregates',
        'resource_providers',
        'projects',
        'users',
        'consumer_types',
        'resource_classes',
      ] as const) {
        await tx.deleteFrom(t).execute()
      }
      await tx.deleteFrom('traits').where('name', 'like', 'CUSTOM\\_%').execute()
      await bump(tx, this.dialect)
    })
  }
}

type PairKey = `${number}:${number}`
const pairKey = (providerId: number, resourceClassId: number): PairKey => `${providerId}:${resourceClassId}`

/** What the consumers being replaced hold now, per provider and class. */
async function usageOf(tx: Tx, consumers: ConsumerWrite[]): Promise<Map<PairKey, number>> {
  const out = new Map<PairKey, number>()
  const existing = consumers.filter((c) => c.exists).map((c) => c.uuid)
  if (existing.length === 0) return out
  const rows = await tx
    .selectFrom('allocations')
    .select(['resource_provider_id', 'resource_class_id', 'used'])
    .where('consumer_id', 'in', existing)
    .execute()
  for (const r of rows) {
    const k = pairKey(r.resource_provider_id, r.resource_class_id)
    out.set(k, (out.get(k) ?? 0) + Number(r.used))
  }
  return out
}

/**
 * The capacity guarantee, checked inside the write transaction once the providers'
 * rows are locked, against the inventories and allocations as they are in the
 * database (not as this process's index saw them): every new allocation must fit its
 * inventory's min_unit, max_unit and step_size, and every (provider, class) whose usage
 * grows must stay within (total - reserved) * allocation_ratio.
 */
async function checkCapacity(
  tx: Tx,
  consumers: ConsumerWrite[],
  before: Map<PairKey, number>,
): Promise<void> {
  const wanted = new Map<PairKey, { providerId: number; resourceClassId: number; amounts: number[] }>()
  for (const c of consumers) {
    for (const a of c.allocations) {
      const k = pairKey(a.providerId, a.resourceClassId)
      const w = wanted.get(k) ?? { providerId: a.providerId, resourceClassId: a.resourceClassId, amounts: [] }
      w.amounts.push(a.used)
      wanted.set(k, w)
    }
  }
  if (wanted.size === 0) return
  const providerIds = [...new Set([...wanted.values()].map((w) => w.providerId))]
  const inventories = await tx
    .selectFrom('inventories')
    .selectAll()
    .where('resource_provider_id', 'in', providerIds)
    .execute()
  const invByPair = new Map(inventories.map((i) => [pairKey(i.resource_provider_id, i.resource_class_id), i]))
  const sums = await tx
    .selectFrom('allocations')
    .select(['resource_provider_id', 'resource_class_id', (eb) => eb.fn.sum<number>('used').as('used')])
    .where('resource_provider_id', 'in', providerIds)
    .groupBy(['resource_provider_id', 'resource_class_id'])
    .execute()
  const usedByPair = new Map(
    sums.map((r) => [pairKey(r.resource_provider_id, r.resource_class_id), Number(r.used)]),
  )
  for (const [k, w] of wanted) {
    const inv = invByPair.get(k)
    if (!inv) {
      const { rc, rp } = await namesOf(tx, w.providerId, w.resourceClassId)
      throw new PlacementConflict(
        `Unable to allocate inventory: Inventory for '${rc}' on resource provider '${rp}' invalid.`,
      )
    }
    if (w.amounts.some((n) => n < inv.min_unit || n > inv.max_unit || n % inv.step_size !== 0)) {
      const { rc, rp } = await namesOf(tx, w.providerId, w.resourceClassId)
      throw new PlacementConflict(
        `Unable to allocate inventory: Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would violate inventory constraints.`,
      )
    }
    const used = usedByPair.get(k) ?? 0
    // Only a growing usage is refused: a consumer may keep (or shrink) what it holds
    // on a provider whose inventory was since lowered below its usage.
    const grew = w.amounts.reduce((sum, n) => sum + n, 0) > (before.get(k) ?? 0)
    const capacity = Math.floor((inv.total - inv.reserved) * inv.allocation_ratio + 1e-9)
    if (grew && used > capacity) {
      const { rc, rp } = await namesOf(tx, w.providerId, w.resourceClassId)
      throw new PlacementConflict(
        `Unable to allocate inventory: Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would exceed the capacity.`,
      )
    }
  }
}

async function namesOf(
  tx: Tx,
  providerId: number,
  resourceClassId: number,
): Promise<{ rc: string; rp: string }> {
  const rp = await tx
    .selectFrom('resource_providers')
    .select('uuid')
    .where('id', '=', providerId)
    .executeTakeFirst()
  // Standard classes live in code (ids 0..20), custom ones in the table.
  const standard = STANDARD_RESOURCE_CLASSES[resourceClassId]
  const rc = standard
    ? { name: standard }
    : await tx
        .selectFrom('resource_classes')
        .select('name')
        .where('id', '=', resourceClassId)
        .executeTakeFirst()
  return { rc: rc?.name ?? String(resourceClassId), rp: rp?.uuid ?? String(providerId) }
}

async function replaceInventories(tx: Tx, providerId: number, rows: InventoryRow[], ts: string) {
  const existing = await tx
    .selectFrom('inventories')
    .select(['id', 'resource_class_id'])
    .where('resource_provider_id', '=', providerId)
    .execute()
  const byRc = new Map(existing.map((r) => [r.resource_class_id, r.id]))
  const keep = new Set(rows.map((r) => r.resourceClassId))
  const gone = existing.filter((r) => !keep.has(r.resource_class_id)).map((r) => r.id)
  if (gone.length) await tx.deleteFrom('inventories').where('id', 'in', gone).execute()
  for (const r of rows) {
    const values = {
      total: r.total,
      reserved: r.reserved,
      min_unit: r.minUnit,
      max_unit: r.maxUnit,
      step_size: r.stepSize,
      allocation_ratio: r.allocationRatio,
    }
    const id = byRc.get(r.resourceClassId)
    if (id !== undefined)
      await tx
        .updateTable('inventories')
        .set({ ...values, updated_at: ts })
        .where('id', '=', id)
        .execute()
    else {
      await tx
        .insertInto('inventories')
        .values({
          ...values,
          resource_provider_id: providerId,
          resource_class_id: r.resourceClassId,
          created_at: ts,
          updated_at: null,
        })
        .execute()
    }
  }
}
