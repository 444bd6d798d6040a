/**
 * The host-level admin APIs over the simulated hosts: os-hosts up to 2.42 (list with a
 * zone, a host's resources, enable/disable through its compute service, maintenance and
 * power actions refused as the driver lacks them), os-instance-usage-audit-log (the
 * last completed period, every host not run) and the v2 extension list. Refusals in
 * Nova's error format.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startServersCloud, type TestCloud, waitFor } from './cloud-harness.js'

const V = '/compute/v2.1'
const ADMIN = 'project-admin'
const MEMBER = 'project-member'
const OLD = '2.42'

describe('os-hosts, the usage audit log and the extension list', { timeout: 120_000 }, () => {
  let c: TestCloud
  let host: string
  before(async () => {
    c = await startServersCloud()
    const res = await c.t.call('POST', `${V}/servers`, {
      as: MEMBER,
      version: '2.37',
      body: { server: { name: 'on-a-host', imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    await waitFor(c.t, res.body.server.id, ['ACTIVE'])
    const shown = await c.t.call('GET', `${V}/servers/${res.body.server.id}`, { as: ADMIN, version: '2.1' })
    host = shown.body.server['OS-EXT-SRV-ATTR:host']
    assert.ok(host)
  })
  after(async () => c?.close())

  const get = (path: string, as = ADMIN, version = OLD) => c.t.call('GET', `${V}${path}`, { as, version })
  const put = (path: string, body: unknown, as = ADMIN, version = OLD) =>
    c.t.call('PUT', `${V}${path}`, { as, version, body })

  it('lists the hosts of enabled services with their topic and zone, by zone too', async () => {
    const all = await get('/os-hosts')
    assert.equal(all.status, 200, JSON.stringify(all.body))
    const hosts = all.body.hosts as { host_name: string; service: string; zone: string }[]
    const computes = hosts.filter((h) => h.service === 'compute')
    assert.deepEqual(computes.map((h) => h.host_name).sort(), ['cmp-1', 'cmp-2', 'cmp-3'])
    assert.ok(computes.every((h) => h.zone === 'nova'))
    assert.ok(hosts.filter((h) => h.service !== 'compute').every((h) => h.zone === 'internal'))
    assert.ok(hosts.every((h) => Object.keys(h).sort().join() === 'host_name,service,zone'))

    assert.deepEqual((await get('/os-hosts?zone=nova')).body.hosts, computes)
    assert.deepEqual((await get('/os-hosts?zone=')).body.hosts, hosts, 'a blank zone lists all')
    assert.deepEqual((await get('/os-hosts?zone=xxx')).body.hosts, [])
  })

  it("shows a host's totals, usage and its servers' flavors per project", async () => {
    const r = await get(`/os-hosts/${host}`)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const rows = (r.body.host as { resource: Record<string, unknown> }[]).map((x) => x.resource)
    assert.deepEqual(
      rows.map((x) => x.project),
      ['(total)', '(used_now)', '(used_max)', rows[3]!.project],
    )
    assert.ok(rows.every((x) => x.host === host))
    const hyp = (await get('/os-hypervisors/detail', ADMIN, '2.1')).body.hypervisors.find(
      (h: { hypervisor_hostname: string }) => h.hypervisor_hostname === host,
    )
    assert.deepEqual(rows[0], {
      host,
      project: '(total)',
      cpu: hyp.vcpus,
      memory_mb: hyp.memory_mb,
      disk_gb: hyp.local_gb,
    })
    assert.deepEqual(
      { cpu: rows[1]!.cpu, memory_mb: rows[1]!.memory_mb, disk_gb: rows[1]!.disk_gb },
      { cpu: hyp.vcpus_used, memory_mb: hyp.memory_mb_used, disk_gb: hyp.local_gb_used },
    )
    // m1.tiny: 1 vCPU, 512 MiB, 1 GiB.
    assert.deepEqual(rows[2], { host, project: '(used_max)', cpu: 1, memory_mb: 512, disk_gb: 1 })
    assert.deepEqual({ ...rows[3], project: 'p' }, { host, project: 'p', cpu: 1, memory_mb: 512, disk_gb: 1 })

    const missing = await get('/os-hosts/nonexistent_hostname')
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, {
      itemNotFound: { code: 404, message: 'Compute host nonexistent_hostname could not be found.' },
    })
  })

  it("disables and enables a host through its compute service's flag", async () => {
    const off = await put('/os-hosts/cmp-3', { status: 'Disable' })
    assert.equal(off.status, 200, JSON.stringify(off.body))
    assert.deepEqual(off.body, { host: 'cmp-3', status: 'disabled' })
    const svc = await get('/os-services?host=cmp-3&binary=nova-compute', ADMIN, '2.1')
    assert.equal(svc.body.services[0].status, 'disabled')
    const listed = (await get('/os-hosts')).body.hosts.map((h: { host_name: string }) => h.host_name)
    assert.ok(!listed.includes('cmp-3'), 'a disabled host is not listed')

    const on = await put('/os-hosts/cmp-3', { status: 'enable' })
    assert.deepEqual(on.body, { host: 'cmp-3', status: 'enabled' })
    assert.equal(
      (await get('/os-services?host=cmp-3&binary=nova-compute', ADMIN, '2.1')).body.services[0].status,
      'enabled',
    )
  })

  it('refuses bad updates, unknown hosts, maintenance and power actions', async () => {
    for (const body of [
      { status: 'invalid' },
      { status: 'enable', maintenance_mode: 'invalid' },
      {},
      { status: null, maintenance_mode: null },
      { status: 'enable', other: 1 },
    ]) {
      const r = await put(`/os-hosts/${host}`, body)
      assert.equal(r.status, 400, JSON.stringify(body))
      assert.equal(r.body.badRequest.code, 400)
    }
    const gone = await put('/os-hosts/nonexistent_hostname', { status: 'enable', maintenance_mode: 'enable' })
    assert.equal(gone.status, 404)
    assert.equal(gone.body.itemNotFound.message, 'Compute host nonexistent_hostname could not be found.')

    const maint = await put(`/os-hosts/${host}`, { maintenance_mode: 'enable' })
    assert.equal(maint.status, 501)
    assert.deepEqual(maint.body, {
      notImplemented: { code: 501, message: 'The requested functionality is not supported.' },
    })
    for (const action of ['startup', 'shutdown', 'reboot']) {
      assert.equal((await get(`/os-hosts/nonexistent_hostname/${action}`)).status, 404, action)
      assert.equal((await get(`/os-hosts/${host}/${action}`)).status, 501, action)
    }

    // A host whose compute service is down cannot be asked: 400.
    const svc = (await get('/os-services?host=cmp-2&binary=nova-compute', ADMIN, '2.53')).body.services[0]
    await put(`/os-services/${svc.id}`, { forced_down: true }, ADMIN, '2.53')
    const down = await put('/os-hosts/cmp-2', { status: 'disable' })
    assert.equal(down.status, 400)
    assert.equal(down.body.badRequest.message, 'Compute service of cmp-2 is unavailable at this time.')
    await put(`/os-services/${svc.id}`, { forced_down: false }, ADMIN, '2.53')
  })

  it('is for administrators only and gone from 2.43', async () => {
    for (const [method, path] of [
      ['GET', '/os-hosts'],
      ['GET', `/os-hosts/${host}`],
      ['PUT', `/os-hosts/${host}`],
      ['GET', `/os-hosts/${host}/startup`],
      ['GET', `/os-hosts/${host}/shutdown`],
      ['GET', `/os-hosts/${host}/reboot`],
    ] as const) {
      const body = method === 'PUT' ? { status: 'enable', maintenance_mode: 'enable' } : undefined
      const member = await c.t.call(method, `${V}${path}`, { as: MEMBER, version: OLD, body })
      assert.equal(member.status, 403, `${method} ${path}`)
      assert.match(member.body.forbidden.message, /^Policy doesn't allow os_compute_api:os-hosts:/)
      const late = await c.t.call(method, `${V}${path}`, { as: ADMIN, version: '2.43', body })
      assert.equal(late.status, 404, `${method} ${path} at 2.43`)
    }
  })

  it('reports the usage audit of the last completed period, every compute host not run', async () => {
    const r = await get('/os-instance_usage_audit_log', ADMIN, 'latest')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const log = r.body.instance_usage_audit_logs
    const now = new Date()
    const first = (y: number, m: number) => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10)
    assert.equal(log.period_ending, `${first(now.getUTCFullYear(), now.getUTCMonth())} 00:00:00`)
    assert.equal(log.period_beginning, `${first(now.getUTCFullYear(), now.getUTCMonth() - 1)} 00:00:00`)
    assert.equal(log.num_hosts, 3)
    assert.equal(log.num_hosts_not_run, 3)
    assert.deepEqual([...log.hosts_not_run].sort(), ['cmp-1', 'cmp-2', 'cmp-3'])
    assert.equal(log.num_hosts_done, 0)
    assert.equal(log.num_hosts_running, 0)
    assert.equal(log.total_instances, 0)
    assert.equal(log.total_errors, 0)
    assert.equal(log.overall_status, '0 of 3 hosts done. 0 errors.')
    assert.deepEqual(log.log, {})

    const at = await get(
      `/os-instance_usage_audit_log/${encodeURIComponent('2026-03-01 00:00:00')}`,
      ADMIN,
      '2.1',
    )
    assert.equal(at.status, 200, JSON.stringify(at.body))
    assert.equal(at.body.instance_usage_audit_log.period_beginning, '2026-01-01 00:00:00')
    assert.equal(at.body.instance_usage_audit_log.period_ending, '2026-02-01 00:00:00')
    const micro = await get(`/os-instance_usage_audit_log/${encodeURIComponent('2026-03-15 10:00:00.5')}`)
    assert.equal(micro.body.instance_usage_audit_log.period_ending, '2026-03-01 00:00:00')

    for (const bad of ['invalid_time', '2026-02-30 00:00:00', '2026-03-01T00:00:00']) {
      const r = await get(`/os-instance_usage_audit_log/${encodeURIComponent(bad)}`)
      assert.equal(r.status, 400, bad)
      assert.deepEqual(r.body, { badRequest: { code: 400, message: `Invalid timestamp for date ${bad}` } })
    }
    assert.equal((await get('/os-instance_usage_audit_log', MEMBER)).status, 403)
    assert.equal((await get('/os-instance_usage_audit_log/2026-03-01%2000:00:00', MEMBER)).status, 403)
  })

  it('lists the v2 extensions by alias for any caller and shows one', async () => {
    const r = await get('/extensions', MEMBER, 'latest')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const exts = r.body.extensions as Record<string, unknown>[]
    const aliases = exts.map((e) => e.alias as string)
    assert.deepEqual(aliases, [...aliases].sort(), 'sorted by alias')
    assert.ok(exts.some((e) => e.name === 'Hosts' && e.alias === 'os-hosts'))
    assert.ok(aliases.includes('os-instance_usage_audit_log'))
    for (const e of exts)
      assert.deepEqual(Object.keys(e).sort(), [
        'alias',
        'description',
        'links',
        'name',
        'namespace',
        'updated',
      ])

    const one = await get('/extensions/os-consoles', 'project-reader', '2.1')
    assert.equal(one.status, 200)
    assert.deepEqual(
      one.body.extension,
      exts.find((e) => e.alias === 'os-consoles'),
    )
    const none = await get('/extensions/os-nothing', MEMBER)
    assert.equal(none.status, 404)
    assert.deepEqual(none.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } })
  })
})
