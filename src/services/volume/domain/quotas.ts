/**
 * Quotas as Cinder's DbQuotaDriver keeps them: a limit per resource from the project's
 * own setting, else the `default` quota class, else the `[DEFAULT] quota_*` option; per
 * volume type resources (`volumes_<type>`, `gigabytes_<type>`, `snapshots_<type>`)
 * default to unlimited. Usage is counted from the volumes and snapshots themselves,
 * inside the transaction that creates (see storage/quota-lock.ts), so concurrent creates
 * never pass a limit.
 */
import type { VolumeConfig } from '../config.js'
import {
  GigabytesQuotaExceeded,
  GroupLimitExceeded,
  InvalidInput,
  QuotaCountExceeded,
  VolumeSizeExceedsLimit,
} from '../errors.js'
import type { Limits, QuotaRepo } from '../storage/quota.repo.js'
import type { Usage } from '../storage/quota-lock.js'
import type { TypeRepo } from '../storage/type.repo.js'

export const BASE_RESOURCES = [
  'volumes',
  'snapshots',
  'gigabytes',
  'backups',
  'backup_gigabytes',
  'groups',
  'per_volume_gigabytes',
] as const

export interface QuotaDetail {
  limit: number
  in_use: number
  reserved: number
  allocated?: number
}

/** What a create or an extend adds. */
export interface QuotaDelta {
  typeId: string
  volumes?: number
  snapshots?: number
  gigabytes?: number
  backups?: number
  backupGigabytes?: number
  groups?: number
}

export class Quotas {
  constructor(
    private readonly repo: QuotaRepo,
    private readonly types: TypeRepo,
    private readonly config: VolumeConfig['DEFAULT'],
  ) {}

  private async typeNames(): Promise<Map<string, string>> {
    return new Map((await this.types.list({})).map((t) => [t.id, t.name]))
  }

  /** Every resource name, base and per type, in Cinder's order. */
  async resources(): Promise<string[]> {
    const names = [...(await this.typeNames()).values()]
    return [...BASE_RESOURCES, ...names.flatMap((n) => [`volumes_${n}`, `gigabytes_${n}`, `snapshots_${n}`])]
  }

  async defaults(): Promise<Limits> {
    const c = this.config
    const fromConfig: Limits = {
      volumes: c.quota_volumes,
      snapshots: c.quota_snapshots,
      gigabytes: c.quota_gigabytes,
      backups: c.quota_backups,
      backup_gigabytes: c.quota_backup_gigabytes,
      groups: c.quota_groups,
      per_volume_gigabytes: c.per_volume_size_limit,
    }
    const fromClass = c.use_default_quota_class ? await this.repo.classLimits('default') : {}
    return Object.fromEntries((await this.resources()).map((r) => [r, fromClass[r] ?? fromConfig[r] ?? -1]))
  }

  async classLimits(name: string): Promise<Limits> {
    const defaults = await this.defaults()
    if (name === 'default') return defaults
    return { ...defaults, ...(await this.repo.classLimits(name)) }
  }

  async setClassLimits(name: string, values: Readonly<Limits>): Promise<Limits> {
    await this.validateKeys(values)
    await this.repo.setClassLimits(name, values)
    return this.classLimits(name)
  }

  async limits(projectId: string): Promise<Limits> {
    const defaults = await this.defaults()
    const own = await this.repo.projectLimits(projectId)
    return Object.fromEntries(Object.keys(defaults).map((r) => [r, own[r] ?? defaults[r]!]))
  }

  /** In-use counts per resource from a usage snapshot. */
  async used(usage: Usage): Promise<Limits> {
    return this.usedWith(usage, await this.typeNames())
  }

  private usedWith(usage: Usage, names: ReadonlyMap<string, string>): Limits {
    const gbSnap = this.config.no_snapshot_gb_quota ? 0 : usage.snapshotGigabytes
    const out: Limits = {
      volumes: usage.volumes,
      snapshots: usage.snapshots,
      gigabytes: usage.gigabytes + gbSnap,
      backups: usage.backups,
      backup_gigabytes: usage.backupGigabytes,
      groups: usage.groups,
      per_volume_gigabytes: 0,
    }
    for (const [id, name] of names) {
      const t = usage.byType[id]
      out[`volumes_${name}`] = t?.volumes ?? 0
      out[`gigabytes_${name}`] = t?.gigabytes ?? 0
      out[`snapshots_${name}`] = t?.snapshots ?? 0
    }
    return out
  }

