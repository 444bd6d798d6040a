/**
 * The unified limits quota driver: identity (real, bootstrapped, real tokens),
 * placement, image and compute with simulated hosts on one test host. Limits are
 * identity's registered and project limits of the `compute` service under upstream's
 * names, read through compute's ServiceClient; os-quota-sets answers from them and
 * writes nothing; with `strict_two_level`, children racing for their parent's limit
 * never exceed it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createTestDatabase, enabledDialects, type TestDatabase } from '../../../kernel/db/testing.js'
import type { AnyServiceModule } from '../../../kernel/host/index.js'
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { identityModule } from '../../identity/module.js'
import { imageModule } from '../../image/module.js'
import { placementModule } from '../../placement/module.js'
import { computeModule } from '../module.js'
import { type ComputeInstance, createCompute } from '../service.js'
import { startFakeAgents } from '../testing/fake-agents.js'

const S = '/compute/v2.1/servers'

interface Cloud {
  t: TestHost
  admin: string
  computeServiceId: string
  imageId: string
  /** Creates a project (under `parent` when given) with a member user; returns its id and the user's token. */
  project(name: string, parent?: string): Promise<{ id: string; token: string }>
  registered(limits: Record<string, number>): Promise<void>
  limit(projectId: string, resource: string, value: number): Promise<void>
  close(): Promise<void>
}

