/**
 * Unified limits through the API, as Keystone answers them: /v3/limits/model, the
 * registered limits and limits lifecycles with their 400/403/404/409 cases, who sees
 * which limits, the strict_two_level rules, and image quotas read from them (identity
 * and image in one process, image with `[DEFAULT] use_keystone_limits`). The lifecycle
 * runs on every enabled dialect.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { enabledDialects } from '../../../kernel/db/testing.js'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

const rnd = () => Math.random().toString(36).slice(2, 8)

async function service(h: ResourceHarness, type = `svc-${rnd()}`): Promise<string> {
  const r = await h.call('POST', '/v3/services', { service: { type, name: type } })
  assert.equal(r.status, 201)
  return r.json.service.id
}

async function project(h: ResourceHarness, domain = 'default', parent?: string): Promise<string> {
  const r = await h.call('POST', '/v3/projects', {
    project: { name: `p-${rnd()}`, domain_id: domain, ...(parent ? { parent_id: parent } : {}) },
  })
  assert.equal(r.status, 201, JSON.stringify(r.json))
  return r.json.project.id
}

for (const dialect of enabledDialects()) {
  describe(`unified limits on ${dialect}`, () => {
    let h: ResourceHarness
    before(async () => {
      h = await startResourceHarness({ dialect })
    })
    after(async () => h?.close())

    it('GET /v3/limits/model: flat by default, for any token', async () => {
      const r = await h.call('GET', '/v3/limits/model', undefined, h.memberToken)
      assert.equal(r.status, 200)
      assert.deepEqual(r.json, {
        model: {
          name: 'flat',
          description: 'Limit enforcement and validation does not take project hierarchy into consideration.',
        },
      })
      assert.equal((await h.call('GET', '/v3/limits/model', undefined, null)).status, 401)
    })

    it('registered limits: create, list, filter, show, update, delete, and their refusals', async () => {
      const svc = await service(h)
      const created = await h.call('POST', '/v3/registered_limits', {
        registered_limits: [
          { service_id: svc, resource_name: 'cores', default_limit: 10, description: 'd' },
          { service_id: svc, region_id: 'RegionOne', resource_name: 'cores', default_limit: 5 },
        ],
      })
      assert.equal(created.status, 201, JSON.stringify(created.json))
      assert.equal(created.json.links, undefined)
      const [global, regional] = created.json.registered_limits
      assert.equal(global.region_id, null)
      assert.equal(global.description, 'd')
      assert.equal(regional.region_id, 'RegionOne')
      assert.match(global.links.self, /\/v3\/registered_limits\/[0-9a-f]{32}$/)

      const dup = await h.call('POST', '/v3/registered_limits', {
        registered_limits: [{ service_id: svc, resource_name: 'cores', default_limit: 1 }],
      })
      assert.equal(dup.status, 409)
      assert.equal(
        dup.json.error.message,
        'Conflict occurred attempting to store registered_limit - Duplicate entry.',
      )
      const noService = await h.call('POST', '/v3/registered_limits', {
        registered_limits: [{ service_id: 'nope', resource_name: 'x', default_limit: 1 }],
      })
      assert.equal(noService.status, 400)
      assert.match(noService.json.error.message, /^Expecting to find service_id in registered_limit/)
      for (const bad of [
        { service_id: svc, region_id: 'nowhere', resource_name: 'x', default_limit: 1 },
        { service_id: svc, resource_name: 'x', default_limit: -2 },
        { service_id: svc, resource_name: 'x', default_limit: 2 ** 31 },
        { service_id: svc, resource_name: 'x', default_limit: '5' },
        { service_id: svc, resource_name: 'x' },
        { service_id: svc, resource_name: 'x', default_limit: 1, extra: 1 },
      ]) {
        const r = await h.call('POST', '/v3/registered_limits', { registered_limits: [bad] })
        assert.equal(r.status, 400, JSON.stringify(bad))
      }
      assert.equal((await h.call('POST', '/v3/registered_limits', { registered_limits: [] })).status, 400)
      const none = await h.call('GET', `/v3/registered_limits?service_id=${svc}&resource_name=x`)
      assert.deepEqual(none.json.registered_limits, [], 'nothing half-written')

      const byRegion = await h.call('GET', `/v3/registered_limits?service_id=${svc}&region_id=RegionOne`)
      assert.deepEqual(
        byRegion.json.registered_limits.map((x: { id: string }) => x.id),
        [regional.id],
      )
      const listed = await h.call('GET', `/v3/registered_limits?service_id=${svc}`, undefined, h.memberToken)
      assert.equal(listed.status, 200)
      assert.equal(listed.json.registered_limits.length, 2)
      assert.ok(listed.json.links.self)

      const shown = await h.call('GET', `/v3/registered_limits/${global.id}`, undefined, h.memberToken)
      assert.equal(shown.json.registered_limit.default_limit, 10)
      const missing = await h.call('GET', '/v3/registered_limits/nope')
      assert.equal(missing.status, 404)
      assert.equal(missing.json.error.message, 'Could not find registered limit for nope.')

      assert.equal(
        (await h.call('POST', '/v3/registered_limits', { registered_limits: [] }, h.memberToken)).status,
        400,
      )
      const memberCreate = await h.call(
        'POST',
        '/v3/registered_limits',
        { registered_limits: [{ service_id: svc, resource_name: 'y', default_limit: 1 }] },
        h.memberToken,
      )
      assert.equal(memberCreate.status, 403)

      const upd = await h.call('PATCH', `/v3/registered_limits/${global.id}`, {
        registered_limit: { default_limit: 20, description: null },
      })
      assert.equal(upd.status, 200, JSON.stringify(upd.json))
      assert.equal(upd.json.registered_limit.default_limit, 20)
      assert.equal(upd.json.registered_limit.description, null)
      const clash = await h.call('PATCH', `/v3/registered_limits/${regional.id}`, {
        registered_limit: { region_id: null },
      })
      assert.equal(clash.status, 409)
      assert.equal((await h.call('DELETE', `/v3/registered_limits/${regional.id}`)).status, 204)
      assert.equal((await h.call('DELETE', `/v3/registered_limits/${regional.id}`)).status, 404)
    })

    it('limits: project and domain limits, refusals, and a referenced registered limit', async () => {
      const svc = await service(h)
      const reg = (
        await h.call('POST', '/v3/registered_limits', {
          registered_limits: [{ service_id: svc, resource_name: 'ram', default_limit: 100 }],
        })
      ).json.registered_limits[0]
      const p = await project(h)
      const domain = (await h.call('POST', '/v3/domains', { domain: { name: `d-${rnd()}` } })).json.domain.id

      const created = await h.call('POST', '/v3/limits', {
        limits: [
          { project_id: p, service_id: svc, resource_name: 'ram', resource_limit: 50 },
          { domain_id: domain, service_id: svc, resource_name: 'ram', resource_limit: 70, description: 'd' },
        ],
      })
      assert.equal(created.status, 201, JSON.stringify(created.json))
      const [pl, dl] = created.json.limits
      assert.deepEqual(
        { p: pl.project_id, d: pl.domain_id, r: pl.region_id, n: pl.resource_name, v: pl.resource_limit },
        { p, d: null, r: null, n: 'ram', v: 50 },
      )
      assert.equal(dl.domain_id, domain)
      assert.equal(dl.project_id, null)

      // A project id naming a domain makes a domain limit; the domain has one already.
      const asProject = await h.call('POST', '/v3/limits', {
        limits: [{ project_id: domain, service_id: svc, resource_name: 'ram', resource_limit: 1 }],
      })
      assert.equal(asProject.status, 409)
      const noReg = await h.call('POST', '/v3/limits', {
        limits: [{ project_id: p, service_id: svc, resource_name: 'disk', resource_limit: 1 }],
      })
      assert.equal(noReg.status, 403)
      assert.equal(
        noReg.json.error.message,
        'Unable to create a limit that has no corresponding registered limit.',
      )
      for (const bad of [
        { project_id: p, domain_id: domain, service_id: svc, resource_name: 'ram', resource_limit: 1 },
        { service_id: svc, resource_name: 'ram', resource_limit: 1 },
        { project_id: 'nope', service_id: svc, resource_name: 'ram', resource_limit: 1 },
        { domain_id: p, service_id: svc, resource_name: 'ram', resource_limit: 1 },
        { project_id: p, service_id: svc, resource_name: 'ram', resource_limit: -5 },
      ]) {
        const r = await h.call('POST', '/v3/limits', { limits: [bad] })
        assert.equal(r.status, 400, JSON.stringify(bad))
      }

      const filtered = await h.call('GET', `/v3/limits?service_id=${svc}&project_id=${p}`)
      assert.deepEqual(
        filtered.json.limits.map((x: { id: string }) => x.id),
        [pl.id],
      )
      const byDomain = await h.call('GET', `/v3/limits?domain_id=${domain}`)
      assert.deepEqual(
        byDomain.json.limits.map((x: { id: string }) => x.id),
        [dl.id],
      )
      const upd = await h.call('PATCH', `/v3/limits/${pl.id}`, { limit: { resource_limit: 0 } })
      assert.equal(upd.status, 200)
      assert.equal(upd.json.limit.resource_limit, 0)
      assert.equal(
        (await h.call('PATCH', `/v3/limits/${pl.id}`, { limit: { resource_name: 'x' } })).status,
        400,
      )

      // Referenced: the registered limit can be neither changed nor deleted.
      const refUpd = await h.call('PATCH', `/v3/registered_limits/${reg.id}`, {
        registered_limit: { default_limit: 1 },
      })
      assert.equal(refUpd.status, 403)
      assert.equal((await h.call('DELETE', `/v3/registered_limits/${reg.id}`)).status, 403)

      // Deleting the project deletes its limits.
      assert.equal((await h.call('DELETE', `/v3/projects/${p}`)).status, 204)
      assert.equal((await h.call('GET', `/v3/limits/${pl.id}`)).status, 404)
      assert.equal((await h.call('DELETE', `/v3/limits/${dl.id}`)).status, 204)
      const gone = await h.call('GET', `/v3/limits/${dl.id}`)
      assert.equal(gone.status, 404)
      assert.equal(gone.json.error.message, `Could not find limit for ${dl.id}.`)
      assert.equal((await h.call('DELETE', `/v3/registered_limits/${reg.id}`)).status, 204)
    })

    it('who sees which limits: a project member its project’s, never another’s', async () => {
      const svc = await service(h)
      await h.call('POST', '/v3/registered_limits', {
        registered_limits: [{ service_id: svc, resource_name: 'gpus', default_limit: 1 }],
      })
      const demo = (await h.call('GET', '/v3/projects?name=demo')).json.projects[0].id
      const other = await project(h)
      const [mine, theirs] = (
        await h.call('POST', '/v3/limits', {
          limits: [
            { project_id: demo, service_id: svc, resource_name: 'gpus', resource_limit: 2 },
            { project_id: other, service_id: svc, resource_name: 'gpus', resource_limit: 3 },
          ],
        })
      ).json.limits
      const listed = await h.call('GET', `/v3/limits?service_id=${svc}`, undefined, h.memberToken)
      assert.deepEqual(
        listed.json.limits.map((x: { id: string }) => x.id),
        [mine.id],
      )
      const asked = await h.call('GET', `/v3/limits?project_id=${other}`, undefined, h.memberToken)
      assert.deepEqual(asked.json.limits, [])
      assert.equal((await h.call('GET', `/v3/limits/${mine.id}`, undefined, h.memberToken)).status, 200)
      assert.equal((await h.call('GET', `/v3/limits/${theirs.id}`, undefined, h.memberToken)).status, 403)
      const all = await h.call('GET', `/v3/limits?service_id=${svc}`)
      assert.equal(all.json.limits.length, 2)
      const write = await h.call(
        'PATCH',
        `/v3/limits/${mine.id}`,
        { limit: { resource_limit: 9 } },
        h.memberToken,
      )
      assert.equal(write.status, 403)
    })
  })
}

describe('strict_two_level', () => {
  let h: ResourceHarness
  before(async () => {
    h = await startResourceHarness({ sections: { unified_limit: { enforcement_model: 'strict_two_level' } } })
  })
  after(async () => h?.close())

  it('reports the model, keeps projects under their domain and domains over their projects', async () => {
    const model = await h.call('GET', '/v3/limits/model')
    assert.deepEqual(model.json.model, {
      name: 'strict_two_level',
      description: 'This model requires project hierarchy never exceeds a depth of two',
    })
    const svc = await service(h)
    await h.call('POST', '/v3/registered_limits', {
      registered_limits: [{ service_id: svc, resource_name: 'cores', default_limit: 10 }],
    })
    const domain = (await h.call('POST', '/v3/domains', { domain: { name: `d-${rnd()}` } })).json.domain.id
    const b = await project(h, domain)
    const c = await project(h, domain)
    const lim = (target: Record<string, string>, v: number) => ({
      ...target,
      service_id: svc,
      resource_name: 'cores',
      resource_limit: v,
    })
    // No domain limit: the registered default (10) caps the projects.
    const over = await h.call('POST', '/v3/limits', { limits: [lim({ project_id: b }, 11)] })
    assert.equal(over.status, 403)
    assert.match(over.json.error.message, /doesn't satisfy current hierarchy model/)
    // A batch is checked against itself: a domain limit of 20 lets a project have 15.
    const batch = await h.call('POST', '/v3/limits', {
      limits: [lim({ domain_id: domain }, 20), lim({ project_id: b }, 15)],
    })
    assert.equal(batch.status, 201, JSON.stringify(batch.json))
    const [dl, bl] = batch.json.limits
    assert.equal((await h.call('POST', '/v3/limits', { limits: [lim({ project_id: c }, 21)] })).status, 403)
    assert.equal((await h.call('POST', '/v3/limits', { limits: [lim({ project_id: c }, 20)] })).status, 201)
    // The domain may not drop below a project, nor a project rise above the domain.
    assert.equal(
      (await h.call('PATCH', `/v3/limits/${dl.id}`, { limit: { resource_limit: 14 } })).status,
      403,
    )
    assert.equal(
      (await h.call('PATCH', `/v3/limits/${dl.id}`, { limit: { resource_limit: 25 } })).status,
      200,
    )
    assert.equal(
      (await h.call('PATCH', `/v3/limits/${bl.id}`, { limit: { resource_limit: 26 } })).status,
      403,
    )
    assert.equal(
      (await h.call('PATCH', `/v3/limits/${bl.id}`, { limit: { resource_limit: 25 } })).status,
      200,
    )
  })
})

describe('image quotas read identity’s unified limits (use_keystone_limits)', () => {
  let h: ResourceHarness
  before(async () => {
    h = await startResourceHarness({ image: { DEFAULT: { use_keystone_limits: true } } })
  })
  after(async () => h?.close())

  it('registered defaults and a project limit decide image_count_total, in the image endpoint’s region', async () => {
    const glance = await service(h, 'image')
    const ep = await h.call('POST', '/v3/endpoints', {
      endpoint: {
        service_id: glance,
        interface: 'public',
        url: 'http://cloud.test/image',
        region_id: 'RegionOne',
      },
    })
    assert.equal(ep.status, 201)
    const demo = (await h.call('GET', '/v3/projects?name=demo')).json.projects[0].id
    const img = () =>
      h.imageCall('POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, h.memberToken)
    // Nothing registered yet: oslo.limit reads 0.
    assert.equal((await img()).status, 413)
    const names = ['image_size_total', 'image_stage_total', 'image_count_total', 'image_count_uploading']
    // A registered limit of another region does not apply.
    await h.call('POST', '/v3/registered_limits', {
      registered_limits: [{ service_id: glance, resource_name: 'image_count_total', default_limit: 5 }],
    })
    assert.equal((await img()).status, 413)
    const reg = await h.call('POST', '/v3/registered_limits', {
      registered_limits: names.map((n) => ({
        service_id: glance,
        region_id: 'RegionOne',
        resource_name: n,
        default_limit: 1,
      })),
    })
    assert.equal(reg.status, 201)
    assert.equal((await img()).status, 201)
    const over = await img()
    assert.equal(over.status, 413)
    const lim = await h.call('POST', '/v3/limits', {
      limits: [
        {
          project_id: demo,
          service_id: glance,
          region_id: 'RegionOne',
          resource_name: 'image_count_total',
          resource_limit: 2,
        },
      ],
    })
    assert.equal(lim.status, 201)
    const second = await img()
    assert.equal(second.status, 201)
    assert.equal((await img()).status, 413)
    // 1 MiB of data under image_size_total = 1 MiB, then nothing more.
    const data = Buffer.alloc(1024 * 1024)
    assert.equal(
      (await h.imageCall('PUT', `/v2/images/${second.json.id}/file`, data, h.memberToken)).status,
      204,
    )
    await h.call('PATCH', `/v3/limits/${lim.json.limits[0].id}`, { limit: { resource_limit: 3 } })
    const third = await img()
    assert.equal(third.status, 201)
    const full = await h.imageCall('PUT', `/v2/images/${third.json.id}/file`, data, h.memberToken)
    assert.equal(full.status, 413)
  })
})
