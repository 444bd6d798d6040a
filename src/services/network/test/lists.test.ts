/**
 * Lists in SQL against lists in memory, on random data: ports and networks of several
 * projects, shared, external and RBAC-granted networks, tags, addresses and device
 * owners, and subnets, security groups, routers and floating IPs; random filters, sort
 * keys, limits, markers and directions, for an admin, a member and a reader of one
 * project and members of two others; on every dialect enabled.
 *
 * Two API hosts share one database. The first has the default rules, so its lists run in
 * SQL; the second has a policy file whose `get_*` rules say the same thing in a form with
 * no SQL translation (`... and not role:%(no_such_key)s`, always true), so its lists run
 * in memory. Every answer (items, fields, links) must be the same.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { ResourceDomain } from '../domain/resource.js'
import { networkModule } from '../module.js'
import { NETWORK_POLICY_RULES } from '../policies/index.js'
import { N } from './harness.js'

/** A small seeded generator (mulberry32), so a failure names the seed that made it. */
function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const some = <T>(xs: readonly T[], p = 0.5): T[] => xs.filter(() => next() < p)
  return { next, int, pick, some }
}

const SEED = Number(process.env.NETWORK_LIST_SEED ?? Date.now() % 100000)
const PROJECTS = ['p-own', 'p-other', 'p-far', 'p-x'] as const
const PERSONAS = [
  'project-admin',
  'project-member',
  'project-reader',
  'other-project-member',
  'other-domain-member',
] as const
const NAMES = ['a', 'b', 'B', 'a b', 'é', 'z', ''] as const
const TAGS = ['t1', 't2', 't3'] as const
const OWNERS = ['', 'compute:nova', 'network:dhcp', 'network:router_interface'] as const

/** How many times the in-memory list ran (both hosts share the class). */
let inMemory = 0
/** How many times a list answered from stored views. */
let fromStored = 0
const originalStored = (ResourceDomain.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)
  .listStored!
;(ResourceDomain.prototype as unknown as Record<string, unknown>).listStored = function (
  this: unknown,
  ...args: unknown[]
) {
  fromStored++
  return originalStored.apply(this, args)
}
const original = (ResourceDomain.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)
  .listInMemory!
;(ResourceDomain.prototype as unknown as Record<string, unknown>).listInMemory = function (
  this: unknown,
  ...args: unknown[]
) {
  inMemory++
  return original.apply(this, args)
}

type Kind =
  | 'ports'
  | 'networks'
  | 'subnets'
  | 'security-groups'
  | 'security-group-rules'
  | 'routers'
  | 'floatingips'
  | 'rbac-policies'
  | 'trunks'

