/**
 * `cloudlet host drain HOST` and `cloudlet host evacuate HOST`: host maintenance through
 * the compute API alone (the same calls an operator makes with the `openstack` CLI), so
 * no database is edited. Each run reads the cloud afresh, so a drain that stopped (or
 * was stopped) is resumed by running it again.
 *
 *   drain HOST
 *     ─▶ os-services: the host's nova-compute disabled with the reason
 *     ─▶ waits for moves in flight on the host; confirms resizes held on it
 *     ─▶ per server on the host (a few at once):
 *          ACTIVE, PAUSED      live migrate (scheduler's choice); refused or failed ─▶ cold
 *          SHUTOFF             cold migrate, then confirm
 *          VERIFY_RESIZE       confirm, then as above
 *          SHELVED             shelve offload
 *          anything else       left, with the reason
 *     ─▶ progress bar on stderr, then a summary; exit 0 when the host is empty
 *
 *   evacuate HOST
 *     ─▶ os-services: forced down (and disabled with the reason)
 *     ─▶ per server on the host: evacuate (scheduler's choice) ─▶ summary
 */

/** What the maintenance needs of the compute API: one JSON request as the admin. */
export interface ComputeCaller {
  request(
    method: string,
    path: string,
    body?: unknown,
    version?: string,
  ): Promise<{ status: number; body: Record<string, unknown> | undefined }>
}

export interface MaintenanceOptions {
  reason?: string
  /** Servers moved at once. @default 4 */
  concurrency?: number
  /** Seconds one server's move may take. @default 600 */
  timeoutSeconds?: number
  /** Called after each server with the counts so far. */
  progress?: (done: number, total: number, last: ServerOutcome) => void
}

export interface ServerOutcome {
  id: string
  name: string
  /** live, cold, offloaded, evacuated; or left (with why). */
  result: 'live' | 'cold' | 'offloaded' | 'evacuated' | 'left'
  to?: string
  reason?: string
}

export interface MaintenanceSummary {
  host: string
  disabledReason: string
  outcomes: ServerOutcome[]
  /** Servers still on the host at the end. */
  remaining: number
}

interface ServerView {
  id: string
  name: string
  status: string
  'OS-EXT-STS:task_state': string | null
  'OS-EXT-SRV-ATTR:host': string | null
}

const V = '2.53'

export class HostMaintenance {
  constructor(private readonly api: ComputeCaller) {}

  async drain(host: string, o: MaintenanceOptions = {}): Promise<MaintenanceSummary> {
    const reason = o.reason ?? `drained by cloudlet host drain at ${new Date().toISOString()}`
    const service = await this.service(host)
    await this.call('PUT', `/os-services/${service.id}`, { status: 'disabled', disabled_reason: reason }, V)
    // moves the host is the source of, waiting in VERIFY_RESIZE elsewhere, keep a hold on it
    const held = (
      await this.call(
        'GET',
        `/os-migrations?source_compute=${encodeURIComponent(host)}&status=finished`,
        undefined,
        '2.23',
      )
    )?.migrations as { instance_uuid: string }[]
    for (const m of held ?? []) await this.confirm(m.instance_uuid, o)
    const servers = await this.settled(host, o)
    const outcomes = await this.each(servers, o, (s) => this.move(host, s, o))
    const remaining = (await this.serversOn(host)).length
    return { host, disabledReason: reason, outcomes, remaining }
  }

  async evacuate(host: string, o: MaintenanceOptions = {}): Promise<MaintenanceSummary> {
    const reason = o.reason ?? `evacuated by cloudlet host evacuate at ${new Date().toISOString()}`
    const service = await this.service(host)
    await this.call('PUT', `/os-services/${service.id}`, { status: 'disabled', disabled_reason: reason }, V)
    await this.call('PUT', `/os-services/${service.id}`, { forced_down: true }, V)
    const servers = await this.settled(host, o)
    const outcomes = await this.each(servers, o, async (s) => {
      if (!['ACTIVE', 'SHUTOFF', 'ERROR'].includes(s.status))
        return left(s, `status ${s.status}: only ACTIVE, SHUTOFF and ERROR servers can be evacuated`)
      const r = await this.api.request('POST', `/servers/${s.id}/action`, { evacuate: {} }, '2.14')
      if (r.status >= 300) return left(s, messageOf(r.body))
      const end = await this.wait(s.id, o)
      if (end['OS-EXT-SRV-ATTR:host'] === host || end.status === 'ERROR')
        return left(s, `evacuation failed (${end.status})`)
      return { id: s.id, name: s.name, result: 'evacuated', to: end['OS-EXT-SRV-ATTR:host'] ?? '' }
    })
    const remaining = (await this.serversOn(host)).length
    return { host, disabledReason: reason, outcomes, remaining }
  }

