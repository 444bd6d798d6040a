/**
 * Instances and what hangs off them (metadata, tags, faults, cell mappings): the only
 * SQL on `instances*`, `instance_mappings`, `cell_mappings`, `host_mappings` and
 * `project_quota_locks`. A create runs in one transaction that takes the project's
 * quota row lock, counts, inserts and records the build's bus message, so two API
 * processes cannot both take the last unit and an accepted build is never lost.
 */
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { CELL0_UUID, CELL1_UUID } from './migrations/0003-servers.js'
import type { ComputeDatabase, InstanceFaultsTable, InstancesTable } from './schema.js'

export type InstanceRow = Selectable<InstancesTable>
export type FaultRow = Selectable<InstanceFaultsTable>
export type NewInstanceRow = Omit<InstanceRow, 'id'>

export interface ServerRecord extends InstanceRow {
  metadata: Record<string, string>
  tags: string[]
  fault?: FaultRow
  /** The cell the instance is mapped to (`cell0`, `cell1`), undefined while queued. */
  cell?: string
  /** Its volumes (os-extended-volumes), in the order they were mapped. */
  volumes: { id: string; delete_on_termination: boolean }[]
}

/** What a project (or one user in it) holds, as quota counts it. */
export interface ServerCounts {
  instances: number
  cores: number
  ram: number
  /** Cores and RAM of builds not yet claimed in placement (no host yet). */
  unclaimedCores: number
  unclaimedRam: number
}

/** A project's servers and, raw, the flavors and images of its builds not yet claimed. */
export interface ProjectHoldings {
  servers: number
  unclaimed: { flavor: string; image: string }[]
}

export interface ListFilter {
  projectId?: string
  userId?: string
  /** Include deleted rows (admins' `deleted=true`); only deleted ones when `onlyDeleted`. */
  deleted?: boolean
  onlyDeleted?: boolean
  vmStates?: readonly string[]
  taskStates?: readonly (string | null)[]
  powerState?: number
  imageRef?: string
  flavorId?: string
  reservationId?: string
  host?: string
  node?: string
  uuid?: string
  keyName?: string
  availabilityZone?: string
  locked?: boolean
  changesSince?: string
  changesBefore?: string
  tagsAll?: readonly string[]
  tagsAny?: readonly string[]
  notTagsAll?: readonly string[]
  notTagsAny?: readonly string[]
  /** Column, direction pairs; ties broken by id in the first direction. */
  sort: readonly { key: SortColumn; dir: 'asc' | 'desc' }[]
}

export const SORT_COLUMNS = [
  'access_ip_v4',
  'access_ip_v6',
  'availability_zone',
  'config_drive',
  'created_at',
  'display_description',
  'display_name',
  'host',
  'hostname',
  'image_ref',
  'instance_type_id',
  'kernel_id',
  'key_name',
  'launch_index',
  'launched_at',
  'locked',
  'locked_by',
  'node',
  'power_state',
  'progress',
  'project_id',
  'ramdisk_id',
  'root_device_name',
  'task_state',
  'terminated_at',
  'updated_at',
  'user_id',
  'uuid',
  'vm_state',
] as const
export type SortColumn = (typeof SORT_COLUMNS)[number]
/** Sort keys upstream accepts that have no column here: they sort as if all equal. */
const NO_COLUMN: ReadonlySet<string> = new Set(['kernel_id', 'ramdisk_id', 'root_device_name'])

export interface BuildWrite {
  projectId: string
  /** The quota lock to hold (unified limits: the project tree's). @default projectId */
  lockKey?: string
  instances: readonly NewInstanceRow[]
  metadata: Readonly<Record<string, string>>
  tags: readonly string[]
  /**
   * Runs under the lock with the counts before the new instances; `holdings` counts
   * other projects in the same transaction.
   */
  check(
    counts: ServerCounts,
    holdings: (projectIds: readonly string[]) => Promise<Map<string, ProjectHoldings>>,
  ): Promise<void>
  /** Runs in the same transaction after the inserts (instance actions, the bus message). */
  after(trx: Transaction<ComputeDatabase>): Promise<void>
}

