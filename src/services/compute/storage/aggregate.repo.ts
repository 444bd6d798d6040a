/**
 * Host aggregates with their hosts and metadata (the availability zone is the
 * `availability_zone` metadata key): the only SQL on `aggregate*`.
 */
import type { Kysely, Transaction } from 'kysely'
import { type Dialect, isUniqueViolation } from '../../../kernel/db/index.js'
import { insertId } from './insert-id.js'
import type { AggregatesTable, ComputeDatabase } from './schema.js'

export type AggregateRow = Omit<AggregatesTable, 'id'> & {
  id: number
  hosts: string[]
  metadata: Record<string, string>
}

type Tx = Transaction<ComputeDatabase>

export class AggregateRepo {
  constructor(
    private readonly db: Kysely<ComputeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  async list(): Promise<AggregateRow[]> {
    const rows = await this.db.selectFrom('aggregates').selectAll().orderBy('id').execute()
    return this.complete(this.db, rows)
  }

  async get(id: number): Promise<AggregateRow | undefined> {
    const row = await this.db.selectFrom('aggregates').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? (await this.complete(this.db, [row]))[0] : undefined
  }

  /** Undefined when the name is taken. */
  async create(
    values: { uuid: string; name: string; metadata: Record<string, string> },
    now: string,
  ): Promise<AggregateRow | undefined> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        const taken = await tx
          .selectFrom('aggregates')
          .select('id')
          .where('name', '=', values.name)
          .executeTakeFirst()
        if (taken) return undefined
        const id = await insertId(
          this.dialect,
          tx
            .insertInto('aggregates')
            .values({ uuid: values.uuid, name: values.name, created_at: now, updated_at: null }),
        )
        await this.writeMetadata(tx, id, values.metadata)
        return {
          id,
          uuid: values.uuid,
          name: values.name,
          created_at: now,
          updated_at: null,
          hosts: [],
          metadata: { ...values.metadata },
        }
      })
    } catch (e) {
      if (isUniqueViolation(e)) return undefined
      throw e
    }
  }

  /** False when another aggregate has the name. */
  async rename(id: number, name: string, now: string): Promise<boolean> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        const taken = await tx
          .selectFrom('aggregates')
          .select('id')
          .where('name', '=', name)
          .where('id', '!=', id)
          .executeTakeFirst()
        if (taken) return false
        await tx.updateTable('aggregates').set({ name, updated_at: now }).where('id', '=', id).execute()
        return true
      })
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  /** Sets keys; a null value removes its key. */
  async updateMetadata(
    id: number,
    changes: Readonly<Record<string, string | null>>,
    now: string,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const set: Record<string, string> = {}
      for (const [key, value] of Object.entries(changes)) {
        if (value === null)
          await tx
            .deleteFrom('aggregate_metadata')
            .where('aggregate_id', '=', id)
            .where('key', '=', key)
            .execute()
        else set[key] = value
      }
      await this.writeMetadata(tx, id, set)
      await tx.updateTable('aggregates').set({ updated_at: now }).where('id', '=', id).execute()
    })
  }

  /** False when the host is already in the aggregate. */
  async addHost(id: number, host: string): Promise<boolean> {
    try {
      await this.db.insertInto('aggregate_hosts').values({ aggregate_id: id, host }).execute()
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  async removeHost(id: number, host: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('aggregate_hosts')
      .where('aggregate_id', '=', id)
      .where('host', '=', host)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async delete(id: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).execute()
      await tx.deleteFrom('aggregate_hosts').where('aggregate_id', '=', id).execute()
      const r = await tx.deleteFrom('aggregates').where('id', '=', id).executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    })
  }

  /** The aggregates any of these hosts belong to. */
  async ofHosts(hosts: readonly string[]): Promise<AggregateRow[]> {
    if (hosts.length === 0) return []
    const rows = await this.db
      .selectFrom('aggregates')
      .selectAll()
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('aggregate_hosts')
          .select('aggregate_id')
          .where('host', 'in', [...hosts]),
      )
      .orderBy('id')
      .execute()
    return this.complete(this.db, rows)
  }

  private async writeMetadata(tx: Tx, id: number, metadata: Readonly<Record<string, string>>): Promise<void> {
    for (const [key, value] of Object.entries(metadata)) {
      const r = await tx
        .updateTable('aggregate_metadata')
        .set({ value })
        .where('aggregate_id', '=', id)
        .where('key', '=', key)
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0)
        await tx.insertInto('aggregate_metadata').values({ aggregate_id: id, key, value }).execute()
    }
  }

  private async complete(
    db: Kysely<ComputeDatabase>,
    rows: readonly (Omit<AggregatesTable, 'id'> & { id: number })[],
  ): Promise<AggregateRow[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const hosts = await db
      .selectFrom('aggregate_hosts')
      .select(['aggregate_id', 'host'])
      .where('aggregate_id', 'in', ids)
      .orderBy('host')
      .execute()
    const meta = await db
      .selectFrom('aggregate_metadata')
      .select(['aggregate_id', 'key', 'value'])
      .where('aggregate_id', 'in', ids)
      .orderBy('key')
      .execute()
    return rows.map((r) => ({
      ...r,
      hosts: hosts.filter((h) => h.aggregate_id === r.id).map((h) => h.host),
      metadata: Object.fromEntries(meta.filter((m) => m.aggregate_id === r.id).map((m) => [m.key, m.value])),
    }))
  }
}
