/**
 * `cloudlet host drain|evacuate HOST`: logs in as the clouds.yaml entry (--os-cloud,
 * $OS_CLOUD, else cloudlet-admin), then runs host-maintenance.ts against the catalog's
 * compute endpoint, with a progress bar on stderr and the summary on stdout. Exit 0 when
 * the host ends empty, 1 when servers are left (their reasons printed).
 */
import type { HostLine } from './args.js'
import { type ComputeCaller, HostMaintenance, progressPrinter, summaryText } from './host-maintenance.js'
import { cloudOf, endpoint, login } from './scheduler-explain.js'

export async function hostCommand(what: 'drain' | 'evacuate', x: HostLine): Promise<number> {
  const { auth, region } = cloudOf(x.cloud ?? process.env.OS_CLOUD ?? 'cloudlet-admin')
  const { token, catalog } = await login(auth)
  const compute = endpoint(catalog, 'compute', region)
  if (!compute) throw new Error('the catalog has no compute endpoint')
  const api: ComputeCaller = {
    async request(method, path, body, version) {
      const res = await fetch(`${compute}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          'x-auth-token': token,
          ...(version ? { 'openstack-api-version': `compute ${version}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      let json: Record<string, unknown> | undefined
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined
      } catch {
        json = { error: { message: text } }
      }
      return { status: res.status, body: json }
    },
  }
  const m = new HostMaintenance(api)
  const options = {
    ...(x.reason ? { reason: x.reason } : {}),
    concurrency: x.concurrency,
    progress: progressPrinter(process.stderr, what === 'drain' ? 'moved' : 'evacuated'),
  }
  const summary = what === 'drain' ? await m.drain(x.host, options) : await m.evacuate(x.host, options)
  console.log(summaryText(summary))
  return summary.remaining === 0 ? 0 : 1
}
