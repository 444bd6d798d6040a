/**
 * os-instance-usage-audit-log: the state of the instance usage audit of the last
 * completed audit period (`[DEFAULT] instance_usage_audit_period`: hour, day, month or
 * year, with an optional `@offset`) on every compute host, disabled ones included.
 *
 * Upstream's compute hosts write one task log per period when `instance_usage_audit`
 * is on (off by default); Cloudlet's hosts do not run that audit, so no host has a log
 * and the report names every compute host as not run, which is what upstream reports
 * with the option at its default.
 */
import { ComputeBadRequest } from '../errors.js'
import type { ComputeServices } from './services.js'

/** One host's audit of a period, as upstream's task log holds it. */
export interface AuditTaskLog {
  host: string
  state: 'RUNNING' | 'DONE'
  taskItems: number
  errors: number
  message: string
}

export interface AuditReport {
  period_beginning: string
  period_ending: string
  num_hosts: number
  num_hosts_done: number
  num_hosts_running: number
  num_hosts_not_run: number
  hosts_not_run: string[]
  total_instances: number
  total_errors: number
  overall_status: string
  log: Record<string, { state: string; instances: number; errors: number; message: string }>
}

const PERIOD = /^(hour|day|month|year)(?:@(\d+))?$/

/**
 * The last audit period completed before `before` (UTC), as [begin, end). A month period
 * with offset d runs from day d to day d; a year period with offset m from month m; a
 * day period with offset h from hour h; an hour period with offset m from minute m.
 */
export function lastCompletedAuditPeriod(period: string, before: Date): [Date, Date] {
  const m = PERIOD.exec(period)
  if (!m) throw new Error(`instance_usage_audit_period must be hour, day, month or year: ${period}`)
  const unit = m[1]!
  const offset = Number(m[2] ?? 0)
  const t = before.getTime()
  const at = (y: number, mo: number, d = 1, h = 0, mi = 0) => new Date(Date.UTC(y, mo, d, h, mi))
  const y = before.getUTCFullYear()
  const mo = before.getUTCMonth()
  switch (unit) {
    case 'month': {
      const day = offset || 1
      let end = at(y, mo, day)
      if (end.getTime() >= t) end = at(y, mo - 1, day)
      return [at(end.getUTCFullYear(), end.getUTCMonth() - 1, day), end]
    }
    case 'year': {
      const month = (offset || 1) - 1
      let end = at(y, month)
      if (end.getTime() >= t) end = at(y - 1, month)
      return [at(end.getUTCFullYear() - 1, month), end]
    }
    case 'day': {
      let end = at(y, mo, before.getUTCDate(), offset)
      if (end.getTime() >= t) end = new Date(end.getTime() - 86_400_000)
      return [new Date(end.getTime() - 86_400_000), end]
    }
    default: {
      let end = at(y, mo, before.getUTCDate(), before.getUTCHours(), offset)
      if (end.getTime() >= t) end = new Date(end.getTime() - 3_600_000)
      return [new Date(end.getTime() - 3_600_000), end]
    }
  }
}

/** `2026-11-01 00:00:00`, as Python prints a datetime (microseconds only when not 0). */
export function pythonTime(d: Date): string {
  const iso = d.toISOString()
  const ms = d.getUTCMilliseconds()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms ? `.${String(ms * 1000).padStart(6, '0')}` : ''}`
}

const STAMP = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/

/**
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC), the form upstream's show takes; anything else
 * (or an impossible date) is a 400 in upstream's words.
 */
export function parseAuditTimestamp(text: string): Date {
  const m = STAMP.exec(text)
  const bad = () => new ComputeBadRequest(`Invalid timestamp for date ${text}`)
  if (!m) throw bad()
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const micro = Number((m[7] ?? '').padEnd(6, '0') || 0)
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, Math.floor(micro / 1000)))
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  )
    throw bad()
  return date
}

export class UsageAudits {
  constructor(
    private readonly services: ComputeServices,
    private readonly period: () => string,
    /** The task logs of a period; none while the hosts do not audit. */
    private readonly taskLogs: (begin: Date, end: Date) => Promise<readonly AuditTaskLog[]> = async () => [],
  ) {}

  /** The report for the last period completed before `before` (default: now). */
  async report(before: Date = new Date()): Promise<AuditReport> {
    const [begin, end] = lastCompletedAuditPeriod(this.period(), before)
    const logs = await this.taskLogs(begin, end)
    const hosts = new Set((await this.services.list({ binary: 'nova-compute' })).map((s) => s.host))
    const seen = new Set(logs.map((l) => l.host))
    const done = new Set(logs.filter((l) => l.state === 'DONE').map((l) => l.host))
    const running = new Set(logs.filter((l) => l.state === 'RUNNING').map((l) => l.host))
    const totalErrors = logs.reduce((n, l) => n + l.errors, 0)
    const notRun = [...hosts].filter((h) => !seen.has(h))
    const doneText = done.size === hosts.size ? 'ALL' : `${done.size} of ${hosts.size}`
    return {
      period_beginning: pythonTime(begin),
      period_ending: pythonTime(end),
      num_hosts: hosts.size,
      num_hosts_done: done.size,
      num_hosts_running: running.size,
      num_hosts_not_run: notRun.length,
      hosts_not_run: notRun,
      total_instances: logs.reduce((n, l) => n + l.taskItems, 0),
      total_errors: totalErrors,
      overall_status: `${doneText} hosts done. ${totalErrors} errors.`,
      log: Object.fromEntries(
        logs.map((l) => [
          l.host,
          { state: l.state, instances: l.taskItems, errors: l.errors, message: l.message },
        ]),
      ),
    }
  }
}