export class ServerRepo {
  /** Hosts mapped to their cell by this process (see mapHost). */
  private readonly hostMappings = new Map<string, Promise<void>>()

  constructor(
    readonly db: Kysely<ComputeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  /** Counts a project's (or a user's) servers: instances from the mappings, as upstream. */
  async counts(
    projectId: string,
    userId?: string,
    db: Kysely<ComputeDatabase> = this.db,
  ): Promise<ServerCounts> {
    let m = db
      .selectFrom('instance_mappings')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('project_id', '=', projectId)
      .where('queued_for_delete', '=', 0)
    if (userId !== undefined) m = m.where('user_id', '=', userId)
    let i = db
      .selectFrom('instances')
      .select([
        sql<string | number | null>`sum(vcpus)`.as('cores'),
        sql<string | number | null>`sum(memory_mb)`.as('ram'),
        sql<
          string | number | null
        >`sum(case when host is null and vm_state = 'building' then vcpus else 0 end)`.as('ucores'),
        sql<
          string | number | null
        >`sum(case when host is null and vm_state = 'building' then memory_mb else 0 end)`.as('uram'),
      ])
      .where('project_id', '=', projectId)
      .where('deleted', '=', 0)
    if (userId !== undefined) i = i.where('user_id', '=', userId)
    const [mr, ir] = await Promise.all([m.executeTakeFirstOrThrow(), i.executeTakeFirstOrThrow()])
    return {
      instances: Number(mr.n),
      cores: Number(ir.cores ?? 0),
      ram: Number(ir.ram ?? 0),
      unclaimedCores: Number(ir.ucores ?? 0),
      unclaimedRam: Number(ir.uram ?? 0),
    }
  }

  /** Live servers per project, and the flavors and images of builds not yet on a host. */
  async holdings(
    projectIds: readonly string[],
    db: Kysely<ComputeDatabase> = this.db,
  ): Promise<Map<string, ProjectHoldings>> {
    const out = new Map<string, ProjectHoldings>(projectIds.map((id) => [id, { servers: 0, unclaimed: [] }]))
    if (projectIds.length === 0) return out
    const mapped = await db
      .selectFrom('instance_mappings')
      .select(['project_id', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('project_id', 'in', projectIds)
      .where('queued_for_delete', '=', 0)
      .groupBy('project_id')
      .execute()
    for (const m of mapped) out.get(m.project_id)!.servers = Number(m.n)
    const building = await db
      .selectFrom('instances')
      .select(['project_id', 'flavor', 'image'])
      .where('project_id', 'in', projectIds)
      .where('deleted', '=', 0)
      .where('host', 'is', null)
      .where('vm_state', '=', 'building')
      .execute()
    for (const b of building) out.get(b.project_id)!.unclaimed.push({ flavor: b.flavor, image: b.image })
    return out
  }

  /**
   * Records a build: under the project's lock row, `check` sees the counts; then the
   * instances, their mappings (no cell yet), metadata and tags are inserted and `after`
   * writes what must commit with them.
   */
  async createBuild(w: BuildWrite): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.lockProject(trx, w.lockKey ?? w.projectId)
      await w.check(await this.counts(w.projectId, undefined, trx), (ids) => this.holdings(ids, trx))
      const now = w.instances[0]?.created_at ?? new Date().toISOString()
      for (const row of w.instances) {
        await trx.insertInto('instances').values(row).execute()
        await trx
          .insertInto('instance_mappings')
          .values({
            instance_uuid: row.uuid,
            cell_id: null,
            project_id: row.project_id,
            user_id: row.user_id,
            queued_for_delete: 0,
            created_at: now,
          })
          .execute()
        const meta = Object.entries(w.metadata)
        if (meta.length)
          await trx
            .insertInto('instance_metadata')
            .values(meta.map(([key, value]) => ({ instance_uuid: row.uuid, key, value })))
            .execute()
        if (w.tags.length)
          await trx
            .insertInto('instance_tags')
            .values(w.tags.map((tag) => ({ instance_uuid: row.uuid, tag })))
            .execute()
      }
      await w.after(trx)
    })
  }