  // --- one server

  private async move(host: string, s: ServerView, o: MaintenanceOptions): Promise<ServerOutcome> {
    let status = s.status
    if (status === 'VERIFY_RESIZE') {
      const done = await this.confirm(s.id, o)
      status = done.status
    }
    if (status === 'SHELVED') {
      const r = await this.api.request('POST', `/servers/${s.id}/action`, { shelveOffload: null })
      if (r.status >= 300) return left(s, messageOf(r.body))
      const end = await this.wait(s.id, o)
      return end.status === 'SHELVED_OFFLOADED'
        ? { id: s.id, name: s.name, result: 'offloaded' }
        : left(s, `offload ended ${end.status}`)
    }
    if (status === 'ACTIVE' || status === 'PAUSED') {
      const r = await this.api.request(
        'POST',
        `/servers/${s.id}/action`,
        { 'os-migrateLive': { host: null, block_migration: 'auto' } },
        '2.25',
      )
      if (r.status < 300) {
        const end = await this.wait(s.id, o)
        const to = end['OS-EXT-SRV-ATTR:host']
        if (to && to !== host) return { id: s.id, name: s.name, result: 'live', to }
        if (status === 'PAUSED')
          return left(s, 'live migration failed and a paused server cannot be cold-migrated')
        status = end.status
      } else if (status === 'PAUSED') return left(s, messageOf(r.body))
    }
    if (status === 'ACTIVE' || status === 'SHUTOFF') {
      const r = await this.api.request('POST', `/servers/${s.id}/action`, { migrate: null })
      if (r.status >= 300) return left(s, messageOf(r.body))
      const mid = await this.wait(s.id, o)
      if (mid.status !== 'VERIFY_RESIZE')
        return left(s, `cold migration ended ${mid.status}${await this.fault(s.id)}`)
      const end = await this.confirm(s.id, o)
      const to = end['OS-EXT-SRV-ATTR:host']
      if (to && to !== host) return { id: s.id, name: s.name, result: 'cold', to }
      return left(s, `cold migration did not leave the host (${end.status})`)
    }
    return left(
      s,
      `status ${status}: only ACTIVE, PAUSED, SHUTOFF, VERIFY_RESIZE and SHELVED servers can be moved`,
    )
  }

  private async confirm(id: string, o: MaintenanceOptions): Promise<ServerView> {
    await this.api.request('POST', `/servers/${id}/action`, { confirmResize: null })
    return this.wait(id, o, (v) => v.status !== 'VERIFY_RESIZE')
  }

  // --- reading the cloud

  private async service(host: string): Promise<{ id: string }> {
    const body = await this.call(
      'GET',
      `/os-services?host=${encodeURIComponent(host)}&binary=nova-compute`,
      undefined,
      V,
    )
    const svc = (body?.services as { id: string }[] | undefined)?.[0]
    if (!svc) throw new Error(`no nova-compute service on host ${host}`)
    return svc
  }

  private async serversOn(host: string): Promise<ServerView[]> {
    const out: ServerView[] = []
    let marker: string | undefined
    for (;;) {
      const q = `/servers/detail?all_tenants=1&host=${encodeURIComponent(host)}&limit=200${marker ? `&marker=${marker}` : ''}`
      const body = await this.call('GET', q, undefined, V)
      const page = (body?.servers ?? []) as ServerView[]
      out.push(...page)
      if (page.length < 200) return out
      marker = page[page.length - 1]!.id
    }
  }

