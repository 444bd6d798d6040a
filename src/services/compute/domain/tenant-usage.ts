/**
 * os-simple-tenant-usage: what each project's servers used in a period, as upstream
 * counts it. A server counts from its launch (or the period's start) to its termination
 * (or the period's end); a server never launched counts nothing. Per project: the hours
 * and the hours times vCPUs, MiB and GiB (root plus ephemeral disk).
 */
import { ComputeBadRequest, MarkerNotFound } from '../errors.js'
import type { InstanceRow, ServerRepo } from '../storage/server.repo.js'
import type { InstanceFlavor } from './servers.js'

export interface ServerUsage {
  instance_id: string
  name: string
  hours: number
  memory_mb: number
  local_gb: number
  vcpus: number
  tenant_id: string
  flavor: string
  started_at: string
  ended_at: string | null
  state: string
  uptime: number
}

export interface TenantUsage {
  tenant_id: string
  total_hours: number
  total_local_gb_usage: number
  total_memory_mb_usage: number
  total_vcpus_usage: number
  start: string
  stop: string
  server_usages: ServerUsage[]
}

/** The period a request asks for: `start` and `end` (ISO 8601), defaulting to now. */
export function usagePeriod(start?: string, end?: string, now = new Date()): { start: Date; end: Date } {
  const s = start === undefined ? now : parseTime(start)
  const e = end === undefined ? now : parseTime(end)
  if (s > e)
    throw new ComputeBadRequest('Invalid start time. The start time cannot occur after the end time.')
  return { start: s, end: e }
}

function parseTime(v: string): Date {
  // upstream accepts %Y-%m-%dT%H:%M:%S, with .%f, and the same with a space
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/.exec(v)
  const d = m ? new Date(`${v.replace(' ', 'T').slice(0, 23)}Z`) : new Date(Number.NaN)
  if (!m || Number.isNaN(d.getTime())) throw new ComputeBadRequest(`Invalid time format: ${v}`)
  return d
}

/** Upstream prints the period as naive ISO 8601 with microseconds. */
const naive = (d: Date) => `${d.toISOString().slice(0, 23)}000`
/** ... and instance times with their zone. */
const zoned = (iso: string) => `${new Date(iso).toISOString().slice(0, 23)}000+00:00`

export class TenantUsages {
  constructor(private readonly repo: ServerRepo) {}

  /**
   * Usage per project in the period (only `projectId`'s when given), in project order.
   * From 2.40 a page covers `limit` servers after the server `marker`; `last` is the
   * page's last server when the page is full (the next page starts after it).
   */
  async usage(
    period: { start: Date; end: Date },
    projectId?: string,
    page: { limit?: number; marker?: string } = {},
  ): Promise<TenantUsage[] & { last?: string }> {
    let rows = await this.repo.activeInWindow(period.start.toISOString(), period.end.toISOString(), projectId)
    if (page.marker !== undefined) {
      const i = rows.findIndex((r) => r.uuid === page.marker)
      if (i < 0) throw new MarkerNotFound(`Marker ${page.marker} could not be found.`)
      rows = rows.slice(i + 1)
    }
    let last: string | undefined
    if (page.limit !== undefined && rows.length >= page.limit) {
      rows = rows.slice(0, page.limit)
      last = rows[rows.length - 1]?.uuid
    }
    const byProject = new Map<string, TenantUsage>()
    for (const row of rows) {
      const u = serverUsage(row, period)
      let t = byProject.get(row.project_id)
      if (!t) {
        t = {
          tenant_id: row.project_id,
          total_hours: 0,
          total_local_gb_usage: 0,
          total_memory_mb_usage: 0,
          total_vcpus_usage: 0,
          start: naive(period.start),
          stop: naive(period.end),
          server_usages: [],
        }
        byProject.set(row.project_id, t)
      }
      t.server_usages.push(u)
      t.total_hours += u.hours
      t.total_local_gb_usage += u.local_gb * u.hours
      t.total_memory_mb_usage += u.memory_mb * u.hours
      t.total_vcpus_usage += u.vcpus * u.hours
    }
    const out: TenantUsage[] & { last?: string } = [...byProject.values()]
    if (last !== undefined) out.last = last
    return out
  }
}

function serverUsage(row: InstanceRow, period: { start: Date; end: Date }): ServerUsage {
  const flavor = JSON.parse(row.flavor) as InstanceFlavor
  const launched = new Date(row.launched_at!)
  const terminated = row.terminated_at ? new Date(row.terminated_at) : undefined
  const from = launched > period.start ? launched : period.start
  const to = terminated && terminated < period.end ? terminated : period.end
  const hours = to > from ? (to.getTime() - from.getTime()) / 3_600_000 : 0
  const now = new Date()
  return {
    instance_id: row.uuid,
    name: row.display_name,
    hours,
    memory_mb: flavor.memory_mb,
    local_gb: flavor.root_gb + flavor.ephemeral_gb,
    vcpus: flavor.vcpus,
    tenant_id: row.project_id,
    flavor: flavor.name,
    started_at: zoned(row.launched_at!),
    ended_at: terminated ? zoned(row.terminated_at!) : null,
    state: row.deleted ? 'terminated' : row.vm_state,
    uptime: Math.floor(((terminated ?? now).getTime() - launched.getTime()) / 1000),
  }
}
