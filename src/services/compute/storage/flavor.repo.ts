/**
 * Flavors, their tenant access and their extra specs: the only SQL on these tables.
 * Visibility (public, or private with access for a project) is a query filter here;
 * sorting and paging are the domain's.
 */
import type { Kysely } from 'kysely'
import { type Dialect, isUniqueViolation } from '../../../kernel/db/index.js'
import { insertId } from './insert-id.js'
import type { ComputeDatabase, FlavorsTable } from './schema.js'

export type FlavorRow = Omit<FlavorsTable, 'id'> & { id: number }
export type NewFlavorRow = Omit<FlavorRow, 'id' | 'created_at' | 'updated_at'>

export interface FlavorFilter {
  /** true: public ones (plus private ones `projectId` may use); false: private only; null: all. */
  isPublic: boolean | null
  projectId?: string
  /** Leave out disabled flavors. */
  enabledOnly?: boolean
  minMemoryMb?: number
  minRootGb?: number
}

/** Why an insert was refused: the name or the flavor id is taken. */
export type FlavorClash = 'name' | 'flavorid'

export class FlavorRepo {
  constructor(
    private readonly db: Kysely<ComputeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  async list(f: FlavorFilter): Promise<FlavorRow[]> {
    let q = this.db.selectFrom('flavors').selectAll()
    if (f.enabledOnly) q = q.where('disabled', '=', 0)
    if (f.minMemoryMb !== undefined) q = q.where('memory_mb', '>=', f.minMemoryMb)
    if (f.minRootGb !== undefined) q = q.where('root_gb', '>=', f.minRootGb)
    if (f.isPublic === false) q = q.where('is_public', '=', 0)
    if (f.isPublic === true) {
      const project = f.projectId
      q = project
        ? q.where((eb) =>
            eb.or([
              eb('is_public', '=', 1),
              eb(
                'id',
                'in',
                eb.selectFrom('flavor_projects').select('flavor_id').where('project_id', '=', project),
              ),
            ]),
          )
        : q.where('is_public', '=', 1)
    }
    return q.orderBy('id').execute()
  }

  /** A flavor by its API id; with `visibleTo`, a private one only if that project has access. */
  async byFlavorId(flavorid: string, visibleTo?: string): Promise<FlavorRow | undefined> {
    let q = this.db.selectFrom('flavors').selectAll().where('flavorid', '=', flavorid)
    if (visibleTo !== undefined)
      q = q.where((eb) =>
        eb.or([
          eb('is_public', '=', 1),
          eb(
            'id',
            'in',
            eb.selectFrom('flavor_projects').select('flavor_id').where('project_id', '=', visibleTo),
          ),
        ]),
      )
    return q.executeTakeFirst()
  }

  /** Inserts a flavor; answers which unique field clashed instead of throwing. */
  async create(values: NewFlavorRow, now: string): Promise<FlavorRow | FlavorClash> {
    return this.db.transaction().execute(async (tx) => {
      const clash = await tx
        .selectFrom('flavors')
        .select(['name', 'flavorid'])
        .where((eb) => eb.or([eb('name', '=', values.name), eb('flavorid', '=', values.flavorid)]))
        .executeTakeFirst()
      if (clash) return clash.flavorid === values.flavorid ? 'flavorid' : 'name'
      try {
        const id = await insertId(
          this.dialect,
          tx.insertInto('flavors').values({ ...values, created_at: now, updated_at: null }),
        )
        return { ...values, id, created_at: now, updated_at: null }
      } catch (e) {
        // NOTE: a concurrent create of the same name or id lost the race after our check.
        if (isUniqueViolation(e)) return 'name'
        throw e
      }
    })
  }

  async updateDescription(id: number, description: string | null, now: string): Promise<void> {
    await this.db.updateTable('flavors').set({ description, updated_at: now }).where('id', '=', id).execute()
  }

  async delete(id: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', id).execute()
      await tx.deleteFrom('flavor_projects').where('flavor_id', '=', id).execute()
      const r = await tx.deleteFrom('flavors').where('id', '=', id).executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    })
  }

  async extraSpecs(id: number): Promise<Record<string, string>> {
    const rows = await this.db
      .selectFrom('flavor_extra_specs')
      .select(['key', 'value'])
      .where('flavor_id', '=', id)
      .orderBy('key')
      .execute()
    return Object.fromEntries(rows.map((r) => [r.key, r.value]))
  }

  /** Extra specs of many flavors at once (list views). */
  async extraSpecsOf(ids: readonly number[]): Promise<Map<number, Record<string, string>>> {
    const out = new Map<number, Record<string, string>>(ids.map((id) => [id, {}]))
    if (ids.length === 0) return out
    const rows = await this.db
      .selectFrom('flavor_extra_specs')
      .select(['flavor_id', 'key', 'value'])
      .where('flavor_id', 'in', [...ids])
      .execute()
    for (const r of rows) out.get(r.flavor_id)![r.key] = r.value
    return out
  }

  /** Adds or replaces the given keys; other keys stay. */
  async setExtraSpecs(id: number, specs: Readonly<Record<string, string>>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const [key, value] of Object.entries(specs)) {
        const r = await tx
          .updateTable('flavor_extra_specs')
          .set({ value })
          .where('flavor_id', '=', id)
          .where('key', '=', key)
          .executeTakeFirst()
        if (Number(r.numUpdatedRows) === 0)
          await tx.insertInto('flavor_extra_specs').values({ flavor_id: id, key, value }).execute()
      }
    })
  }

  async deleteExtraSpec(id: number, key: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('flavor_extra_specs')
      .where('flavor_id', '=', id)
      .where('key', '=', key)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async projects(id: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('flavor_projects')
      .select('project_id')
      .where('flavor_id', '=', id)
      .orderBy('project_id')
      .execute()
    return rows.map((r) => r.project_id)
  }

  /** False when the project already had access. */
  async addProject(id: number, projectId: string): Promise<boolean> {
    try {
      await this.db.insertInto('flavor_projects').values({ flavor_id: id, project_id: projectId }).execute()
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  /** False when the project had no access. */
  async removeProject(id: number, projectId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('flavor_projects')
      .where('flavor_id', '=', id)
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }
}
