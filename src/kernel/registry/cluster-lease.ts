/**
 * Leases for work that must run once per cluster, whatever the number of processes (a
 * periodic reclaim of soft-deleted servers, a usage audit): a row per task name holding
 * the process that runs it and until when. A process takes a lease that is free or
 * expired, renews its own, and loses it when it stops renewing; the database's
 * compare-and-set on the row decides races.
 */
import { type Kysely, sql } from 'kysely'
import type { NamedMigration } from '../db/index.js'

/** The lease table of a module: `compute` → `compute_leases`. */
export function leaseTable(module: string): string {
  return `${module.replace(/[^a-z0-9]/gi, '_')}_leases`
}

export function leaseMigrations(module: string): NamedMigration[] {
  const table = leaseTable(module)
  return [
    {
      name: '0002_leases',
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable(table)
          .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('holder', 'varchar(255)', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute()
      },
    },
  ]
}

interface LeaseRow {
  name: string
  holder: string
  expires_at: number
}

export class ClusterLeases {
  private readonly db: Kysely<Record<string, LeaseRow>>

  constructor(
    db: Kysely<unknown>,
    readonly table: string,
    /** Who this process is, e.g. `<host>:<pid>`. */
    readonly holder: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = db as unknown as Kysely<Record<string, LeaseRow>>
  }

  /**
   * Takes or renews the lease `name` for `ttlMs`; true when this process holds it now.
   * NOTE: one conditional UPDATE decides between processes; the INSERT for a name never
   * seen loses to a concurrent one through the primary key.
   */
  async acquire(name: string, ttlMs: number): Promise<boolean> {
    const now = this.now()
    const until = now + ttlMs
    const updated = await this.db
      .updateTable(this.table)
      .set({ holder: this.holder, expires_at: until })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', this.holder), eb('expires_at', '<', now)]))
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) > 0) return true
    const existing = await this.db
      .selectFrom(this.table)
      .select('name')
      .where('name', '=', name)
      .executeTakeFirst()
    if (existing) return false
    try {
      await this.db.insertInto(this.table).values({ name, holder: this.holder, expires_at: until }).execute()
      return true
    } catch {
      return false
    }
  }

  /** Gives the lease up (on close), so another process can take it at once. */
  async release(name: string): Promise<void> {
    await this.db
      .updateTable(this.table)
      .set({ expires_at: sql<number>`0` as never })
      .where('name', '=', name)
      .where('holder', '=', this.holder)
      .execute()
  }

  async holderOf(name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom(this.table)
      .select(['holder', 'expires_at'])
      .where('name', '=', name)
      .executeTakeFirst()
    return row && Number(row.expires_at) >= this.now() ? row.holder : undefined
  }
}