async function startCloud(model: 'flat' | 'strict_two_level', computeDb?: string): Promise<Cloud> {
  const compute: AnyServiceModule = {
    ...computeModule,
    create: (ctx) =>
      createCompute(ctx as never, {
        agents: (c, deps) =>
          startFakeAgents({
            bus: c.bus!,
            placement: deps.placement,
            registry: deps.registry,
            hosts: [{ name: 'cmp-1' }, { name: 'cmp-2' }],
          }),
      }),
  }
  const t = await startTestHost({
    modules: [identityModule, placementModule, imageModule, compute],
    config: {
      identity: { password_hash_rounds: 4 },
      unified_limit: { enforcement_model: model },
      quota: { driver: 'nova.quota.UnifiedLimitsDriver' },
      ...(computeDb ? { api_database: { connection: computeDb } } : {}),
    },
  })
  await t.host.capability('identityAdmin')!.bootstrap({
    adminUsername: 'admin',
    adminPassword: 'secret-admin',
    adminProjectName: 'admin',
    regionId: 'RegionOne',
    services: [{ type: 'compute', name: 'nova', url: 'http://cloud.test/compute/v2.1' }],
  })
  const instance = t.host.modules.find((m) => m.module.name === 'compute')!.instance as ComputeInstance
  await instance.ready
  const token = async (user: string, password: string, projectId: string) => {
    const r = await t.call('POST', '/identity/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user, domain: { id: 'default' }, password } },
          },
          scope: { project: { id: projectId } },
        },
      },
    })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    return r.headers['x-subject-token'] as string
  }
  const adminProject = (await t.call('POST', '/identity/v3/auth/tokens', {
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret-admin' } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    },
  })) as { status: number; headers: Record<string, unknown>; body: { token: { project: { id: string } } } }
  assert.equal(adminProject.status, 201)
  const admin = adminProject.headers['x-subject-token'] as string
  const call = async (method: string, url: string, body?: unknown, expect = [200, 201, 204]) => {
    const r = await t.call(method, url, { as: admin, ...(body === undefined ? {} : { body }) })
    assert.ok(expect.includes(r.status), `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  const services = await call('GET', '/identity/v3/services?type=compute')
  const computeServiceId = services.services[0].id as string
  const roles = await call('GET', '/identity/v3/roles?name=member')
  const member = roles.roles[0].id as string
  const img = await call('POST', '/image/v2/images', {
    name: 'cirros',
    disk_format: 'qcow2',
    container_format: 'bare',
    visibility: 'public',
  })
  const up = await t.call('PUT', `/image/v2/images/${img.id}/file`, {
    as: admin,
    body: 'not really a disk',
    headers: { 'content-type': 'application/octet-stream' },
  })
  assert.equal(up.status, 204)
  return {
    t,
    admin,
    computeServiceId,
    imageId: img.id,
    async project(name, parent) {
      const p = await call('POST', '/identity/v3/projects', {
        project: { name, domain_id: 'default', ...(parent ? { parent_id: parent } : {}) },
      })
      const u = await call('POST', '/identity/v3/users', {
        user: { name: `${name}-user`, domain_id: 'default', password: 'pw' },
      })
      await call('PUT', `/identity/v3/projects/${p.project.id}/users/${u.user.id}/roles/${member}`)
      return { id: p.project.id, token: await token(`${name}-user`, 'pw', p.project.id) }
    },
    async registered(limits) {
      await call('POST', '/identity/v3/registered_limits', {
        registered_limits: Object.entries(limits).map(([resource_name, default_limit]) => ({
          service_id: computeServiceId,
          region_id: 'RegionOne',
          resource_name,
          default_limit,
        })),
      })
    },
    async limit(projectId, resource_name, resource_limit) {
      await call('POST', '/identity/v3/limits', {
        limits: [
          {
            service_id: computeServiceId,
            region_id: 'RegionOne',
            project_id: projectId,
            resource_name,
            resource_limit,
          },
        ],
      })
    },
    close: () => t.close(),
  }
}

const boot = (c: Cloud, token: string, name: string, extra: Record<string, unknown> = {}) =>
  c.t.call('POST', S, {
    as: token,
    version: '2.37',
    body: { server: { name, imageRef: c.imageId, flavorRef: '1', networks: 'none', ...extra } },
  })

const DEFAULTS = {
  servers: 10,
  'class:VCPU': 20,
  'class:MEMORY_MB': 51200,
  'class:DISK_GB': 100,
  server_metadata_items: 2,
  server_key_pairs: 1,
  server_groups: 3,
  server_group_members: 10,
}

describe('unified limits, flat', { timeout: 120_000 }, () => {
  let c: Cloud
  before(async () => {
    c = await startCloud('flat')
  })
  after(async () => c?.close())

  it('without registered limits every server is refused, as oslo.limit counts them 0', async () => {
    const p = await c.project('bare')
    const r = await boot(c, p.token, 'nothing')
    assert.equal(r.status, 403, JSON.stringify(r.body))
    assert.match(
      r.body.forbidden.message,
      new RegExp(
        `^Project ${p.id} is over a limit for \\[Resource class:DISK_GB is over limit of 0 due to current usage 0 and delta 1, `,
      ),
    )
  })

  it('quota sets show identity limits; PUT and DELETE change nothing; servers stop at the project limit', async () => {
    await c.registered(DEFAULTS)
    const p = await c.project('flat-a')
    await c.limit(p.id, 'servers', 2)
    await c.limit(p.id, 'class:VCPU', 8)

    const show = await c.t.call('GET', `/compute/v2.1/os-quota-sets/${p.id}`, {
      as: p.token,
      version: '2.57',
    })
    assert.equal(show.status, 200, JSON.stringify(show.body))
    assert.deepEqual(show.body.quota_set, {
      id: p.id,
      cores: 8,
      instances: 2,
      key_pairs: 1,
      metadata_items: 2,
      ram: 51200,
      server_group_members: 10,
      server_groups: 3,
    })
    const defaults = await c.t.call('GET', `/compute/v2.1/os-quota-sets/${p.id}/defaults`, {
      as: p.token,
      version: '2.1',
    })
    assert.equal(defaults.body.quota_set.instances, 10)
    assert.equal(defaults.body.quota_set.cores, 20)
    assert.equal(defaults.body.quota_set.security_groups, -1, 'no unified name: unlimited')

    // PUT is accepted and ignored (upstream: "all info comes from keystone").
    const put = await c.t.call('PUT', `/compute/v2.1/os-quota-sets/${p.id}`, {
      as: c.admin,
      version: '2.57',
      body: { quota_set: { instances: 50, cores: 1 } },
    })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal(put.body.quota_set.instances, 2)
    assert.equal(put.body.quota_set.cores, 8)
    const del = await c.t.call('DELETE', `/compute/v2.1/os-quota-sets/${p.id}`, { as: c.admin })
    assert.equal(del.status, 202)
    const cls = await c.t.call('PUT', '/compute/v2.1/os-quota-class-sets/default', {
      as: c.admin,
      version: '2.57',
      body: { quota_class_set: { instances: 99 } },
    })
    assert.equal(cls.status, 200)
    assert.equal(cls.body.quota_class_set.instances, 10, 'the registered default, unchanged')

    const made = [await boot(c, p.token, 'one'), await boot(c, p.token, 'two')]
    assert.deepEqual(
      made.map((r) => r.status),
      [202, 202],
    )
    const third = await boot(c, p.token, 'three')
    assert.equal(third.status, 403)
    assert.equal(
      third.body.forbidden.message,
      `Project ${p.id} is over a limit for [Resource servers is over limit of 2 due to current usage 2 and delta 1]`,
    )
    const detail = await c.t.call('GET', `/compute/v2.1/os-quota-sets/${p.id}/detail`, {
      as: p.token,
      version: '2.57',
    })
    assert.deepEqual(detail.body.quota_set.instances, { limit: 2, in_use: 2, reserved: 0 })
    const limits = await c.t.call('GET', '/compute/v2.1/limits', { as: p.token, version: '2.57' })
    assert.equal(limits.body.limits.absolute.maxTotalInstances, 2)
    assert.equal(limits.body.limits.absolute.totalInstancesUsed, 2)

    // Metadata items and key pairs read the registered default.
    const meta = await boot(c, p.token, 'meta', { metadata: { a: '1', b: '2', c: '3' } })
    assert.equal(meta.status, 403)
    const kp = (name: string) =>
      c.t.call('POST', '/compute/v2.1/os-keypairs', {
        as: p.token,
        version: '2.10',
        body: { keypair: { name } },
      })
    assert.equal((await kp('k1')).status, 201)
    assert.equal((await kp('k2')).status, 403)
  })

  it('min_count/max_count: as many as fit, or 403 when min does not', async () => {
    const p = await c.project('flat-multi')
    await c.limit(p.id, 'servers', 3)
    const many = await boot(c, p.token, 'many', { min_count: 2, max_count: 5, return_reservation_id: true })
    assert.equal(many.status, 202, JSON.stringify(many.body))
    const list = await c.t.call('GET', `${S}?reservation_id=${many.body.reservation_id}`, { as: p.token })
    assert.equal(list.body.servers.length, 3)
    const again = await boot(c, p.token, 'again', { min_count: 1, max_count: 2 })
    assert.equal(again.status, 403)
  })
})

// NOTE: compute's database on each server dialect too (its lock is a row lock there;
// SQLite serialises every writer); MariaDB's lock is the same statement as PostgreSQL's.
for (const dialect of enabledDialects().filter((d) => d !== 'mysql'))
  describe(`unified limits, strict two-level (${dialect})`, { timeout: 180_000 }, () => {
    let c: Cloud
    let db: TestDatabase | undefined
    before(async () => {
      db = dialect === 'sqlite' ? undefined : await createTestDatabase(dialect)
      c = await startCloud('strict_two_level', db?.connection)
      await c.registered(DEFAULTS)
    })
    after(async () => {
      await c?.close()
      await db?.drop()
    })

    it("children racing for their parent's limit never exceed it", async () => {
      const parent = await c.project('parent')
      await c.limit(parent.id, 'servers', 7)
      const kids = await Promise.all(['kid-a', 'kid-b', 'kid-c'].map((n) => c.project(n, parent.id)))
      // The parent uses one itself; the children (default 10 each) race for the other 6.
      assert.equal((await boot(c, parent.token, 'own')).status, 202)
      const created = await Promise.all(
        kids.flatMap((k, i) => Array.from({ length: 8 }, (_, j) => boot(c, k.token, `race-${i}-${j}`))),
      )
      const accepted = created.filter((r) => r.status === 202)
      const refused = created.filter((r) => r.status === 403)
      assert.equal(accepted.length, 6)
      assert.equal(refused.length, 24 - 6)
      for (const r of refused)
        assert.match(
          r.body.forbidden.message,
          new RegExp(
            `^Project ${parent.id} is over a limit for \\[Resource servers is over limit of 7 due to current usage 7 and delta 1\\]$`,
          ),
        )
      let total = 0
      for (const k of [parent, ...kids]) {
        const l = await c.t.call('GET', S, { as: k.token })
        total += l.body.servers.length
      }
      assert.equal(total, 7)
      // The parent itself is bound by the tree too.
      const more = await boot(c, parent.token, 'more')
      assert.equal(more.status, 403)
    })

    it("a child's own limit bounds it below the parent's", async () => {
      const parent = await c.project('parent-2')
      const kid = await c.project('kid-2', parent.id)
      await c.limit(kid.id, 'servers', 1)
      assert.equal((await boot(c, kid.token, 'one')).status, 202)
      const two = await boot(c, kid.token, 'two')
      assert.equal(two.status, 403)
      assert.match(
        two.body.forbidden.message,
        new RegExp(`^Project ${kid.id} is over a limit for \\[Resource servers`),
      )
      // The sibling still has room in the parent's default of 10.
      const sib = await c.project('kid-2b', parent.id)
      assert.equal((await boot(c, sib.token, 'sib')).status, 202)
    })
  })
