/**
 * Quotas by `[quota] driver`:
 *
 *   nova.quota.DbQuotaDriver        a limit per resource resolved from the project's (or
 *                                   the user's) own setting, else the `default` quota
 *                                   class, else the `[quota]` option
 *   nova.quota.UnifiedLimitsDriver  identity's registered and project limits
 *                                   (unified-limits.ts); the quota-set and quota-class
 *                                   APIs read them and write nothing, as upstream
 *   nova.quota.NoopQuotaDriver      nothing is limited
 *
 * Usage is counted from the resources themselves (key pairs, server groups here;
 * servers through the `ServerUsage` seam). `check` and `recheck` are how a create stays
 * within quota even when requests race.
 */
import type { ComputeConfig } from '../config.js'
import { QuotaLimitInvalid } from '../errors.js'
import type { KeypairRepo } from '../storage/keypair.repo.js'
import type { Limits, QuotaRepo } from '../storage/quota.repo.js'
import type { ServerGroupRepo } from '../storage/server-group.repo.js'
import type { UnifiedLimits } from './unified-limits.js'
import type { ServerUsage } from './usage.js'

/** Every quota resource, in upstream's order (the last four are kept for API compatibility). */
export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'metadata_items',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'key_pairs',
  'server_groups',
  'server_group_members',
  'fixed_ips',
  'floating_ips',
  'security_groups',
  'security_group_rules',
] as const
export type QuotaResource = (typeof QUOTA_RESOURCES)[number]

/** Counted per user rather than per project. */
const PER_USER: ReadonlySet<string> = new Set(['key_pairs', 'server_group_members'])

export interface QuotaDetail {
  limit: number
  in_use: number
  reserved: number
}

export class Quotas {
  constructor(
    private readonly repo: QuotaRepo,
    private readonly keypairs: KeypairRepo,
    private readonly groups: ServerGroupRepo,
    private readonly servers: ServerUsage,
    private readonly config: ComputeConfig['quota'],
    private readonly unifiedLimits?: UnifiedLimits,
  ) {}

  /** The unified limits driver, when it is the one configured. */
  get unified(): UnifiedLimits | undefined {
    if (this.config.driver !== 'nova.quota.UnifiedLimitsDriver') return undefined
    if (!this.unifiedLimits) throw new Error('the unified limits driver needs an identity client')
    return this.unifiedLimits
  }

  /** NoopQuotaDriver: nothing is limited. */
  get noopDriver(): boolean {
    return this.noop
  }

  private get noop(): boolean {
    return this.config.driver === 'nova.quota.NoopQuotaDriver'
  }

