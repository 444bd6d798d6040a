/**
 * Image quotas from unified limits, as Glance enforces them with `[DEFAULT]
 * use_keystone_limits`: four resources per project, read from identity's limits (the
 * project's own, else the registered default; none registered is 0), each checked as
 * usage + delta <= limit before the operation it guards (-1 is unlimited):
 *
 *   image_count_total      images the project owns          create (delta 1)
 *   image_size_total       MiB of stored image data          upload (delta: declared MiB), import
 *   image_stage_total      MiB of data staged for import     stage (delta: declared MiB)
 *   image_count_uploading  images saving, uploading, importing  upload and stage (delta 0, after the move)
 *
 * NOTE: as in Glance, these checks come before the data does: a transfer of unknown
 * length may end above a limit, and the next one is refused. The config quotas
 * (`user_storage_quota`, `[image_quota]`) stay hard limits enforced while the data
 * streams; staged data counts against them.
 *
 * Limits arrive through `LimitsReader`, a port identity provides in-process.
 * NOTE: the seam is this one method on purpose: the kernel's service clients will
 * carry it between processes without image changing.
 */
import { QuotaExceeded } from '../errors.js'
import type { ImageRepository } from '../storage/image.repo.js'

export const QUOTA_RESOURCES = [
  'image_count_total',
  'image_count_uploading',
  'image_size_total',
  'image_stage_total',
] as const
export type QuotaResource = (typeof QUOTA_RESOURCES)[number]

/** What image needs from identity's unified limits. */
export interface LimitsReader {
  /** The project's limit per resource name; names without a registered limit are absent. */
  limitsFor(q: {
    projectId: string
    resourceNames: readonly string[]
    serviceType: string
    endpointId?: string | undefined
    regionName?: string | undefined
  }): Promise<Record<string, number>>
}

export interface ImageQuotaOptions {
  /** `[DEFAULT] use_keystone_limits`. */
  enabled: boolean
  /** `[oslo_limit] endpoint_service_type`. @default 'image' */
  serviceType: string
  /** `[oslo_limit] endpoint_id`: the catalog endpoint whose service and region own the limits. */
  endpointId?: string | undefined
  /** `[oslo_limit] endpoint_region_name`. */
  regionName?: string | undefined
  /** Identity's limits; without them every limit reads as 0. */
  reader?: LimitsReader | undefined
}

const MiB = 1024 * 1024

export class ImageQuotas {
  constructor(
    private readonly repo: ImageRepository,
    private readonly opts: ImageQuotaOptions,
  ) {}

  /** Whether unified limits govern this service (else the config quotas do). */
  get enabled(): boolean {
    return this.opts.enabled
  }

  /** Throws QuotaExceeded (413) when usage + delta passes a limit; a no-op unless enabled. */
  async enforce(projectId: string | null, deltas: Partial<Record<QuotaResource, number>>): Promise<void> {
    if (!this.opts.enabled || !projectId) return
    const names = (Object.keys(deltas) as QuotaResource[]).sort()
    const limits = await this.limits(projectId, names)
    const usage = await this.usage(projectId, names)
    const over: string[] = []
    for (const name of names) {
      const limit = limits[name] ?? 0
      if (limit < 0) continue
      const delta = deltas[name] ?? 0
      if (usage[name] + delta > limit) {
        over.push(
          `Resource ${name} is over limit of ${limit} due to current usage ${usage[name]} and delta ${delta}`,
        )
      }
    }
    if (over.length > 0)
      throw new QuotaExceeded(`Project ${projectId} is over a limit for [${over.join(', ')}]`)
  }

  private async limits(projectId: string, names: readonly QuotaResource[]): Promise<Record<string, number>> {
    if (!this.opts.reader) return {}
    return this.opts.reader.limitsFor({
      projectId,
      resourceNames: names,
      serviceType: this.opts.serviceType,
      endpointId: this.opts.endpointId,
      regionName: this.opts.regionName,
    })
  }

  /** Current usage in each resource's unit (MiB rounded down, as Glance counts). */
  async usage(projectId: string, names: readonly QuotaResource[]): Promise<Record<QuotaResource, number>> {
    const out = { image_count_total: 0, image_count_uploading: 0, image_size_total: 0, image_stage_total: 0 }
    if (names.includes('image_count_total') || names.includes('image_size_total')) {
      const u = await this.repo.usage(projectId)
      out.image_count_total = u.images
      out.image_size_total = Math.floor(u.bytes / MiB)
    }
    if (names.includes('image_stage_total'))
      out.image_stage_total = Math.floor((await this.repo.stagedBytes(projectId)) / MiB)
    if (names.includes('image_count_uploading'))
      out.image_count_uploading = await this.repo.uploadingCount(projectId)
    return out
  }
}

/** A declared length in MiB, rounded down (Glance's delta); 0 when unknown. */
export function mebibytes(bytes: number | undefined): number {
  return bytes === undefined ? 0 : Math.floor(bytes / MiB)
}
