/**
 * The project lock every quota-consuming write takes, and the usage it then counts. On
 * SQLite transactions begin immediate (one writer at a time); PostgreSQL and MariaDB
 * lock the project's row in `volume_quota_locks` until the transaction ends, so two
 * API processes never both take the last unit.
 */
import { sql, type Transaction } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import type { VolumeDatabase } from './schema.js'

/** What a project holds, as quota counts it; `byType` per volume type id. */
export interface Usage {
  volumes: number
  gigabytes: number
  snapshots: number
  snapshotGigabytes: number
  backups: number
  backupGigabytes: number
  /** Volume groups (3.13). */
  groups: number
  byType: Record<string, { volumes: number; gigabytes: number; snapshots: number }>
}

/**
 * Makes sure the project's lock row exists, in its own statement before the transaction
 * that locks it. NOTE: on MariaDB an `INSERT IGNORE` of a row that exists takes a shared
 * lock on it inside the transaction; two transactions holding that shared lock and both
 * asking `FOR UPDATE` deadlock. Created outside, the row is only ever locked exclusively.
 */
export async function ensureLockRow(
  db: import('kysely').Kysely<VolumeDatabase>,
  dialect: Dialect,
  projectId: string,
): Promise<void> {
  if (dialect === 'sqlite') return
  const q =
    dialect === 'postgres'
      ? sql`insert into volume_quota_locks (project_id) values (${projectId}) on conflict do nothing`
      : sql`insert ignore into volume_quota_locks (project_id) values (${projectId})`
  await q.execute(db)
}

export async function lockProject(
  trx: Transaction<VolumeDatabase>,
  dialect: Dialect,
  projectId: string,
): Promise<void> {
  if (dialect === 'sqlite') return
  const lock = () =>
    trx
      .selectFrom('volume_quota_locks')
      .select('project_id')
      .where('project_id', '=', projectId)
      .forUpdate()
      .execute()
  if ((await lock()).length) return
  // the row was not made beforehand (ensureLockRow): made here, then locked
  const q =
    dialect === 'postgres'
      ? sql`insert into volume_quota_locks (project_id) values (${projectId}) on conflict do nothing`
      : sql`insert ignore into volume_quota_locks (project_id) values (${projectId})`
  await q.execute(trx)
  await lock()
}

export async function countUsage(
  db: Transaction<VolumeDatabase> | import('kysely').Kysely<VolumeDatabase>,
  projectId: string,
): Promise<Usage> {
  const vols = await db
    .selectFrom('volumes')
    .select([
      'volume_type_id',
      (eb) => eb.fn.countAll<number | string>().as('n'),
      (eb) => eb.fn.sum<number | string>('size').as('gb'),
    ])
    .where('project_id', '=', projectId)
    .where('use_quota', '=', 1)
    .groupBy('volume_type_id')
    .execute()
  const snaps = await db
    .selectFrom('snapshots')
    .select([
      'volume_type_id',
      (eb) => eb.fn.countAll<number | string>().as('n'),
      (eb) => eb.fn.sum<number | string>('volume_size').as('gb'),
    ])
    .where('project_id', '=', projectId)
    .where('use_quota', '=', 1)
    .groupBy('volume_type_id')
    .execute()
  const backups = await db
    .selectFrom('backups')
    .select([
      (eb) => eb.fn.countAll<number | string>().as('n'),
      (eb) => eb.fn.sum<number | string>('size').as('gb'),
    ])
    .where('project_id', '=', projectId)
    .executeTakeFirst()
  const groups = await db
    .selectFrom('volume_groups')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirst()
  const usage: Usage = {
    volumes: 0,
    gigabytes: 0,
    snapshots: 0,
    snapshotGigabytes: 0,
    backups: Number(backups?.n ?? 0),
    backupGigabytes: Number(backups?.gb ?? 0),
    groups: Number(groups?.n ?? 0),
    byType: {},
  }
  const of = (t: string) => {
    usage.byType[t] ??= { volumes: 0, gigabytes: 0, snapshots: 0 }
    return usage.byType[t]!
  }
  for (const r of vols) {
    const n = Number(r.n)
    const gb = Number(r.gb ?? 0)
    usage.volumes += n
    usage.gigabytes += gb
    of(r.volume_type_id).volumes += n
    of(r.volume_type_id).gigabytes += gb
  }
  for (const r of snaps) {
    const n = Number(r.n)
    const gb = Number(r.gb ?? 0)
    usage.snapshots += n
    usage.snapshotGigabytes += gb
    of(r.volume_type_id).snapshots += n
    of(r.volume_type_id).gigabytes += gb
  }
  return usage
}