  async detail(projectId: string, usage: Usage): Promise<Record<string, QuotaDetail>> {
    const [limits, used] = [await this.limits(projectId), await this.used(usage)]
    return Object.fromEntries(
      Object.keys(limits).map((r) => [r, { limit: limits[r]!, in_use: used[r] ?? 0, reserved: 0 }]),
    )
  }

  /** Sets a project's limits; with `validate`, each must cover what is in use. */
  async update(
    projectId: string,
    values: Readonly<Limits>,
    usage: Usage,
    validate: boolean,
  ): Promise<Limits> {
    await this.validateKeys(values)
    if (validate) {
      const used = await this.used(usage)
      for (const [key, limit] of Object.entries(values)) {
        const inUse = used[key] ?? 0
        if (limit !== -1 && limit < inUse)
          throw new InvalidInput(
            `Quota ${key} limit must be equal or greater than existing resources. Current usage is ${inUse} and the requested limit is ${limit}.`,
          )
      }
    }
    await this.repo.setProjectLimits(projectId, values)
    return this.limits(projectId)
  }

  async reset(projectId: string): Promise<void> {
    await this.repo.deleteProject(projectId)
  }

  private async validateKeys(values: Readonly<Limits>): Promise<void> {
    const known = new Set(await this.resources())
    const bad = Object.keys(values).filter((k) => !known.has(k))
    if (bad.length) throw new InvalidInput(`Bad key(s) in quota set: ${bad.join(', ')}`)
    for (const [k, v] of Object.entries(values))
      if (!Number.isInteger(v) || v < -1)
        throw new InvalidInput(`Quota limit for ${k} must be an integer of at least -1.`)
  }

  /**
   * A check of `delta` against the project's limits, to run inside the create's
   * transaction under the project's lock with the usage counted there. NOTE: the limits
   * and type names are read first, outside the transaction: SQLite serves one connection,
   * so a read inside the check would wait for the transaction it is part of.
   */
  async checker(projectId: string): Promise<(usage: Usage, delta: QuotaDelta) => void> {
    const limits = await this.limits(projectId)
    const names = await this.typeNames()
    return (usage, delta) => {
      const used = this.usedWith(usage, names)
      const typeName = names.get(delta.typeId) ?? ''
      const perVolume = limits.per_volume_gigabytes ?? -1
      if (delta.volumes && delta.gigabytes !== undefined && perVolume >= 0 && delta.gigabytes > perVolume)
        throw new VolumeSizeExceedsLimit(delta.gigabytes, perVolume)
      const counts: ['volumes' | 'snapshots', string][] = [
        ['volumes', 'volumes'],
        ['volumes', `volumes_${typeName}`],
        ['snapshots', 'snapshots'],
        ['snapshots', `snapshots_${typeName}`],
      ]
      for (const [field, resource] of counts) {
        const add = delta[field] ?? 0
        const limit = limits[resource] ?? -1
        if (add > 0 && limit >= 0 && (used[resource] ?? 0) + add > limit)
          throw new QuotaCountExceeded(field, limit, resource)
      }
      const backupLimit = limits.backups ?? -1
      if (delta.backups && backupLimit >= 0 && used.backups! + delta.backups > backupLimit)
        throw new QuotaCountExceeded('backups', backupLimit, 'backups')
      const groupLimit = limits.groups ?? -1
      if (delta.groups && groupLimit >= 0 && used.groups! + delta.groups > groupLimit)
        throw new GroupLimitExceeded(groupLimit)
      const backupGbLimit = limits.backup_gigabytes ?? -1
      const bgb = delta.backupGigabytes ?? 0
      if (bgb > 0 && backupGbLimit >= 0 && used.backup_gigabytes! + bgb > backupGbLimit)
        throw new GigabytesQuotaExceeded(bgb, backupGbLimit, used.backup_gigabytes!, 'backup_gigabytes')
      const gb = delta.gigabytes ?? 0
      const countsGb = delta.snapshots && this.config.no_snapshot_gb_quota ? 0 : gb
      for (const resource of ['gigabytes', `gigabytes_${typeName}`]) {
        const limit = limits[resource] ?? -1
        if (countsGb > 0 && limit >= 0 && (used[resource] ?? 0) + countsGb > limit)
          throw new GigabytesQuotaExceeded(countsGb, limit, used[resource] ?? 0, resource)
      }
    }
  }
}
