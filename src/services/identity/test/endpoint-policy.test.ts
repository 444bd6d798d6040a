/**
 * OS-ENDPOINT-POLICY as Keystone answers it: 204 for associate / check / dissociate,
 * 404 for a missing policy, endpoint, service or region or a check of no association,
 * and an endpoint's policy found through the endpoint, its service in its region (or a
 * parent region), then its service.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness()
})
after(async () => h?.close())

const ids = (r: { json: { endpoints: { id: string }[] } }) => r.json.endpoints.map((e) => e.id).sort()

describe('endpoint policy', () => {
  it('associates a policy with an endpoint, a service and a region, and resolves an endpoint’s policy', async () => {
    const mk = async (type: string) =>
      (await h.call('POST', '/v3/policies', { policy: { type: 'application/json', blob: type } })).json.policy
        .id
    const pEndpoint = await mk('e')
    const pRegion = await mk('r')
    const pService = await mk('s')
    await h.call('POST', '/v3/regions', { region: { id: 'Parent' } })
    await h.call('POST', '/v3/regions', { region: { id: 'Child', parent_region_id: 'Parent' } })
    const svc = (await h.call('POST', '/v3/services', { service: { type: 'thing', name: 'thing' } })).json
      .service.id
    const ep = async (region: string) =>
      (
        await h.call('POST', '/v3/endpoints', {
          endpoint: { service_id: svc, interface: 'public', url: `http://x/${region}`, region_id: region },
        })
      ).json.endpoint.id
    const e1 = await ep('Child')
    const e2 = await ep('Child')
    const e3 = await ep('RegionOne')

    const base = '/v3/policies'
    assert.equal((await h.call('GET', `/v3/endpoints/${e1}/OS-ENDPOINT-POLICY/policy`)).status, 404)
    assert.equal((await h.call('PUT', `${base}/${pService}/OS-ENDPOINT-POLICY/services/${svc}`)).status, 204)
    assert.equal(
      (await h.call('GET', `/v3/endpoints/${e1}/OS-ENDPOINT-POLICY/policy`)).json.policy.id,
      pService,
    )
    assert.equal(
      (await h.call('PUT', `${base}/${pRegion}/OS-ENDPOINT-POLICY/services/${svc}/regions/Parent`)).status,
      204,
    )
    assert.equal(
      (await h.call('GET', `/v3/endpoints/${e1}/OS-ENDPOINT-POLICY/policy`)).json.policy.id,
      pRegion,
    )
    assert.equal(
      (await h.call('GET', `/v3/endpoints/${e3}/OS-ENDPOINT-POLICY/policy`)).json.policy.id,
      pService,
    )
    assert.equal((await h.call('PUT', `${base}/${pEndpoint}/OS-ENDPOINT-POLICY/endpoints/${e1}`)).status, 204)
    const got = await h.call('GET', `/v3/endpoints/${e1}/OS-ENDPOINT-POLICY/policy`)
    assert.equal(got.json.policy.id, pEndpoint)
    assert.equal(got.json.policy.blob, 'e')

    assert.deepEqual(
      ids(await h.call('GET', `${base}/${pRegion}/OS-ENDPOINT-POLICY/endpoints`)),
      [e1, e2].sort(),
    )
    assert.deepEqual(
      ids(await h.call('GET', `${base}/${pService}/OS-ENDPOINT-POLICY/endpoints`)),
      [e1, e2, e3].sort(),
    )
    assert.deepEqual(ids(await h.call('GET', `${base}/${pEndpoint}/OS-ENDPOINT-POLICY/endpoints`)), [e1])

    assert.equal((await h.call('GET', `${base}/${pEndpoint}/OS-ENDPOINT-POLICY/endpoints/${e1}`)).status, 204)
    assert.equal((await h.call('GET', `${base}/${pEndpoint}/OS-ENDPOINT-POLICY/endpoints/${e2}`)).status, 404)
    assert.equal((await h.call('GET', `${base}/${pService}/OS-ENDPOINT-POLICY/services/${svc}`)).status, 204)
    assert.equal((await h.call('GET', `${base}/${pEndpoint}/OS-ENDPOINT-POLICY/services/${svc}`)).status, 404)
    assert.equal((await h.call('PUT', `${base}/${pEndpoint}/OS-ENDPOINT-POLICY/endpoints/nope`)).status, 404)
    assert.equal((await h.call('PUT', `${base}/nope/OS-ENDPOINT-POLICY/endpoints/${e1}`)).status, 404)
    assert.equal(
      (await h.call('PUT', `${base}/${pRegion}/OS-ENDPOINT-POLICY/services/${svc}/regions/nope`)).status,
      404,
    )

    // Associating another policy with the same endpoint replaces the first.
    assert.equal((await h.call('PUT', `${base}/${pService}/OS-ENDPOINT-POLICY/endpoints/${e1}`)).status, 204)
    assert.equal((await h.call('GET', `${base}/${pEndpoint}/OS-ENDPOINT-POLICY/endpoints/${e1}`)).status, 404)
    assert.equal(
      (await h.call('DELETE', `${base}/${pService}/OS-ENDPOINT-POLICY/endpoints/${e1}`)).status,
      204,
    )
    assert.equal(
      (await h.call('GET', `/v3/endpoints/${e1}/OS-ENDPOINT-POLICY/policy`)).json.policy.id,
      pRegion,
    )

    // A deleted policy takes its associations with it.
    assert.equal((await h.call('DELETE', `${base}/${pRegion}`)).status, 204)
    assert.equal(
      (await h.call('GET', `/v3/endpoints/${e1}/OS-ENDPOINT-POLICY/policy`)).json.policy.id,
      pService,
    )
  })

  it('checks policy before the lookup: a member gets 403, not 404', async () => {
    const r = await h.call('GET', '/v3/endpoints/nope/OS-ENDPOINT-POLICY/policy', undefined, h.memberToken)
    assert.equal(r.status, 403)
    const put = await h.call(
      'PUT',
      '/v3/policies/nope/OS-ENDPOINT-POLICY/endpoints/nope',
      undefined,
      h.memberToken,
    )
    assert.equal(put.status, 403)
  })
})
