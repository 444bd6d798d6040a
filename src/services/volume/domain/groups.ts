/**
 * Generic volume groups: group types with their specs (3.11), groups of volumes whose
 * types the group allows (3.13), group snapshots that take a snapshot of every member
 * at once, and groups made from another group or a group snapshot (3.14). The members'
 * own work (creates, snapshots, deletes) runs through Volumes and Snapshots; a group or
 * group snapshot settles (`creating`/`deleting` → `available`/gone) when its members have.
 *
 *   creating ─▶ available ─(add/remove volumes)─▶ available
 *                   └─ delete ─▶ deleting ─(members deleted)─▶ gone
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import {
  GroupNotFound,
  GroupSnapshotNotFound,
  GroupTypeExists,
  GroupTypeInUse,
  GroupTypeNotFound,
  GroupTypeSpecNotFound,
  InvalidGroup,
  InvalidGroupSnapshot,
  InvalidInput,
} from '../errors.js'
import type {
  GroupRecord,
  GroupRepo,
  GroupSnapshotRow,
  GroupTypeRecord,
  GroupTypeRow,
} from '../storage/group.repo.js'
import { type Caller, sees } from './caller.js'
import type { Spawner } from './in-flight.js'
import type { Quotas } from './quotas.js'
import type { Snapshots } from './snapshots.js'
import type { VolumeTypes } from './types.js'
import type { Volumes } from './volumes.js'

/** How long a group waits for its members to settle before it gives up (error). */
const SETTLE_LIMIT_MS = 30 * 60 * 1000

/** Statuses reset_status accepts (upstream's GroupStatus and GroupSnapshotStatus). */
export const GROUP_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'updating',
  'in-use',
  'deleted',
]
export const GROUP_SNAPSHOT_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'deleted',
]

export class GroupTypes {
  constructor(private readonly repo: GroupRepo) {}

  async list(
    caller: Caller,
    isPublic: boolean | undefined,
    sort: { key: keyof GroupTypeRow; dir: 'asc' | 'desc' }[],
  ) {
    return this.repo.listTypes(caller.isAdmin ? isPublic : true, sort)
  }

  /** By id or name; a private type is seen by admins only. */
  async get(caller: Caller, idOrName: string): Promise<GroupTypeRecord> {
    const t = (await this.repo.getType(idOrName)) ?? (await this.repo.typeByName(idOrName))
    if (!t || (!t.is_public && !caller.isAdmin)) throw new GroupTypeNotFound(idOrName)
    return t
  }

  async create(input: {
    name: string
    description: string | null
    isPublic: boolean
    specs: Record<string, string>
  }) {
    if (!input.name.trim()) throw new InvalidInput('Group type name can not be empty.')
    if (await this.repo.typeByName(input.name)) throw new GroupTypeExists(input.name)
    const now = new Date().toISOString()
    const id = randomUUID()
    await this.repo.createType(
      {
        id,
        name: input.name,
        description: input.description,
        is_public: input.isPublic ? 1 : 0,
        created_at: now,
        updated_at: null,
      },
      input.specs,
    )
    return (await this.repo.getType(id))!
  }

