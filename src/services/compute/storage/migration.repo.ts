/**
 * Migration records: the only SQL on `migrations`. Status changes are compare-and-swap
 * on the current status, so a confirm and a revert (or an abort and the end of the
 * transfer) cannot both win.
 */
import type { Kysely, Selectable } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { insertId } from './insert-id.js'
import type { ComputeDatabase, MigrationsTable } from './schema.js'

export type MigrationRow = Selectable<MigrationsTable>
export type NewMigration = Omit<MigrationRow, 'id'>

export interface MigrationFilter {
  instanceUuid?: string
  /** Either end (upstream's `host` filter). */
  host?: string
  sourceCompute?: string
  status?: string
  statuses?: readonly string[]
  migrationType?: string
  projectId?: string
  userId?: string
  changesSince?: string
  changesBefore?: string
  /** id below this (paging newest first). */
  beforeId?: number
  limit?: number
  /** Hidden records (the cross-cell bookkeeping upstream hides) are left out unless asked. */
  withHidden?: boolean
}

export class MigrationRepo {
  constructor(
    readonly db: Kysely<ComputeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  async create(m: NewMigration, trx: Kysely<ComputeDatabase> = this.db): Promise<MigrationRow> {
    const id = await insertId(this.dialect, trx.insertInto('migrations').values(m))
    return { ...m, id }
  }

  async get(uuid: string): Promise<MigrationRow | undefined> {
    return this.db.selectFrom('migrations').selectAll().where('uuid', '=', uuid).executeTakeFirst()
  }

  async byId(id: number): Promise<MigrationRow | undefined> {
    return this.db.selectFrom('migrations').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /** The instance's newest migration in one of `statuses`. */
  async latestFor(instanceUuid: string, statuses: readonly string[]): Promise<MigrationRow | undefined> {
    if (statuses.length === 0) return undefined
    return this.db
      .selectFrom('migrations')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .where('status', 'in', statuses)
      .orderBy('id', 'desc')
      .executeTakeFirst()
  }

  /** Newest first. */
  async list(f: MigrationFilter): Promise<MigrationRow[]> {
    let q = this.db.selectFrom('migrations').selectAll()
    if (!f.withHidden) q = q.where('hidden', '=', 0)
    if (f.instanceUuid) q = q.where('instance_uuid', '=', f.instanceUuid)
    if (f.host) {
      const host = f.host
      q = q.where((eb) => eb.or([eb('source_compute', '=', host), eb('dest_compute', '=', host)]))
    }
    if (f.sourceCompute) q = q.where('source_compute', '=', f.sourceCompute)
    if (f.status) q = q.where('status', '=', f.status)
    if (f.statuses) q = q.where('status', 'in', f.statuses.length ? f.statuses : ['-'])
    if (f.migrationType) q = q.where('migration_type', '=', f.migrationType)
    if (f.projectId) q = q.where('project_id', '=', f.projectId)
    if (f.userId) q = q.where('user_id', '=', f.userId)
    if (f.changesSince) q = q.where('updated_at', '>=', f.changesSince)
    if (f.changesBefore) q = q.where('updated_at', '<=', f.changesBefore)
    if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId)
    q = q.orderBy('created_at', 'desc').orderBy('id', 'desc')
    if (f.limit !== undefined) q = q.limit(f.limit)
    return q.execute()
  }

  /** Moves the status from one of `from` (and sets the rest); false when it was not in one. */
  async updateIf(
    uuid: string,
    from: readonly string[],
    values: Partial<Omit<MigrationRow, 'id' | 'uuid'>>,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('migrations')
      .set({ ...values, updated_at: new Date().toISOString() })
      .where('uuid', '=', uuid)
      .where('status', 'in', from)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  async update(uuid: string, values: Partial<Omit<MigrationRow, 'id' | 'uuid'>>): Promise<void> {
    await this.db
      .updateTable('migrations')
      .set({ ...values, updated_at: new Date().toISOString() })
      .where('uuid', '=', uuid)
      .execute()
  }

  /** Resizes and cold migrations waiting for confirmation since before `before`. */
  async finishedBefore(before: string): Promise<MigrationRow[]> {
    return this.db
      .selectFrom('migrations')
      .selectAll()
      .where('status', '=', 'finished')
      .where('updated_at', '<=', before)
      .execute()
  }

  /** Migrations in one of `statuses` (what a restarted conductor picks up again). */
  async inStatuses(statuses: readonly string[]): Promise<MigrationRow[]> {
    return this.db.selectFrom('migrations').selectAll().where('status', 'in', statuses).execute()
  }
}

/** A server's system metadata (`instance_system_metadata`), e.g. `shelved_image_id`. */
export class SystemMetadataRepo {
  constructor(private readonly db: Kysely<ComputeDatabase>) {}

  async get(uuid: string, key: string): Promise<string | null | undefined> {
    const row = await this.db
      .selectFrom('instance_system_metadata')
      .select('value')
      .where('instance_uuid', '=', uuid)
      .where('key', '=', key)
      .executeTakeFirst()
    return row?.value
  }

  async set(uuid: string, key: string, value: string | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('instance_system_metadata')
        .where('instance_uuid', '=', uuid)
        .where('key', '=', key)
        .execute()
      await trx.insertInto('instance_system_metadata').values({ instance_uuid: uuid, key, value }).execute()
    })
  }

  async delete(uuid: string, key: string): Promise<void> {
    await this.db
      .deleteFrom('instance_system_metadata')
      .where('instance_uuid', '=', uuid)
      .where('key', '=', key)
      .execute()
  }
}