  /**
   * Holds the project's row lock until the transaction ends. SQLite transactions begin
   * immediate (one writer at a time); PostgreSQL and MariaDB lock the row.
   */
  private async lockProject(trx: Transaction<ComputeDatabase>, projectId: string): Promise<void> {
    if (this.dialect === 'sqlite') return
    const q =
      this.dialect === 'postgres'
        ? sql`insert into project_quota_locks (project_id) values (${projectId}) on conflict do nothing`
        : sql`insert ignore into project_quota_locks (project_id) values (${projectId})`
    await q.execute(trx)
    await trx
      .selectFrom('project_quota_locks')
      .select('project_id')
      .where('project_id', '=', projectId)
      .forUpdate()
      .execute()
  }

  /** A live or deleted instance by uuid, with its metadata, tags, newest fault and cell. */
  async get(uuid: string, opts: { withDeleted?: boolean } = {}): Promise<ServerRecord | undefined> {
    let q = this.db.selectFrom('instances').selectAll().where('uuid', '=', uuid)
    if (!opts.withDeleted) q = q.where('deleted', '=', 0)
    const row = await q.executeTakeFirst()
    if (!row) return undefined
    return (await this.decorate([row]))[0]
  }

  /** Rows by uuid (any state), without decoration: what the conductor reads. */
  async rows(uuids: readonly string[]): Promise<InstanceRow[]> {
    if (uuids.length === 0) return []
    return this.db.selectFrom('instances').selectAll().where('uuid', 'in', uuids).execute()
  }