  async update(id: string, input: { name?: string; description?: string | null; isPublic?: boolean }) {
    const t = await this.repo.getType(id)
    if (!t) throw new GroupTypeNotFound(id)
    if (input.name !== undefined && input.name !== t.name) {
      if (!input.name.trim()) throw new InvalidInput('Group type name can not be empty.')
      if (await this.repo.typeByName(input.name)) throw new GroupTypeExists(input.name)
    }
    await this.repo.updateType(id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.isPublic !== undefined ? { is_public: input.isPublic ? 1 : 0 } : {}),
    })
    return (await this.repo.getType(id))!
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repo.getType(id))) throw new GroupTypeNotFound(id)
    if (await this.repo.countGroupsOfType(id)) throw new GroupTypeInUse(id)
    await this.repo.deleteType(id)
  }

  async specs(id: string): Promise<Record<string, string>> {
    const t = await this.repo.getType(id)
    if (!t) throw new GroupTypeNotFound(id)
    return t.group_specs
  }

  async spec(id: string, key: string): Promise<string> {
    const value = (await this.specs(id))[key]
    if (value === undefined) throw new GroupTypeSpecNotFound(id, key)
    return value
  }

  async setSpecs(id: string, specs: Record<string, string>): Promise<void> {
    if (!(await this.repo.getType(id))) throw new GroupTypeNotFound(id)
    await this.repo.setSpecs(id, specs)
  }

  async deleteSpec(id: string, key: string): Promise<void> {
    if (!(await this.repo.getType(id))) throw new GroupTypeNotFound(id)
    if (!(await this.repo.deleteSpec(id, key))) throw new GroupTypeSpecNotFound(id, key)
  }
}

/** Waits until `done` says the members settled; false when the limit passed first. */
async function settle(done: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + SETTLE_LIMIT_MS
  while (Date.now() < until) {
    if (await done()) return true
    await sleep(100)
  }
  return false
}

export class Groups {
  constructor(
    readonly repo: GroupRepo,
    private readonly groupTypes: GroupTypes,
    private readonly types: VolumeTypes,
    private readonly volumes: Volumes,
    private readonly snapshots: Snapshots,
    private readonly quotas: Quotas,
    private readonly zone: string,
    private readonly host: string,
    private readonly tasks: Spawner,
    private readonly logger: Logger,
  ) {}

  async get(caller: Caller, id: string): Promise<GroupRecord> {
    const g = await this.repo.get(id)
    if (!g || !sees(caller, g.project_id)) throw new GroupNotFound(id)
    return g
  }

  async list(caller: Caller, allProjects: boolean): Promise<GroupRecord[]> {
    return this.repo.list(caller.isAdmin && allProjects ? undefined : caller.projectId)
  }

  /** The group a new volume joins: visible, and available to take it. */
  async forNewVolume(caller: Caller, id: string): Promise<{ id: string; volumeTypeIds: string[] }> {
    const g = await this.get(caller, id)
    if (g.status !== 'available')
      throw new InvalidGroup(`Group ${id} status must be available, but current status is: ${g.status}.`)
    return { id: g.id, volumeTypeIds: g.volume_type_ids }
  }

  async memberIds(groupId: string): Promise<string[]> {
    return (await this.volumes.repo.list({ groupId }, [{ key: 'created_at', dir: 'asc' }], {})).map(
      (v) => v.id,
    )
  }

  async create(
    caller: Caller,
    input: {
      name: string | null
      description: string | null
      groupType: string
      volumeTypes: string[]
      zone?: string | null
    },
  ): Promise<GroupRecord> {
    const groupType = await this.groupTypes.get(caller, input.groupType)
    if (!input.volumeTypes.length) throw new InvalidInput('volume_types must be provided to create group.')
    const typeIds: string[] = []
    for (const t of input.volumeTypes) {
      const found = await this.types.get(caller, t)
      if (!typeIds.includes(found.id)) typeIds.push(found.id)
    }
    if (input.zone && input.zone !== this.zone)
      throw new InvalidInput(`Availability zone '${input.zone}' is invalid.`)
    const g = await this.insert(caller, {
      name: input.name,
      description: input.description,
      groupTypeId: groupType.id,
      typeIds,
    })
    void this.tasks.spawn(`create group ${g.id}`, async () => {
      await this.repo.update(g.id, { status: 'available' }, ['creating'])
    })
    return g
  }