  /** The cloud-wide defaults: `[quota]` options overridden by the `default` class. */
  async defaults(): Promise<Limits> {
    if (this.noop) return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, -1]))
    if (this.unified) return this.unified.defaults(QUOTA_RESOURCES)
    const fromClass = await this.repo.classLimits('default')
    const c = this.config
    const fromConfig: Limits = {
      instances: c.instances,
      cores: c.cores,
      ram: c.ram,
      metadata_items: c.metadata_items,
      injected_files: c.injected_files,
      injected_file_content_bytes: c.injected_file_content_bytes,
      injected_file_path_bytes: c.injected_file_path_length,
      key_pairs: c.key_pairs,
      server_groups: c.server_groups,
      server_group_members: c.server_group_members,
    }
    return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, fromClass[r] ?? fromConfig[r] ?? -1]))
  }

  /** A quota class's limits: its own settings over the defaults. */
  async classLimits(className: string): Promise<Limits> {
    const defaults = await this.defaults()
    if (className === 'default' || this.noop || this.unified) return defaults
    return { ...defaults, ...(await this.repo.classLimits(className)) }
  }

  async setClassLimits(className: string, limits: Readonly<Limits>): Promise<Limits> {
    if (!this.noop && !this.unified) await this.repo.setClassLimits(className, limits)
    return this.classLimits(className)
  }

  /** A project's limits, or a user's within it when `userId` is given. */
  async limits(projectId: string, userId?: string): Promise<Limits> {
    if (this.unified) return this.unified.limits(projectId, QUOTA_RESOURCES)
    const defaults = await this.defaults()
    if (this.noop) return defaults
    const project = { ...defaults, ...(await this.repo.projectLimits(projectId)) }
    if (userId === undefined) return project
    return { ...project, ...(await this.repo.userLimits(projectId, userId)) }
  }

  /**
   * What is in use, per resource. With unified limits, as upstream: the project's
   * (whatever the user), with key pairs and group members shown as 0.
   */
  async usage(projectId: string, userId?: string): Promise<Limits> {
    if (this.unified) return { ...(await this.counted(projectId)), key_pairs: 0, server_group_members: 0 }
    return this.counted(projectId, userId)
  }

  private async counted(projectId: string, userId?: string): Promise<Limits> {
    const servers = await this.servers.project(projectId, userId)
    const keyPairs = userId === undefined ? 0 : await this.keypairs.countByUser(userId)
    const groups = await this.groups.countByProject(projectId)
    const used: Limits = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, 0]))
    return { ...used, ...servers, key_pairs: keyPairs, server_groups: groups }
  }

  async detail(projectId: string, userId?: string): Promise<Record<string, QuotaDetail>> {
    const [limits, used] = await Promise.all([this.limits(projectId, userId), this.usage(projectId, userId)])
    return Object.fromEntries(
      QUOTA_RESOURCES.map((r) => [r, { limit: limits[r] ?? -1, in_use: used[r] ?? 0, reserved: 0 }]),
    )
  }

  /**
   * Sets limits. Unless `force`, each must be at least what is in use and, for a user,
   * at most the project's limit.
   */
  async update(
    projectId: string,
    userId: string | undefined,
    values: Readonly<Limits>,
    force: boolean,
  ): Promise<Limits> {
    // NOTE: as upstream, the limits are identity's: the request is accepted and changes nothing.
    if (this.unified) return this.limits(projectId, userId)
    if (!force) {
      const used = await this.usage(projectId, userId)
      const project = userId === undefined ? undefined : await this.limits(projectId)
      for (const [resource, limit] of Object.entries(values)) {
        const min = used[resource] ?? 0
        const max = project?.[resource] ?? -1
        if (inf(limit) < inf(min))
          throw new QuotaLimitInvalid(
            `Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${min}.`,
          )
        if (inf(limit) > inf(max))
          throw new QuotaLimitInvalid(
            `Quota limit ${limit} for ${resource} must be less than or equal to ${max}.`,
          )
      }
    }
    if (!this.noop) {
      if (userId === undefined) await this.repo.setProjectLimits(projectId, values)
      else await this.repo.setUserLimits(projectId, userId, values)
    }
    return this.limits(projectId, userId)
  }

  /** Back to the defaults: a project's settings (and its users'), or one user's. */
  async reset(projectId: string, userId?: string): Promise<void> {
    if (this.unified) return
    if (userId === undefined) await this.repo.deleteProject(projectId)
    else await this.repo.deleteUser(projectId, userId)
  }

  /**
   * Throws `over()` unless `delta` more of `resource` fits. With delta 0 (the recheck
   * after a create), fails when usage already exceeds the limit.
   */
  async check(
    projectId: string,
    userId: string,
    resource: QuotaResource,
    delta: number,
    over: () => Error,
  ): Promise<void> {
    if (this.noop) return
    const scopeUser = PER_USER.has(resource) ? userId : undefined
    const limit = (await this.limits(projectId, userId))[resource] ?? -1
    if (limit < 0) return
    const used = (await this.counted(projectId, scopeUser))[resource] ?? 0
    if (used + delta > limit) throw over()
  }

  get recheck(): boolean {
    return this.config.recheck_quota
  }
}

const inf = (v: number) => (v === -1 ? Number.POSITIVE_INFINITY : v)