for (const dialect of enabledDialects())
  describe(`network lists in SQL and in memory agree on ${dialect} (NETWORK_LIST_SEED=${SEED})`, {
    timeout: 900_000,
  }, () => {
    const r = rng(SEED)
    const dir = mkdtempSync(join(tmpdir(), 'cloudlet-network-lists-'))
    let sqlHost: TestHost
    let memHost: TestHost
    let db: Awaited<ReturnType<typeof createTestDatabase>>
    const nets: { id: string; subnet: string; project: string }[] = []
    const ports: { id: string; mac: string; ip: string }[] = []
    const others: Record<string, string[]> = {
      'security-groups': [],
      'security-group-rules': [],
      routers: [],
      floatingips: [],
      'rbac-policies': [],
      trunks: [],
    }
    const lists = dialect === 'sqlite' ? 300 : 100

    before(async () => {
      db = await createTestDatabase(dialect)
      const connection = db.connection
      const rules = Object.fromEntries(
        NETWORK_POLICY_RULES.filter((x) =>
          [
            'get_port',
            'get_network',
            'get_subnet',
            'get_security_group',
            'get_security_group_rule',
            'get_router',
            'get_floatingip',
            'get_rbac_policy',
            'get_trunk',
          ].includes(x.name),
        ).map((x) => [x.name, `(${x.checkStr}) and not role:%(no_such_key)s`]),
      )
      const policyFile = join(dir, 'policy.json')
      writeFileSync(policyFile, JSON.stringify(rules))
      sqlHost = await startTestHost({
        modules: [networkModule],
        config: {
          network_database: { connection },
          quotas: {
            quota_port: -1,
            quota_network: -1,
            quota_floatingip: -1,
            quota_router: -1,
            quota_security_group_rule: -1,
          },
        },
      })
      memHost = await startTestHost({
        modules: [networkModule],
        config: {
          network_database: { connection },
          oslo_policy: { policy_file: policyFile },
        },
      })
      const as = 'project-admin'
      const must = async (path: string, body: unknown) => {
        const res = await sqlHost.call('POST', `${N}/${path}`, { as, body })
        assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`)
        return res.body
      }
      for (let i = 0; i < 10; i++) {
        const project = r.pick(PROJECTS)
        const net = (
          await must('networks', {
            network: {
              name: r.pick(NAMES),
              project_id: project,
              shared: r.next() < 0.25,
              'router:external': i === 0 || r.next() < 0.2,
              admin_state_up: r.next() < 0.8,
              tags: r.some(TAGS),
            },
          })
        ).network
        const subnet = (
          await must('subnets', {
            subnet: { network_id: net.id, ip_version: 4, cidr: `10.${i}.0.0/24`, project_id: project },
          })
        ).subnet
        nets.push({ id: net.id, subnet: subnet.id, project })
      }
      for (const net of r.some(nets, 0.4)) {
        const grant = await sqlHost.call('POST', `${N}/rbac-policies`, {
          as,
          body: {
            rbac_policy: {
              object_type: 'network',
              object_id: net.id,
              action: r.next() < 0.7 ? 'access_as_shared' : 'access_as_external',
              target_tenant: r.pick([...PROJECTS, '*']),
            },
          },
        })
        // (An external network already has the wildcard external grant: a duplicate is a 409.)
        if (grant.status !== 409) assert.equal(grant.status, 201, JSON.stringify(grant.body))
      }
      for (let i = 0; i < 70; i++) {
        const net = r.pick(nets)
        const port = (
          await must('ports', {
            port: {
              network_id: net.id,
              project_id: r.next() < 0.6 ? net.project : r.pick(PROJECTS),
              name: r.pick(NAMES),
              device_owner: r.pick(OWNERS),
              device_id: r.pick(['', 'd1', 'd2']),
              admin_state_up: r.next() < 0.7,
              tags: r.some(TAGS),
            },
          })
        ).port
        ports.push({ id: port.id, mac: port.mac_address, ip: port.fixed_ips[0]?.ip_address ?? '' })
      }
      for (let i = 0; i < 12; i++) {
        const project = r.pick(PROJECTS)
        const common = { name: r.pick(NAMES), project_id: project, tags: r.some(TAGS) }
        others['security-groups']!.push(
          (await must('security-groups', { security_group: common })).security_group.id,
        )
        others.routers!.push(
          (await must('routers', { router: { ...common, admin_state_up: r.next() < 0.7 } })).router.id,
        )
        const fip = await must('floatingips', {
          floatingip: { floating_network_id: nets[0]!.id, project_id: project, description: r.pick(NAMES) },
        })
        others.floatingips!.push(fip.floatingip.id)
      }
      // Rules in the groups: of the group's project or another, some with a remote group.
      const groups = others['security-groups']!
      for (let i = 0; i < 40; i++) {
        const group = r.pick(groups)
        const tcp = r.next() < 0.7
        const rule = (
          await must('security-group-rules', {
            security_group_rule: {
              security_group_id: group,
              direction: r.pick(['ingress', 'egress']),
              ethertype: r.pick(['IPv4', 'IPv6']),
              ...(tcp ? { protocol: 'tcp', port_range_min: 1000 + i, port_range_max: 1000 + i } : {}),
              ...(tcp ? {} : { protocol: 'udp', port_range_min: 2000 + i, port_range_max: 2000 + i }),
              ...(r.next() < 0.3 ? { remote_group_id: r.pick(groups) } : {}),
              ...(r.next() < 0.2 ? { project_id: r.pick(PROJECTS) } : {}),
              description: r.pick(NAMES),
            },
          })
        ).security_group_rule
        others['security-group-rules']!.push(rule.id)
      }
      // Trunks: a parent and a subport each, of distinct ports.
      for (let i = 0; i < 5; i++) {
        const trunk = (
          await must('trunks', {
            trunk: {
              port_id: ports[i]!.id,
              name: r.pick(NAMES),
              admin_state_up: r.next() < 0.7,
              sub_ports: [
                { port_id: ports[i + 10]!.id, segmentation_type: 'vlan', segmentation_id: 100 + i },
              ],
              tags: r.some(TAGS),
            },
          })
        ).trunk
        others.trunks!.push(trunk.id)
      }
      const grants = await sqlHost.call('GET', `${N}/rbac-policies`, { as })
      others['rbac-policies'] = grants.body.rbac_policies.map((g: { id: string }) => g.id)
    })

    after(async () => {
      await sqlHost?.close()
      await memHost?.close()
      await db?.drop()
      rmSync(dir, { recursive: true, force: true })
    })

    /** A random query string of a list of `kind`. */
    function randomQuery(kind: Kind): string {
      const q = new URLSearchParams()
      const allIds =
        kind === 'ports'
          ? ports.map((p) => p.id)
          : kind === 'networks'
            ? nets.map((n) => n.id)
            : kind === 'subnets'
              ? nets.map((n) => n.subnet)
              : others[kind]!
      if (kind === 'subnets') {
        if (r.next() < 0.2) q.append('network_id', r.pick(nets).id)
        if (r.next() < 0.2) q.append('shared', r.pick(['true', 'false']))
        if (r.next() < 0.1) q.append('cidr', `10.${r.int(10)}.0.0/24`)
      } else if (kind === 'floatingips') {
        if (r.next() < 0.2) q.append('description', r.pick(NAMES))
        if (r.next() < 0.1) q.append('floating_network_id', nets[0]!.id)
      } else if (kind === 'ports') {
        if (r.next() < 0.3) for (const n of r.some(nets, 0.3)) q.append('network_id', n.id)
        if (r.next() < 0.15) q.append('device_owner', r.pick(OWNERS))
        if (r.next() < 0.1) q.append('device_id', r.pick(['', 'd1', 'd2', 'None']))
        if (r.next() < 0.1) q.append('fixed_ips', `subnet_id=${r.pick(nets).subnet}`)
        if (r.next() < 0.1) q.append('ip_address', r.pick(ports).ip)
        if (r.next() < 0.05) q.append('fixed_ips', `ip_address_substr=10.${r.int(10)}.`)
        if (r.next() < 0.05) q.append('mac_address', r.pick(ports).mac)
      } else if (kind === 'security-group-rules') {
        if (r.next() < 0.3)
          for (const g of r.some(others['security-groups']!, 0.3)) q.append('security_group_id', g)
        if (r.next() < 0.15) q.append('direction', r.pick(['ingress', 'egress']))
        if (r.next() < 0.1) q.append('ethertype', r.pick(['IPv4', 'IPv6']))
        if (r.next() < 0.1) q.append('protocol', r.pick(['tcp', 'udp']))
        if (r.next() < 0.1) q.append('remote_group_id', r.pick(others['security-groups']!))
        if (r.next() < 0.05) q.append('belongs_to_default_sg', r.pick(['true', 'false']))
      } else if (kind === 'rbac-policies') {
        if (r.next() < 0.2) q.append('object_type', r.pick(['network', 'qos_policy']))
        if (r.next() < 0.2) q.append('object_id', r.pick(nets).id)
        if (r.next() < 0.2) q.append('action', r.pick(['access_as_shared', 'access_as_external']))
        if (r.next() < 0.2) q.append('target_tenant', r.pick([...PROJECTS, '*']))
      } else if (kind === 'trunks') {
        if (r.next() < 0.2) q.append('port_id', r.pick(ports).id)
        if (r.next() < 0.1) q.append('status', r.pick(['ACTIVE', 'DOWN']))
      } else if (kind === 'networks') {
        if (r.next() < 0.15) q.append('shared', r.pick(['true', 'false']))
        if (r.next() < 0.15) q.append('router:external', r.pick(['true', 'false']))
      }
      if (!['floatingips', 'security-group-rules', 'rbac-policies'].includes(kind) && r.next() < 0.15)
        for (const n of r.some(NAMES, 0.3)) q.append('name', n)
      if (['ports', 'networks', 'routers', 'trunks'].includes(kind) && r.next() < 0.1)
        q.append('admin_state_up', r.pick(['true', 'false']))
      if (r.next() < 0.1) q.append('project_id', r.pick(PROJECTS))
      if (r.next() < 0.1) q.append('tenant_id', r.pick(PROJECTS))
      if (r.next() < 0.05) q.append('id', r.pick(allIds))
      if (kind !== 'security-group-rules' && kind !== 'rbac-policies') {
        if (r.next() < 0.1) q.append('tags', r.some(TAGS).join(',') || 't1')
        if (r.next() < 0.05) q.append('tags-any', r.some(TAGS).join(',') || 't2')
        if (r.next() < 0.05) q.append('not-tags', r.some(TAGS).join(',') || 't1')
        if (r.next() < 0.05) q.append('not-tags-any', r.some(TAGS).join(',') || 't3')
      }
      const sortable = {
        ports: [
          'name',
          'id',
          'project_id',
          'created_at',
          'device_owner',
          'network_id',
          'mac_address',
          'status',
          'admin_state_up',
        ],
        networks: ['name', 'id', 'project_id', 'created_at', 'revision_number', 'shared', 'status'],
        subnets: ['name', 'id', 'project_id', 'cidr', 'ip_version', 'network_id', 'gateway_ip'],
        'security-groups': ['name', 'id', 'project_id', 'created_at', 'revision_number', 'description'],
        'security-group-rules': [
          'id',
          'project_id',
          'created_at',
          'security_group_id',
          'direction',
          'protocol',
        ],
        routers: ['name', 'id', 'tenant_id', 'updated_at', 'status'],
        floatingips: ['id', 'project_id', 'created_at', 'floating_ip_address', 'description'],
        'rbac-policies': ['id', 'project_id', 'object_id', 'action', 'target_tenant', 'object_type'],
        trunks: ['name', 'id', 'project_id', 'created_at', 'port_id', 'status'],
      }[kind]
      const keys = r.int(10) < 6 ? r.int(3) : 0
      const withDirs = r.next() < 0.7
      for (let i = 0; i < keys; i++) {
        q.append('sort_key', r.pick(sortable))
        if (withDirs) q.append('sort_dir', r.pick(['asc', 'desc']))
      }
      if (r.next() < 0.7) q.append('limit', String(r.pick([1, 2, 3, 5, 7, 20, 100])))
      if (r.next() < 0.5) q.append('marker', r.next() < 0.9 ? r.pick(allIds) : 'no-such-id')
      if (r.next() < 0.3) q.append('page_reverse', r.pick(['True', 'true', 'False']))
      if (r.next() < 0.2) q.append('fields', r.pick(['id', 'name', 'tags', 'shared', 'project_id']))
      if (r.next() < 0.1) q.append('fields', 'id')
      return q.toString()
    }

    for (const kind of [
      'ports',
      'networks',
      'subnets',
      'security-groups',
      'security-group-rules',
      'routers',
      'floatingips',
      'rbac-policies',
      'trunks',
    ] as const) {
      const n =
        kind === 'ports' || kind === 'networks' || kind === 'security-group-rules'
          ? lists
          : Math.ceil(lists / 3)
      it(`${kind}: ${n} random lists, and pages onward and back from them, the same in SQL and in memory`, async () => {
        let sqlRuns = 0
        const storedBefore = fromStored
        for (let i = 0; i < n; i++) {
          const as = r.pick(PERSONAS)
          const qs = randomQuery(kind)
          const url = `${N}/${kind}?${qs}`
          const before = inMemory
          const a = await sqlHost.call('GET', url, { as })
          if (inMemory === before) sqlRuns++
          const mid = inMemory
          const b = await memHost.call('GET', url, { as })
          assert.ok(inMemory > mid, 'the policy file must send the second host to the in-memory list')
          assert.equal(a.status, b.status, `${as} ${url}`)
          assert.deepEqual(a.body, b.body, `${as} GET ${url}`)
          // Walk onward and back from here, a few pages each way.
          let links = a.body[`${kind}_links`] as { rel: string; href: string }[] | undefined
          for (let step = 0; step < 4 && links?.length; step++) {
            const link = r.pick(links)
            const path = link.href.slice(link.href.indexOf(N))
            const pa = await sqlHost.call('GET', path, { as })
            const pb = await memHost.call('GET', path, { as })
            assert.deepEqual(pa.body, pb.body, `${as} GET ${path}`)
            links = pa.body[`${kind}_links`]
          }
        }
        // Most random lists have only column sort keys: they must have run in SQL.
        assert.ok(sqlRuns > n / 3, `only ${sqlRuns} of ${n} lists ran in SQL`)
        // Those of ports, subnets and rules without fields, tags or view-side filters from stored views.
        if (['ports', 'subnets', 'security-group-rules'].includes(kind))
          assert.ok(
            fromStored - storedBefore > n / 10,
            `only ${fromStored - storedBefore} of ${n} from stored views`,
          )
        else assert.equal(fromStored, storedBefore, `${kind} has no stored views`)
      })
    }

    it('walks every port a member sees, a page of 3 at a time', async () => {
      const as = 'project-member'
      const whole = (await sqlHost.call('GET', `${N}/ports?sort_key=name&sort_dir=desc`, { as })).body.ports
      const seen: string[] = []
      let path: string | undefined = `${N}/ports?sort_key=name&sort_dir=desc&limit=3`
      let pages = 0
      while (path) {
        const before = inMemory
        const page = await sqlHost.call('GET', path, { as })
        assert.equal(inMemory, before, 'a member sorting by name lists in SQL')
        seen.push(...page.body.ports.map((p: { id: string }) => p.id))
        const next = (page.body.ports_links ?? []).find((l: { rel: string }) => l.rel === 'next')
        path = next ? next.href.slice(next.href.indexOf(N)) : undefined
        assert.ok(++pages < 100)
      }
      assert.deepEqual(
        seen,
        whole.map((p: { id: string }) => p.id),
      )
      assert.ok(whole.length > 0)
    })
  })