  private async insert(
    caller: Caller,
    input: {
      name: string | null
      description: string | null
      groupTypeId: string
      typeIds: readonly string[]
      groupSnapshotId?: string
      sourceGroupId?: string
    },
  ): Promise<GroupRecord> {
    const id = randomUUID()
    // the groups quota, counted under the project's lock with the insert
    const check = await this.quotas.checker(caller.projectId)
    const typeId = input.typeIds[0] ?? ''
    await this.repo.create(
      {
        id,
        project_id: caller.projectId,
        user_id: caller.userId,
        name: input.name,
        description: input.description,
        status: 'creating',
        availability_zone: this.zone,
        group_type_id: input.groupTypeId,
        group_snapshot_id: input.groupSnapshotId ?? null,
        source_group_id: input.sourceGroupId ?? null,
        host: this.host,
        created_at: new Date().toISOString(),
        updated_at: null,
      },
      input.typeIds,
      (usage) => check(usage, { typeId, groups: 1 }),
    )
    return (await this.repo.get(id))!
  }

  /**
   * A group made from another group (a clone of each member) or from a group snapshot
   * (a volume from each of its snapshots); it is available once every new volume is.
   */
  async createFromSource(
    caller: Caller,
    input: {
      name: string | null
      description: string | null
      sourceGroupId?: string
      groupSnapshotId?: string
    },
  ): Promise<GroupRecord> {
    if (!!input.sourceGroupId === !!input.groupSnapshotId)
      throw new InvalidInput('Either group_snapshot_id or source_group_id must be provided, but not both.')
    let sources: { volumeId?: string; snapshotId?: string; typeId: string }[]
    let source: GroupRecord
    if (input.sourceGroupId) {
      source = await this.get(caller, input.sourceGroupId)
      if (source.status !== 'available')
        throw new InvalidGroup(`Source group ${source.id} status must be available.`)
      const members = await this.volumes.repo.list(
        { groupId: source.id },
        [{ key: 'created_at', dir: 'asc' }],
        {},
      )
      sources = members.map((v) => ({ volumeId: v.id, typeId: v.volume_type_id }))
    } else {
      const gs = await this.getSnapshot(caller, input.groupSnapshotId!)
      if (gs.status !== 'available')
        throw new InvalidGroupSnapshot(`Group snapshot ${gs.id} status must be available.`)
      source = await this.get(caller, gs.group_id)
      const snaps = await this.snapshots.repo.list(
        { groupSnapshotId: gs.id },
        [{ key: 'created_at', dir: 'asc' }],
        {},
      )
      sources = snaps.map((s) => ({ snapshotId: s.id, typeId: s.volume_type_id }))
    }
    const g = await this.insert(caller, {
      name: input.name,
      description: input.description,
      groupTypeId: source.group_type_id,
      typeIds: source.volume_type_ids,
      ...(input.sourceGroupId
        ? { sourceGroupId: input.sourceGroupId }
        : { groupSnapshotId: input.groupSnapshotId! }),
    })
    const created: string[] = []
    try {
      for (const s of sources) {
        const v = await this.volumes.create(caller, {
          ...(s.volumeId ? { sourceVolid: s.volumeId } : { snapshotId: s.snapshotId! }),
          volumeType: s.typeId,
          group: { id: g.id, volumeTypeIds: g.volume_type_ids },
        })
        created.push(v.id)
      }
    } catch (err) {
      await this.repo.update(g.id, { status: 'error' })
      throw err
    }
    void this.tasks.spawn(`create group ${g.id} from source`, async () => {
      let failed = false
      const ok = await settle(async () => {
        const rows = await this.volumes.repo.list({ ids: created }, [{ key: 'id', dir: 'asc' }], {})
        failed = rows.some((v) => v.status === 'error')
        return rows.every((v) => v.status !== 'creating')
      })
      await this.repo.update(g.id, { status: ok && !failed ? 'available' : 'error' }, ['creating'])
    })
    return g
  }

