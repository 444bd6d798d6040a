/** Volume types, their extra specs, their project access and per-project defaults: the only SQL on them. */
import type { Kysely, Selectable } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { TypeEncryptionTable, VolumeDatabase, VolumeTypesTable } from './schema.js'

export type EncryptionRow = Selectable<TypeEncryptionTable>

export type TypeRow = Selectable<VolumeTypesTable>
export interface TypeRecord extends TypeRow {
  extra_specs: Record<string, string>
}

export class TypeRepo {
  constructor(private readonly db: Kysely<VolumeDatabase>) {}

  /** Inserts a type; false when the name is taken. */
  async create(row: TypeRow, specs: Record<string, string>): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('volume_types').values(row).execute()
        const rows = Object.entries(specs).map(([key, value]) => ({ volume_type_id: row.id, key, value }))
        if (rows.length) await trx.insertInto('volume_type_extra_specs').values(rows).execute()
      })
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  async get(id: string): Promise<TypeRecord | undefined> {
    const row = await this.db.selectFrom('volume_types').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? (await this.decorate([row]))[0] : undefined
  }

  async byName(name: string): Promise<TypeRecord | undefined> {
    const row = await this.db
      .selectFrom('volume_types')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst()
    return row ? (await this.decorate([row]))[0] : undefined
  }

  /** Types a project sees: public ones and private ones it was given (all when `projectId` is undefined). */
  async list(opts: { projectId?: string; isPublic?: boolean }): Promise<TypeRecord[]> {
    let q = this.db.selectFrom('volume_types').selectAll()
    if (opts.isPublic !== undefined) q = q.where('is_public', '=', opts.isPublic ? 1 : 0)
    if (opts.projectId !== undefined) {
      const p = opts.projectId
      q = q.where((eb) =>
        eb.or([
          eb('is_public', '=', 1),
          eb.exists(
            eb
              .selectFrom('volume_type_projects')
              .select('volume_type_projects.volume_type_id')
              .whereRef('volume_type_projects.volume_type_id', '=', 'volume_types.id')
              .where('volume_type_projects.project_id', '=', p),
          ),
        ]),
      )
    }
    return this.decorate(await q.orderBy('created_at').orderBy('id').execute())
  }

  private async decorate(rows: TypeRow[]): Promise<TypeRecord[]> {
    if (!rows.length) return []
    const specs = await this.db
      .selectFrom('volume_type_extra_specs')
      .selectAll()
      .where(
        'volume_type_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute()
    return rows.map((r) => ({
      ...r,
      extra_specs: Object.fromEntries(
        specs.filter((s) => s.volume_type_id === r.id).map((s) => [s.key, s.value]),
      ),
    }))
  }

  /** Updates fields; false when the new name is taken. */
  async update(id: string, set: Partial<TypeRow>): Promise<boolean> {
    try {
      await this.db
        .updateTable('volume_types')
        .set({ ...set, updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute()
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('volume_type_extra_specs').where('volume_type_id', '=', id).execute()
      await trx.deleteFrom('volume_type_projects').where('volume_type_id', '=', id).execute()
      await trx.deleteFrom('volume_default_types').where('volume_type_id', '=', id).execute()
      await trx.deleteFrom('volume_type_encryption').where('volume_type_id', '=', id).execute()
      await trx.deleteFrom('volume_types').where('id', '=', id).execute()
    })
  }

  async setSpecs(id: string, specs: Record<string, string>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const keys = Object.keys(specs)
      if (!keys.length) return
      await trx
        .deleteFrom('volume_type_extra_specs')
        .where('volume_type_id', '=', id)
        .where('key', 'in', keys)
        .execute()
      await trx
        .insertInto('volume_type_extra_specs')
        .values(keys.map((key) => ({ volume_type_id: id, key, value: specs[key]! })))
        .execute()
    })
  }

  async deleteSpec(id: string, key: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('volume_type_extra_specs')
      .where('volume_type_id', '=', id)
      .where('key', '=', key)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async projects(id: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('volume_type_projects')
      .select('project_id')
      .where('volume_type_id', '=', id)
      .orderBy('project_id')
      .execute()
    return rows.map((r) => r.project_id)
  }

  async addProject(id: string, projectId: string): Promise<boolean> {
    try {
      await this.db
        .insertInto('volume_type_projects')
        .values({ volume_type_id: id, project_id: projectId })
        .execute()
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  async removeProject(id: string, projectId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('volume_type_projects')
      .where('volume_type_id', '=', id)
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async projectDefault(projectId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('volume_default_types')
      .select('volume_type_id')
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return r?.volume_type_id
  }

  async defaults(): Promise<{ project_id: string; volume_type_id: string }[]> {
    return this.db.selectFrom('volume_default_types').selectAll().orderBy('project_id').execute()
  }

  async setProjectDefault(projectId: string, typeId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('volume_default_types').where('project_id', '=', projectId).execute()
      await trx
        .insertInto('volume_default_types')
        .values({ project_id: projectId, volume_type_id: typeId })
        .execute()
    })
  }

  async unsetProjectDefault(projectId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('volume_default_types')
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async encryption(typeId: string): Promise<EncryptionRow | undefined> {
    return this.db
      .selectFrom('volume_type_encryption')
      .selectAll()
      .where('volume_type_id', '=', typeId)
      .executeTakeFirst()
  }

  /** Adds a type's encryption; false when it has one. */
  async createEncryption(row: EncryptionRow): Promise<boolean> {
    try {
      await this.db.insertInto('volume_type_encryption').values(row).execute()
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  async updateEncryption(typeId: string, set: Partial<EncryptionRow>): Promise<void> {
    await this.db
      .updateTable('volume_type_encryption')
      .set({ ...set, updated_at: new Date().toISOString() })
      .where('volume_type_id', '=', typeId)
      .execute()
  }

  async deleteEncryption(typeId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('volume_type_encryption')
      .where('volume_type_id', '=', typeId)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }
}