  /** The servers on the host once none has a task in flight (a resumed drain's leftovers). */
  private async settled(host: string, o: MaintenanceOptions): Promise<ServerView[]> {
    const until = Date.now() + (o.timeoutSeconds ?? 600) * 1000
    for (;;) {
      const servers = await this.serversOn(host)
      if (servers.every((s) => s['OS-EXT-STS:task_state'] === null) || Date.now() > until) return servers
      await sleep(200)
    }
  }

  private async wait(
    id: string,
    o: MaintenanceOptions,
    done: (v: ServerView) => boolean = () => true,
  ): Promise<ServerView> {
    const until = Date.now() + (o.timeoutSeconds ?? 600) * 1000
    for (let pause = 20; ; pause = Math.min(pause * 2, 1000)) {
      const r = await this.api.request('GET', `/servers/${id}`, undefined, V)
      const v = r.body?.server as ServerView | undefined
      if (
        v &&
        v['OS-EXT-STS:task_state'] === null &&
        !['RESIZE', 'MIGRATING', 'REVERT_RESIZE'].includes(v.status) &&
        done(v)
      )
        return v
      if (Date.now() > until) throw new Error(`server ${id} did not settle in time`)
      await sleep(pause)
    }
  }

  private async fault(id: string): Promise<string> {
    const r = await this.api.request('GET', `/servers/${id}`, undefined, V)
    const f = (r.body?.server as { fault?: { message?: string } } | undefined)?.fault
    return f?.message ? `: ${f.message}` : ''
  }

  private async each(
    servers: readonly ServerView[],
    o: MaintenanceOptions,
    work: (s: ServerView) => Promise<ServerOutcome>,
  ): Promise<ServerOutcome[]> {
    const out: ServerOutcome[] = []
    let next = 0
    let stopped = false
    const worker = async () => {
      while (next < servers.length && !stopped) {
        const s = servers[next++]!
        const r = await work(s).catch((e: unknown) => left(s, (e as Error).message))
        out.push(r)
        try {
          o.progress?.(out.length, servers.length, r)
        } catch (e) {
          // NOTE: a progress callback that throws stops the run (no new server starts).
          stopped = true
          throw e
        }
      }
    }
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, servers.length)) }, worker),
    )
    return out
  }

  private async call(method: string, path: string, body?: unknown, version?: string) {
    const r = await this.api.request(method, path, body, version)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${messageOf(r.body)}`)
    return r.body
  }
}

const left = (s: ServerView, reason: string): ServerOutcome => ({
  id: s.id,
  name: s.name,
  result: 'left',
  reason,
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function messageOf(body: unknown): string {
  if (body && typeof body === 'object')
    for (const v of Object.values(body as Record<string, unknown>))
      if (v && typeof v === 'object' && 'message' in v) return String((v as { message: unknown }).message)
  return JSON.stringify(body)
}

/** A progress bar on one line of a terminal, or a line per server otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream, verb: string) {
  return (done: number, total: number, last: ServerOutcome) => {
    const width = 30
    const filled = Math.round((done / Math.max(1, total)) * width)
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
    const what =
      last.result === 'left'
        ? `${last.name}: left (${last.reason})`
        : `${last.name}: ${last.result}${last.to ? ` to ${last.to}` : ''}`
    if (stream.isTTY)
      stream.write(`\r${bar} ${verb} ${what}`.slice(0, stream.columns ?? 120).padEnd(stream.columns ?? 120))
    else stream.write(`${bar} ${what}\n`)
    if (stream.isTTY && done === total) stream.write('\n')
  }
}

/** The summary an operator reads at the end. */
export function summaryText(s: MaintenanceSummary): string {
  const count = (r: ServerOutcome['result']) => s.outcomes.filter((o) => o.result === r).length
  const lines = [
    `host ${s.host}: disabled ("${s.disabledReason}")`,
    `  live-migrated: ${count('live')}, cold-migrated: ${count('cold')}, offloaded: ${count('offloaded')}, evacuated: ${count('evacuated')}, left: ${count('left')}`,
  ]
  for (const o of s.outcomes.filter((x) => x.result === 'left'))
    lines.push(`  left ${o.name} (${o.id}): ${o.reason}`)
  lines.push(
    s.remaining === 0
      ? `  the host has no servers left`
      : `  ${s.remaining} server(s) still on the host; run the command again to resume`,
  )
  return lines.join('\n')
}
