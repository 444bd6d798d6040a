/**
 * The state reads: the change counter, the whole state the in-memory index is built
 * from (one consistent read), and the rows a run of change-log entries touched. No
 * writes here (write-plan.repo.ts).
 */
import type { Kysely } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import type { ChangeRows, StateRows } from '../domain/model.js'
import type { PlacementDatabase } from './schema.js'
import { chunks } from './sql.js'

export class StateRepo {
  private readonly projects = new Map<number, { id: number; external_id: string }>()
  private readonly users = new Map<number, { id: number; external_id: string }>()
  private readonly consumerTypes = new Map<number, { id: number; name: string }>()

  constructor(
    readonly db: Kysely<PlacementDatabase>,
    readonly dialect: Dialect,
  ) {}

  /** The change counter; one cheap indexed read. */
  async counter(): Promise<string> {
    const row = await this.db
      .selectFrom('placement_changes')
      .select('counter')
      .where('id', '=', 1)
      .executeTakeFirst()
    return String(row?.counter ?? 0)
  }

  /** Every row the index needs, read in one transaction so they agree with each other. */
  async loadState(): Promise<StateRows> {
    const read = async (tx: Kysely<PlacementDatabase>): Promise<StateRows> => {
      const counter = await tx
        .selectFrom('placement_changes')
        .select('counter')
        .where('id', '=', 1)
        .executeTakeFirst()
      const [
        providers,
        inventories,
        allocations,
        consumers,
        projects,
        users,
        consumerTypes,
        resourceClasses,
        traits,
        aggregates,
        providerAggregates,
        providerTraits,
      ] = [
        await tx.selectFrom('resource_providers').selectAll().orderBy('id').execute(),
        await tx.selectFrom('inventories').selectAll().orderBy('id').execute(),
        await tx.selectFrom('allocations').selectAll().orderBy('id').execute(),
        await tx.selectFrom('consumers').selectAll().orderBy('id').execute(),
        await tx.selectFrom('projects').select(['id', 'external_id']).execute(),
        await tx.selectFrom('users').select(['id', 'external_id']).execute(),
        await tx.selectFrom('consumer_types').select(['id', 'name']).execute(),
        await tx.selectFrom('resource_classes').selectAll().orderBy('id').execute(),
        await tx.selectFrom('traits').selectAll().orderBy('name').execute(),
        await tx.selectFrom('placement_aggregates').select(['id', 'uuid']).execute(),
        await tx
          .selectFrom('resource_provider_aggregates')
          .select(['resource_provider_id', 'aggregate_id'])
          .execute(),
        await tx
          .selectFrom('resource_provider_traits')
          .select(['resource_provider_id', 'trait_id'])
          .execute(),
      ]
      return {
        counter: String(counter?.counter ?? 0),
        providers,
        inventories,
        allocations,
        consumers,
        projects,
        users,
        consumerTypes,
        resourceClasses,
        traits,
        aggregates,
        providerAggregates,
        providerTraits,
      }
    }
    if (this.dialect === 'sqlite') return this.db.transaction().execute(read)
    return this.db.transaction().setIsolationLevel('repeatable read').execute(read)
  }