  async update(
    caller: Caller,
    id: string,
    input: { name?: string | null; description?: string | null; add: string[]; remove: string[] },
  ): Promise<void> {
    const g = await this.get(caller, id)
    if (input.add.length || input.remove.length) {
      if (g.status !== 'available')
        throw new InvalidGroup(`Group status must be available to add or remove volumes, but is ${g.status}.`)
      for (const vid of input.add) {
        const v = await this.volumes.get(caller, vid)
        if (v.group_id === id) continue
        if (v.project_id !== g.project_id)
          throw new InvalidVolumeForGroup(vid, 'it belongs to another project')
        if (v.group_id) throw new InvalidVolumeForGroup(vid, `it is already in group ${v.group_id}`)
        if (!['available', 'in-use'].includes(v.status))
          throw new InvalidVolumeForGroup(vid, `its status ${v.status} is not available or in-use`)
        if (!g.volume_type_ids.includes(v.volume_type_id))
          throw new InvalidVolumeForGroup(vid, `its type ${v.volume_type_id} is not supported by the group`)
      }
      for (const vid of input.remove) {
        const v = await this.volumes.get(caller, vid)
        if (v.group_id !== id) throw new InvalidVolumeForGroup(vid, `it is not in group ${id}`)
      }
      for (const vid of input.add) await this.repo.moveVolume(vid, null, id)
      for (const vid of input.remove) await this.repo.moveVolume(vid, id, null)
    }
    const set: { name?: string | null; description?: string | null } = {}
    if (input.name !== undefined) set.name = input.name
    if (input.description !== undefined) set.description = input.description
    await this.repo.update(id, set)
  }

  /** Deletes a group; its volumes too with `deleteVolumes` (a group with volumes is refused without). */
  async delete(caller: Caller, id: string, deleteVolumes: boolean): Promise<void> {
    const g = await this.get(caller, id)
    if (!['available', 'error', 'error_deleting'].includes(g.status))
      throw new InvalidGroup(`Group status must be available or error, but current status is: ${g.status}.`)
    if ((await this.repo.listSnapshots({ groupId: id })).length)
      throw new InvalidGroup('Group has existing snapshots.')
    const members = await this.volumes.repo.list({ groupId: id }, [{ key: 'id', dir: 'asc' }], {})
    if (members.length && !deleteVolumes)
      throw new InvalidGroup('Group has volumes; delete_volumes must be true to delete it.')
    for (const v of members) {
      if (v.attachments.length || !['available', 'error'].includes(v.status))
        throw new InvalidGroup(`Volume ${v.id} in the group must be available or error, but is ${v.status}.`)
      if ((await this.snapshots.repo.ofVolume(v.id)).length)
        throw new InvalidGroup(`Volume ${v.id} in the group still has dependent snapshots.`)
    }
    if (!(await this.repo.update(id, { status: 'deleting' }, [g.status])))
      throw new InvalidGroup('Group status changed while it was being deleted.')
    for (const v of members) await this.volumes.delete(caller, v.id)
    void this.tasks.spawn(`delete group ${id}`, async () => {
      const ok = await settle(async () => {
        const left = await this.volumes.repo.list({ groupId: id }, [{ key: 'id', dir: 'asc' }], {})
        return left.every((v) => v.status === 'error_deleting')
      })
      const left = await this.volumes.repo.list({ groupId: id }, [{ key: 'id', dir: 'asc' }], {})
      if (ok && !left.length) await this.repo.delete(id)
      else {
        this.logger.error({ group: id }, 'group delete: volumes did not go')
        await this.repo.update(id, { status: 'error_deleting' })
      }
    })
  }

  async resetStatus(caller: Caller, id: string, status: string): Promise<void> {
    await this.get(caller, id)
    if (!GROUP_STATUSES.includes(status)) throw new InvalidInput(`Group status ${status} not allowed.`)
    await this.repo.update(id, { status })
  }

  // --- group snapshots

  async getSnapshot(caller: Caller, id: string): Promise<GroupSnapshotRow> {
    const s = await this.repo.getSnapshot(id)
    if (!s || !sees(caller, s.project_id)) throw new GroupSnapshotNotFound(id)
    return s
  }

