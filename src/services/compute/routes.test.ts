/**
 * The route table's own checks: every route has a policy or is public, windows of a
 * method and path do not overlap, every window names a declared microversion, and every
 * policy a route names is one of compute's rules.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRouteTable, policiesOf } from '../../kernel/http/index.js'
import { COMPUTE_RULES } from './policies/index.js'
import { ROUTES } from './routes.js'
import { VERSIONS } from './versions.js'

describe('compute route table', () => {
  it('passes the kernel checks', () => {
    assert.deepEqual(checkRouteTable(ROUTES, VERSIONS), [])
  })

  it('names only rules compute declares', () => {
    const known = new Set(COMPUTE_RULES.map((r) => r.name))
    for (const route of ROUTES)
      for (const rule of policiesOf(route))
        assert.ok(known.has(rule), `${route.method} ${route.path}: ${rule}`)
  })

  it('declares 2.1 to 2.93, one summary each', () => {
    assert.equal(String(VERSIONS.min), '2.1')
    assert.equal(String(VERSIONS.max), '2.93')
    assert.equal(VERSIONS.entries.length, 93)
    assert.ok(VERSIONS.entries.every((e) => e.summary.length > 0))
  })

  it('keeps the versioned routes few and named', () => {
    const versioned = ROUTES.filter((r) => r.min || r.max).map((r) => `${r.method} ${r.path} ${r.min ?? ''}`)
    assert.deepEqual(versioned, [
      'PUT /v2.1/flavors/:flavor_id 2.55',
      'POST /v2.1/os-aggregates/:aggregate_id/images 2.81',
      'GET /v2.1/servers/:server_id/migrations 2.23',
      'GET /v2.1/servers/:server_id/migrations/:migration_id 2.23',
      'POST /v2.1/servers/:server_id/migrations/:migration_id/action 2.22',
      'DELETE /v2.1/servers/:server_id/migrations/:migration_id 2.24',
      // the deprecated proxies, removed at 2.36
      'GET /v2.1/images ',
      'GET /v2.1/images/detail ',
      'GET /v2.1/images/:image_id ',
      'DELETE /v2.1/images/:image_id ',
      'GET /v2.1/images/:image_id/metadata ',
      'POST /v2.1/images/:image_id/metadata ',
      'PUT /v2.1/images/:image_id/metadata ',
      'GET /v2.1/images/:image_id/metadata/:key ',
      'PUT /v2.1/images/:image_id/metadata/:key ',
      'DELETE /v2.1/images/:image_id/metadata/:key ',
      'GET /v2.1/os-volumes ',
      'GET /v2.1/os-volumes/detail ',
      'POST /v2.1/os-volumes ',
      'GET /v2.1/os-volumes/:volume_id ',
      'DELETE /v2.1/os-volumes/:volume_id ',
      'GET /v2.1/os-snapshots ',
      'GET /v2.1/os-snapshots/detail ',
      'POST /v2.1/os-snapshots ',
      'GET /v2.1/os-snapshots/:snapshot_id ',
      'DELETE /v2.1/os-snapshots/:snapshot_id ',
      'GET /v2.1/servers/:server_id/tags 2.26',
      'PUT /v2.1/servers/:server_id/tags 2.26',
      'DELETE /v2.1/servers/:server_id/tags 2.26',
      'GET /v2.1/servers/:server_id/tags/:tag 2.26',
      'PUT /v2.1/servers/:server_id/tags/:tag 2.26',
      'DELETE /v2.1/servers/:server_id/tags/:tag 2.26',
      // the network proxies, up to 2.35
      'GET /v2.1/os-networks ',
      'GET /v2.1/os-networks/:network_id ',
      'GET /v2.1/os-tenant-networks ',
      'GET /v2.1/os-tenant-networks/:network_id ',
      'GET /v2.1/os-floating-ip-pools ',
      'GET /v2.1/os-floating-ips ',
      'POST /v2.1/os-floating-ips ',
      'GET /v2.1/os-floating-ips/:floating_ip_id ',
      'DELETE /v2.1/os-floating-ips/:floating_ip_id ',
      'GET /v2.1/os-security-groups ',
      'POST /v2.1/os-security-groups ',
      'GET /v2.1/os-security-groups/:security_group_id ',
      'PUT /v2.1/os-security-groups/:security_group_id ',
      'DELETE /v2.1/os-security-groups/:security_group_id ',
      'DELETE /v2.1/os-security-groups ',
      'POST /v2.1/os-security-group-rules ',
      'DELETE /v2.1/os-security-group-rules/:rule_id ',
      'PUT /v2.1/os-services/:service_id ',
      'PUT /v2.1/os-services/:service_id 2.53',
      'GET /v2.1/os-hypervisors/statistics ',
      'GET /v2.1/os-hypervisors/:hypervisor_id/uptime ',
      'GET /v2.1/os-hypervisors/:pattern/search ',
      'GET /v2.1/os-hypervisors/:pattern/servers ',
      // os-hosts, deprecated and gone at 2.43
      'GET /v2.1/os-hosts ',
      'GET /v2.1/os-hosts/:host_name ',
      'PUT /v2.1/os-hosts/:host_name ',
      'GET /v2.1/os-hosts/:host_name/startup ',
      'GET /v2.1/os-hosts/:host_name/shutdown ',
      'GET /v2.1/os-hosts/:host_name/reboot ',
    ])
  })
})