  /**
   * What changed since the index saw counter `since`: the change log's entries up to
   * the current counter and the current rows of the providers and consumers they name,
   * read in one transaction. `full` when the log cannot say (a change it does not
   * describe, entries pruned, or more than `maxEntries` behind): reload everything.
   */
  async loadChanges(since: string, maxEntries = 5000): Promise<ChangeRows> {
    const read = async (tx: Kysely<PlacementDatabase>): Promise<ChangeRows> => {
      // NOTE: every write logs one entry under the counter's new value, and the counter
      // row stays locked until the writer commits, so the newest entry seen is the
      // counter (the counter row itself is not read again).
      const log = await tx
        .selectFrom('placement_change_log')
        .selectAll()
        .where('seq', '>', Number(since))
        .orderBy('seq')
        .limit(maxEntries + 1)
        .execute()
      const counter = String(log.length ? log[log.length - 1]!.seq : since)
      const out: ChangeRows = {
        counter,
        full: true,
        catalog: undefined,
        providerIds: [],
        providers: [],
        inventories: [],
        providerTraits: [],
        providerAggregates: [],
        aggregates: [],
        consumerUuids: [],
        consumers: [],
        allocations: [],
        projects: [],
        users: [],
        consumerTypes: [],
      }
      const from = Number(since)
      const to = Number(counter)
      if (log.length === 0 || to - from > maxEntries) return out
      if (log.length !== to - from || log.some((e) => e.kind === 'full')) return out
      const providerIds = new Set<number>()
      const generationIds = new Set<number>()
      const consumerUuids = new Set<string>()
      for (const e of log) {
        for (const id of e.providers ? e.providers.split(',') : [])
          if (id.startsWith('g')) generationIds.add(Number(id.slice(1)))
          else providerIds.add(Number(id))
        for (const uuid of e.consumers ? e.consumers.split(',') : []) consumerUuids.add(uuid)
      }
      const generationOnly = [...generationIds].filter((id) => !providerIds.has(id))
      out.full = false
      if (log.some((e) => e.kind === 'catalog')) {
        out.catalog = {
          resourceClasses: await tx.selectFrom('resource_classes').selectAll().orderBy('id').execute(),
          traits: await tx.selectFrom('traits').selectAll().orderBy('name').execute(),
        }
      }
      out.providerIds = [...providerIds, ...generationOnly]
      out.generationOnly = generationOnly
      out.consumerUuids = [...consumerUuids]
      for (const ids of chunks(out.providerIds))
        out.providers.push(
          ...(await tx
            .selectFrom('resource_providers')
            .selectAll()
            .where('id', 'in', ids)
            .orderBy('id')
            .execute()),
        )
      for (const ids of chunks([...providerIds])) {
        out.inventories.push(
          ...(await tx
            .selectFrom('inventories')
            .selectAll()
            .where('resource_provider_id', 'in', ids)
            .orderBy('id')
            .execute()),
        )
        out.providerTraits.push(
          ...(await tx
            .selectFrom('resource_provider_traits')
            .select(['resource_provider_id', 'trait_id'])
            .where('resource_provider_id', 'in', ids)
            .execute()),
        )
        out.providerAggregates.push(
          ...(await tx
            .selectFrom('resource_provider_aggregates')
            .select(['resource_provider_id', 'aggregate_id'])
            .where('resource_provider_id', 'in', ids)
            .execute()),
        )
      }
      for (const ids of chunks([...new Set(out.providerAggregates.map((r) => r.aggregate_id))])) {
        out.aggregates.push(
          ...(await tx
            .selectFrom('placement_aggregates')
            .select(['id', 'uuid'])
            .where('id', 'in', ids)
            .execute()),
        )
      }
      for (const uuids of chunks(out.consumerUuids)) {
        out.consumers.push(
          ...(await tx
            .selectFrom('consumers')
            .selectAll()
            .where('uuid', 'in', uuids)
            .orderBy('id')
            .execute()),
        )
        out.allocations.push(
          ...(await tx
            .selectFrom('allocations')
            .selectAll()
            .where('consumer_id', 'in', uuids)
            .orderBy('id')
            .execute()),
        )
      }
      // Projects, users and consumer types are never deleted: each is read once.
      const unknownProjects = [...new Set(out.consumers.map((c) => c.project_id))].filter(
        (id) => !this.projects.has(id),
      )
      for (const ids of chunks(unknownProjects))
        for (const r of await tx
          .selectFrom('projects')
          .select(['id', 'external_id'])
          .where('id', 'in', ids)
          .execute())
          this.projects.set(r.id, r)
      const unknownUsers = [...new Set(out.consumers.map((c) => c.user_id))].filter(
        (id) => !this.users.has(id),
      )
      for (const ids of chunks(unknownUsers))
        for (const r of await tx
          .selectFrom('users')
          .select(['id', 'external_id'])
          .where('id', 'in', ids)
          .execute())
          this.users.set(r.id, r)
      if (
        out.consumers.some((c) => c.consumer_type_id !== null && !this.consumerTypes.has(c.consumer_type_id))
      )
        for (const r of await tx.selectFrom('consumer_types').select(['id', 'name']).execute())
          this.consumerTypes.set(r.id, r)
      const projects = new Set(out.consumers.map((c) => this.projects.get(c.project_id)))
      const users = new Set(out.consumers.map((c) => this.users.get(c.user_id)))
      out.projects = [...projects].filter((r) => r !== undefined)
      out.users = [...users].filter((r) => r !== undefined)
      if (out.consumers.length) out.consumerTypes = [...this.consumerTypes.values()]
      return out
    }
    if (this.dialect === 'sqlite') return this.db.transaction().execute(read)
    return this.db.transaction().setIsolationLevel('repeatable read').execute(read)
  }
}