  async listSnapshots(caller: Caller, allProjects: boolean): Promise<GroupSnapshotRow[]> {
    return this.repo.listSnapshots(caller.isAdmin && allProjects ? {} : { projectId: caller.projectId })
  }

  /** A snapshot of every member of the group; available once each of them is. */
  async createSnapshot(
    caller: Caller,
    input: { groupId: string; name: string | null; description: string | null },
  ): Promise<GroupSnapshotRow> {
    const g = await this.get(caller, input.groupId)
    if (g.status !== 'available')
      throw new InvalidGroup(`Group ${g.id} status must be available, but current status is: ${g.status}.`)
    const members = await this.volumes.repo.list({ groupId: g.id }, [{ key: 'created_at', dir: 'asc' }], {})
    const id = randomUUID()
    await this.repo.createSnapshot({
      id,
      group_id: g.id,
      project_id: g.project_id,
      user_id: caller.userId,
      name: input.name,
      description: input.description,
      status: 'creating',
      group_type_id: g.group_type_id,
      created_at: new Date().toISOString(),
      updated_at: null,
    })
    const taken: string[] = []
    try {
      for (const v of members) {
        const s = await this.snapshots.create(
          caller,
          { volumeId: v.id, name: `group-snapshot-${id}`, force: true, groupSnapshotId: id },
          true,
        )
        taken.push(s.id)
      }
    } catch (err) {
      await this.repo.updateSnapshot(id, { status: 'error' })
      throw err
    }
    void this.tasks.spawn(`group snapshot ${id}`, async () => {
      let failed = false
      const ok = await settle(async () => {
        const rows = await this.snapshots.repo.list({ groupSnapshotId: id }, [{ key: 'id', dir: 'asc' }], {})
        failed = rows.some((s) => s.status === 'error')
        return rows.every((s) => s.status !== 'creating')
      })
      await this.repo.updateSnapshot(id, { status: ok && !failed ? 'available' : 'error' }, ['creating'])
    })
    return (await this.repo.getSnapshot(id))!
  }

  async deleteSnapshot(caller: Caller, id: string): Promise<void> {
    const gs = await this.getSnapshot(caller, id)
    if (!['available', 'error', 'error_deleting'].includes(gs.status))
      throw new InvalidGroupSnapshot(`Group snapshot status must be available or error, but is ${gs.status}.`)
    if (!(await this.repo.updateSnapshot(id, { status: 'deleting' }, [gs.status])))
      throw new InvalidGroupSnapshot('Group snapshot status changed while it was being deleted.')
    const members = await this.snapshots.repo.list({ groupSnapshotId: id }, [{ key: 'id', dir: 'asc' }], {})
    for (const s of members) if (s.status !== 'deleting') await this.snapshots.delete(caller, s.id, true)
    void this.tasks.spawn(`delete group snapshot ${id}`, async () => {
      const ok = await settle(async () => {
        const left = await this.snapshots.repo.list({ groupSnapshotId: id }, [{ key: 'id', dir: 'asc' }], {})
        return left.length === 0
      })
      if (ok) await this.repo.deleteSnapshot(id)
      else await this.repo.updateSnapshot(id, { status: 'error_deleting' })
    })
  }

  async resetSnapshotStatus(caller: Caller, id: string, status: string): Promise<void> {
    await this.getSnapshot(caller, id)
    if (!GROUP_SNAPSHOT_STATUSES.includes(status))
      throw new InvalidInput(`Group snapshot status ${status} not allowed.`)
    await this.repo.updateSnapshot(id, { status })
  }
}

class InvalidVolumeForGroup extends InvalidInput {
  constructor(volumeId: string, why: string) {
    super(`Volume ${volumeId} cannot be added to or removed from the group: ${why}.`)
  }
}