  async list(f: ListFilter): Promise<ServerRecord[]> {
    let q = this.db.selectFrom('instances').selectAll()
    if (f.onlyDeleted) q = q.where('deleted', '!=', 0)
    else if (!f.deleted) q = q.where('deleted', '=', 0)
    if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId)
    if (f.userId !== undefined) q = q.where('user_id', '=', f.userId)
    if (f.vmStates) q = q.where('vm_state', 'in', f.vmStates.length ? f.vmStates : [''])
    if (f.taskStates) {
      const named = f.taskStates.filter((t): t is string => t !== null)
      const withNull = f.taskStates.includes(null)
      q = q.where((eb) =>
        eb.or([
          ...(named.length ? [eb('task_state', 'in', named)] : []),
          ...(withNull ? [eb('task_state', 'is', null)] : []),
          ...(!named.length && !withNull ? [eb.val(false)] : []),
        ]),
      )
    }
    if (f.powerState !== undefined) q = q.where('power_state', '=', f.powerState)
    if (f.imageRef !== undefined) q = q.where('image_ref', '=', f.imageRef)
    if (f.flavorId !== undefined)
      q = q.where(sql<string>`flavor`, 'like', `%"flavorid":${JSON.stringify(f.flavorId)}%`)
    if (f.reservationId !== undefined) q = q.where('reservation_id', '=', f.reservationId)
    if (f.host !== undefined) q = q.where('host', '=', f.host)
    if (f.node !== undefined) q = q.where('node', '=', f.node)
    if (f.uuid !== undefined) q = q.where('uuid', '=', f.uuid)
    if (f.keyName !== undefined) q = q.where('key_name', '=', f.keyName)
    if (f.availabilityZone !== undefined) q = q.where('availability_zone', '=', f.availabilityZone)
    if (f.locked !== undefined) q = q.where('locked', '=', f.locked ? 1 : 0)
    if (f.changesSince !== undefined) q = q.where('updated_at', '>=', f.changesSince)
    if (f.changesBefore !== undefined) q = q.where('updated_at', '<=', f.changesBefore)
    for (const tag of f.tagsAll ?? [])
      q = q.where(
        'uuid',
        'in',
        this.db.selectFrom('instance_tags').select('instance_uuid').where('tag', '=', tag),
      )
    if (f.tagsAny?.length)
      q = q.where(
        'uuid',
        'in',
        this.db.selectFrom('instance_tags').select('instance_uuid').where('tag', 'in', f.tagsAny),
      )
    if (f.notTagsAny?.length)
      q = q.where(
        'uuid',
        'not in',
        this.db.selectFrom('instance_tags').select('instance_uuid').where('tag', 'in', f.notTagsAny),
      )
    if (f.notTagsAll?.length) {
      // NOTE: excluded are the servers carrying every one of the tags.
      let all = this.db.selectFrom('instances as i2').select('i2.uuid')
      for (const tag of f.notTagsAll)
        all = all.where(
          'i2.uuid',
          'in',
          this.db.selectFrom('instance_tags').select('instance_uuid').where('tag', '=', tag),
        )
      q = q.where('uuid', 'not in', all)
    }
    for (const s of f.sort) {
      if (NO_COLUMN.has(s.key)) continue
      q = q.orderBy(s.key as keyof InstanceRow & string, s.dir)
    }
    q = q.orderBy('id', f.sort[0]?.dir ?? 'desc')
    return this.decorate(await q.execute())
  }

  private async decorate(rows: InstanceRow[]): Promise<ServerRecord[]> {
    if (rows.length === 0) return []
    const uuids = rows.map((r) => r.uuid)
    const chunks: string[][] = []
    for (let i = 0; i < uuids.length; i += 500) chunks.push(uuids.slice(i, i + 500))
    const meta = new Map<string, Record<string, string>>()
    const tags = new Map<string, string[]>()
    const faults = new Map<string, FaultRow>()
    const cells = new Map<string, string>()
    const volumes = new Map<string, { id: string; delete_on_termination: boolean }[]>()
    for (const chunk of chunks) {
      for (const b of await this.db
        .selectFrom('block_device_mapping')
        .select(['instance_uuid', 'volume_id', 'delete_on_termination'])
        .where('instance_uuid', 'in', chunk)
        .where('destination_type', '=', 'volume')
        .where('volume_id', 'is not', null)
        .orderBy('created_at')
        .execute()) {
        const l = volumes.get(b.instance_uuid) ?? []
        l.push({ id: b.volume_id!, delete_on_termination: b.delete_on_termination === 1 })
        volumes.set(b.instance_uuid, l)
      }
      for (const m of await this.db
        .selectFrom('instance_metadata')
        .selectAll()
        .where('instance_uuid', 'in', chunk)
        .execute()) {
        const o = meta.get(m.instance_uuid) ?? {}
        o[m.key] = m.value
        meta.set(m.instance_uuid, o)
      }
      for (const t of await this.db
        .selectFrom('instance_tags')
        .selectAll()
        .where('instance_uuid', 'in', chunk)
        .orderBy('tag')
        .execute()) {
        const l = tags.get(t.instance_uuid) ?? []
        l.push(t.tag)
        tags.set(t.instance_uuid, l)
      }
      for (const f of await this.db
        .selectFrom('instance_faults')
        .selectAll()
        .where('instance_uuid', 'in', chunk)
        .orderBy('id')
        .execute())
        faults.set(f.instance_uuid, f)
      for (const c of await this.db
        .selectFrom('instance_mappings')
        .innerJoin('cell_mappings', 'cell_mappings.id', 'instance_mappings.cell_id')
        .select(['instance_mappings.instance_uuid as uuid', 'cell_mappings.name as name'])
        .where('instance_mappings.instance_uuid', 'in', chunk)
        .execute())
        cells.set(c.uuid, c.name ?? '')
    }
    // NOTE: the rows are the driver's fresh objects, decorated in place: copying sixty
    // columns per server was a twentieth of a detailed list's CPU.
    return rows.map((r) => {
      const s = r as ServerRecord
      s.metadata = meta.get(r.uuid) ?? {}
      s.tags = tags.get(r.uuid) ?? []
      s.volumes = volumes.get(r.uuid) ?? []
      const fault = faults.get(r.uuid)
      if (fault) s.fault = fault
      const cell = cells.get(r.uuid)
      if (cell !== undefined) s.cell = cell
      return s
    })
  }

  /** Changes columns of a live instance; returns whether it existed. */
  async update(uuid: string, values: Partial<Omit<InstanceRow, 'id' | 'uuid'>>): Promise<boolean> {
    const r = await this.db
      .updateTable('instances')
      .set({ updated_at: new Date().toISOString(), ...values })
      .where('uuid', '=', uuid)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  /**
   * Changes columns only while the instance is in one of `fromTaskStates` (a state
   * machine step that loses to a concurrent one, as upstream's expected_task_state).
   */
  async updateIf(
    uuid: string,
    fromTaskStates: readonly (string | null)[],
    values: Partial<Omit<InstanceRow, 'id' | 'uuid'>>,
  ): Promise<boolean> {
    const named = fromTaskStates.filter((t): t is string => t !== null)
    const withNull = fromTaskStates.includes(null)
    const r = await this.db
      .updateTable('instances')
      .set({ updated_at: new Date().toISOString(), ...values })
      .where('uuid', '=', uuid)
      .where('deleted', '=', 0)
      .where((eb) =>
        eb.or([
          ...(named.length ? [eb('task_state', 'in', named)] : []),
          ...(withNull ? [eb('task_state', 'is', null)] : []),
        ]),
      )
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  /** Marks an instance deleted and takes it out of quota counting. */
  async markDeleted(uuid: string): Promise<void> {
    const now = new Date().toISOString()
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('instances').select('id').where('uuid', '=', uuid).executeTakeFirst()
      if (!row) return
      await trx
        .updateTable('instances')
        .set({
          deleted: row.id,
          deleted_at: now,
          terminated_at: now,
          updated_at: now,
          vm_state: 'deleted',
          task_state: null,
          power_state: 0,
        })
        .where('uuid', '=', uuid)
        .execute()
      await trx
        .updateTable('instance_mappings')
        .set({ queued_for_delete: 1 })
        .where('instance_uuid', '=', uuid)
        .execute()
    })
  }

  /** Maps an instance to a cell by name (`cell0` when it never scheduled, else `cell1`). */
  async mapToCell(uuid: string, cell: 'cell0' | 'cell1'): Promise<void> {
    const cellUuid = cell === 'cell0' ? CELL0_UUID : CELL1_UUID
    await this.db
      .updateTable('instance_mappings')
      .set((eb) => ({
        cell_id: eb.selectFrom('cell_mappings').select('id').where('uuid', '=', cellUuid),
      }))
      .where('instance_uuid', '=', uuid)
      .execute()
  }

  /**
   * Records which cell a compute host belongs to (discover-hosts, done as agents appear).
   * NOTE: a mapping is never removed, so each host is mapped once per process; the
   * builds of a multi-create arrive together and share the one mapping in flight.
   */
  mapHost(host: string): Promise<void> {
    let mapping = this.hostMappings.get(host)
    if (!mapping) {
      mapping = this.insertHostMapping(host)
      this.hostMappings.set(host, mapping)
      mapping.catch(() => this.hostMappings.delete(host))
    }
    return mapping
  }

  private async insertHostMapping(host: string): Promise<void> {
    const exists = await this.db
      .selectFrom('host_mappings')
      .select('host')
      .where('host', '=', host)
      .executeTakeFirst()
    if (exists) return
    const c = await this.db
      .selectFrom('cell_mappings')
      .select('id')
      .where('uuid', '=', CELL1_UUID)
      .executeTakeFirstOrThrow()
    await this.db
      .insertInto('host_mappings')
      .values({ host, cell_id: c.id })
      .execute()
      .catch(() => {})
  }

  async cells(): Promise<{ uuid: string; name: string | null }[]> {
    return this.db.selectFrom('cell_mappings').select(['uuid', 'name']).orderBy('id').execute()
  }

  async addFault(f: Omit<FaultRow, 'id'>): Promise<void> {
    await this.db.insertInto('instance_faults').values(f).execute()
  }

  /** Live instances on the given hosts, with the figures host states need. */
  async onHosts(
    hosts: readonly string[],
  ): Promise<{ uuid: string; host: string; task_state: string | null; vm_state: string }[]> {
    if (hosts.length === 0) return []
    const rows = await this.db
      .selectFrom('instances')
      .select(['uuid', 'host', 'task_state', 'vm_state'])
      .where('deleted', '=', 0)
      .where('host', 'in', hosts)
      .execute()
    return rows.map((r) => ({ ...r, host: r.host ?? '' }))
  }

  /**
   * Instances left mid-build, mid-delete or mid-action (`actionTaskStates`) by a crash:
   * the conductor resumes them.
   */
  async unfinished(actionTaskStates: readonly string[] = []): Promise<InstanceRow[]> {
    return this.db
      .selectFrom('instances')
      .selectAll()
      .where('deleted', '=', 0)
      .where((eb) =>
        eb.or([
          eb('vm_state', '=', 'building'),
          eb('task_state', 'in', ['deleting', 'scheduling', 'spawning', ...actionTaskStates]),
        ]),
      )
      .orderBy('id')
      .execute()
  }

  /**
   * Instances (deleted ones too) that ran at some time in [start, end): launched before
   * the end and not terminated before the start, by project and uuid (os-simple-tenant-usage
   * pages over this order).
   */
  async activeInWindow(start: string, end: string, projectId?: string): Promise<InstanceRow[]> {
    let q = this.db
      .selectFrom('instances')
      .selectAll()
      .where('launched_at', 'is not', null)
      .where('launched_at', '<', end)
      .where((eb) => eb.or([eb('terminated_at', 'is', null), eb('terminated_at', '>', start)]))
    if (projectId !== undefined) q = q.where('project_id', '=', projectId)
    return q.orderBy('project_id').orderBy('uuid').execute()
  }

  /** Soft-deleted instances older than `before`: what the reclaim task deletes. */
  async softDeletedBefore(before: string): Promise<InstanceRow[]> {
    return this.db
      .selectFrom('instances')
      .selectAll()
      .where('deleted', '=', 0)
      .where('vm_state', '=', 'soft-delete')
      .where('deleted_at', '<', before)
      .execute()
  }

  // --- metadata and tags

  async setMetadata(uuid: string, values: Readonly<Record<string, string>>, replace: boolean): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (replace) await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).execute()
      for (const [key, value] of Object.entries(values)) {
        await trx
          .deleteFrom('instance_metadata')
          .where('instance_uuid', '=', uuid)
          .where('key', '=', key)
          .execute()
        await trx.insertInto('instance_metadata').values({ instance_uuid: uuid, key, value }).execute()
      }
      await trx
        .updateTable('instances')
        .set({ updated_at: new Date().toISOString() })
        .where('uuid', '=', uuid)
        .execute()
    })
  }

  async deleteMetadata(uuid: string, key: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('instance_metadata')
      .where('instance_uuid', '=', uuid)
      .where('key', '=', key)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async setTags(uuid: string, tags: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('instance_tags').where('instance_uuid', '=', uuid).execute()
      if (tags.length)
        await trx
          .insertInto('instance_tags')
          .values(tags.map((tag) => ({ instance_uuid: uuid, tag })))
          .execute()
    })
  }

  async addTag(uuid: string, tag: string): Promise<boolean> {
    const has = await this.db
      .selectFrom('instance_tags')
      .select('tag')
      .where('instance_uuid', '=', uuid)
      .where('tag', '=', tag)
      .executeTakeFirst()
    if (has) return false
    await this.db.insertInto('instance_tags').values({ instance_uuid: uuid, tag }).execute()
    return true
  }

  async deleteTag(uuid: string, tag: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('instance_tags')
      .where('instance_uuid', '=', uuid)
      .where('tag', '=', tag)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async addExternalEvent(e: {
    instance_uuid: string
    name: string
    tag: string | null
    status: string
    created_at: string
  }): Promise<void> {
    await this.db.insertInto('instance_external_events').values(e).execute()
  }
}
