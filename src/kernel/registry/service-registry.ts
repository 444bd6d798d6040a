/**
 * The service registry: every worker process of a module (compute's conductor,
 * scheduler and agents; later network and volume agents) records itself and heartbeats,
 * as upstream's `services` table. An API reads it (compute's os-services) and a service
 * is "up" while its last heartbeat is younger than `[DEFAULT] service_down_time` and it
 * is not forced down.
 *
 * The table lives in the module's own database (`<module>_services`), so modules sharing
 * one server database do not share rows.
 */
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { NamedMigration } from '../db/index.js'

export interface ServiceRecord {
  id: string
  host: string
  /** e.g. `nova-compute`, `nova-conductor`. */
  binary: string
  /** The bus topic the process serves, e.g. `compute`. */
  topic: string
  /** The RPC version the process speaks (for rolling upgrades). */
  version: number
  report_count: number
  last_seen_up: string | null
  disabled: boolean
  disabled_reason: string | null
  forced_down: boolean
  created_at: string
  updated_at: string
}

interface Row extends Omit<ServiceRecord, 'disabled' | 'forced_down'> {
  disabled: number
  forced_down: number
}

/** The table name for a module: `compute` → `compute_services`. */
export function registryTable(module: string): string {
  return `${module.replace(/[^a-z0-9]/gi, '_')}_services`
}

/** The migrations that create a module's registry table. */
export function registryMigrations(module: string): NamedMigration[] {
  const table = registryTable(module)
  return [
    {
      name: '0001_services',
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable(table)
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('host', 'varchar(255)', (c) => c.notNull())
          .addColumn('binary', 'varchar(255)', (c) => c.notNull())
          .addColumn('topic', 'varchar(255)', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_seen_up', 'varchar(32)')
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('disabled_reason', 'varchar(255)')
          .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .addUniqueConstraint(`${table}_host_binary`, ['host', 'binary'])
          .execute()
      },
    },
  ]
}

export interface ServiceFilter {
  host?: string
  binary?: string
}

export class ServiceRegistry {
  // NOTE: the table name is per module, so queries go through an untyped handle.
  private readonly db: Kysely<Record<string, Row>>

  constructor(
    db: Kysely<unknown>,
    readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = db as unknown as Kysely<Record<string, Row>>
  }

  /** Records a process (or finds the record it left last time) and marks it up. */
  async register(input: {
    host: string
    binary: string
    topic: string
    version?: number
  }): Promise<ServiceRecord> {
    const at = this.now().toISOString()
    const existing = await this.find(input.host, input.binary)
    if (existing) {
      await this.db
        .updateTable(this.table)
        .set({ topic: input.topic, version: input.version ?? 0, last_seen_up: at, updated_at: at })
        .where('id', '=', existing.id)
        .execute()
    } else {
      try {
        await this.db
          .insertInto(this.table)
          .values({
            id: randomUUID(),
            host: input.host,
            binary: input.binary,
            topic: input.topic,
            version: input.version ?? 0,
            report_count: 0,
            last_seen_up: at,
            disabled: 0,
            disabled_reason: null,
            forced_down: 0,
            created_at: at,
            updated_at: at,
          })
          .execute()
      } catch (error) {
        // Another process registered the same host and binary first: use its row.
        if (!(await this.find(input.host, input.binary))) throw error
      }
    }
    return (await this.find(input.host, input.binary))!
  }

  /** A heartbeat: the process is alive now. */
  async heartbeat(id: string): Promise<void> {
    const at = this.now().toISOString()
    await this.db
      .updateTable(this.table)
      .set({ last_seen_up: at, updated_at: at, report_count: sql`report_count + 1` as never })
      .where('id', '=', id)
      .execute()
  }

  async find(host: string, binary: string): Promise<ServiceRecord | undefined> {
    const row = await this.db
      .selectFrom(this.table)
      .selectAll()
      .where('host', '=', host)
      .where('binary', '=', binary)
      .executeTakeFirst()
    return row ? toRecord(row as Row) : undefined
  }

  async get(id: string): Promise<ServiceRecord | undefined> {
    const row = await this.db.selectFrom(this.table).selectAll().where('id', '=', id).executeTakeFirst()
    return row ? toRecord(row as Row) : undefined
  }

  async list(filter: ServiceFilter = {}): Promise<ServiceRecord[]> {
    let q = this.db.selectFrom(this.table).selectAll()
    if (filter.host !== undefined) q = q.where('host', '=', filter.host)
    if (filter.binary !== undefined) q = q.where('binary', '=', filter.binary)
    const rows = await q.orderBy('created_at').orderBy('host').orderBy('binary').execute()
    return rows.map((r) => toRecord(r as Row))
  }

  /** Disables (with a reason) or enables a service; a disabled one gets no new work. */
  async setDisabled(
    id: string,
    disabled: boolean,
    reason?: string | null,
  ): Promise<ServiceRecord | undefined> {
    await this.db
      .updateTable(this.table)
      .set({
        disabled: disabled ? 1 : 0,
        disabled_reason: disabled ? (reason ?? null) : null,
        updated_at: this.now().toISOString(),
      })
      .where('id', '=', id)
      .execute()
    return this.get(id)
  }

  /** Marks a service down whatever its heartbeats say (fencing), or lifts that. */
  async setForcedDown(id: string, forcedDown: boolean): Promise<ServiceRecord | undefined> {
    await this.db
      .updateTable(this.table)
      .set({ forced_down: forcedDown ? 1 : 0, updated_at: this.now().toISOString() })
      .where('id', '=', id)
      .execute()
    return this.get(id)
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom(this.table).where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** Up: heartbeat within `downTimeSeconds` and not forced down. */
  isUp(record: ServiceRecord, downTimeSeconds: number): boolean {
    if (record.forced_down || !record.last_seen_up) return false
    return this.now().getTime() - Date.parse(record.last_seen_up) <= downTimeSeconds * 1000
  }
}

function toRecord(row: Row): ServiceRecord {
  return {
    ...row,
    version: Number(row.version),
    report_count: Number(row.report_count),
    disabled: Boolean(Number(row.disabled)),
    forced_down: Boolean(Number(row.forced_down)),
  }
}
