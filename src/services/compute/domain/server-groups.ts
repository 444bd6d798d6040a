/**
 * Server groups: a project's named placement policy for its servers (affinity,
 * anti-affinity and their soft variants; anti-affinity may allow more than one server
 * per host), counted against the `server_groups` quota with a recheck. Members are
 * added by the servers API, which checks `server_group_members` with `checkMembers`.
 */
import { randomUUID } from 'node:crypto'
import {
  ServerGroupInvalid,
  ServerGroupLimitExceeded,
  ServerGroupMemberLimitExceeded,
  ServerGroupNotFound,
} from '../errors.js'
import type { ServerGroupRepo, ServerGroupRow } from '../storage/server-group.repo.js'
import { type Caller, nowIso } from './caller.js'
import type { Quotas } from './quotas.js'

export const GROUP_POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] as const
export type GroupPolicy = (typeof GROUP_POLICIES)[number]

export interface NewServerGroup {
  name: string
  policy: GroupPolicy
  maxServerPerHost?: number
}

export type ServerGroup = ServerGroupRow

export class ServerGroups {
  constructor(
    private readonly repo: ServerGroupRepo,
    private readonly quotas: Quotas,
  ) {}

  async create(caller: Caller, input: NewServerGroup): Promise<ServerGroup> {
    if (input.maxServerPerHost !== undefined && input.policy !== 'anti-affinity')
      throw new ServerGroupInvalid('Only anti-affinity policy supports rules.')
    const over = () => new ServerGroupLimitExceeded()
    await this.quotas.check(caller.projectId, caller.userId, 'server_groups', 1, over)
    const group = await this.repo.create({
      uuid: randomUUID(),
      name: input.name,
      user_id: caller.userId,
      project_id: caller.projectId,
      policy: input.policy,
      max_server_per_host: input.maxServerPerHost ?? null,
      created_at: nowIso(),
    })
    if (this.quotas.recheck) {
      try {
        await this.quotas.check(caller.projectId, caller.userId, 'server_groups', 0, over)
      } catch (e) {
        await this.repo.delete(group.id)
        throw e
      }
    }
    return group
  }

  /** The caller's project's groups, or every project's (`all`, for admins). */
  async list(caller: Caller, all: boolean): Promise<ServerGroup[]> {
    return this.repo.list(all ? undefined : caller.projectId)
  }

  /** Any project's group by id; the caller's policy check decides who may see it. */
  async get(id: string): Promise<ServerGroup> {
    const group = await this.repo.get(id)
    if (!group) throw new ServerGroupNotFound(id)
    return group
  }

  async delete(group: ServerGroup): Promise<void> {
    if (!(await this.repo.delete(group.id))) throw new ServerGroupNotFound(group.uuid)
  }

  /** For the servers API: refuses `count` more members beyond `server_group_members`. */
  async checkMembers(caller: Caller, group: ServerGroup, count: number): Promise<void> {
    const limit = (await this.quotas.limits(caller.projectId, caller.userId)).server_group_members ?? -1
    if (limit >= 0 && group.members.length + count > limit) throw new ServerGroupMemberLimitExceeded()
  }

  async addMembers(group: ServerGroup, instanceUuids: readonly string[]): Promise<void> {
    await this.repo.addMembers(group.id, instanceUuids, nowIso())
  }
}
