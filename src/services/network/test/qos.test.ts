/**
 * QoS over HTTP: admin-made policies with their four rule types, one rule of a type per
 * direction, a minimum never above the limit, shared policies attachable by others,
 * private ones invisible (404), the default policy on new networks, and deletion refused
 * while a port uses the policy.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, N, networkWithSubnet, OTHER, startNetwork, type TestHost } from './harness.js'

describe('network QoS policies and rules', () => {
  let t: TestHost
  before(async () => {
    t = await startNetwork()
  })
  after(() => t.close())

  const policy = async (body: Record<string, unknown>) => {
    const r = await t.call('POST', `${N}/qos/policies`, { as: ADMIN, body: { policy: body } })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    return r.body.policy as { id: string; rules: unknown[]; revision_number: number }
  }

  it('keeps one rule of a type per direction and a minimum under the limit', async () => {
    const p = await policy({ name: 'gold' })
    const rules = `${N}/qos/policies/${p.id}`
    const limit = await t.call('POST', `${rules}/bandwidth_limit_rules`, {
      as: ADMIN,
      body: { bandwidth_limit_rule: { max_kbps: 1000, max_burst_kbps: 100 } },
    })
    assert.equal(limit.status, 201)
    assert.deepEqual(Object.keys(limit.body.bandwidth_limit_rule).sort(), [
      'direction',
      'id',
      'max_burst_kbps',
      'max_kbps',
    ])
    assert.equal(limit.body.bandwidth_limit_rule.direction, 'egress')
    const again = await t.call('POST', `${rules}/bandwidth_limit_rules`, {
      as: ADMIN,
      body: { bandwidth_limit_rule: { max_kbps: 5 } },
    })
    assert.equal(again.status, 409)
    assert.equal(again.body.NeutronError.type, 'QoSRulesConflict')
    const ingress = await t.call('POST', `${rules}/bandwidth_limit_rules`, {
      as: ADMIN,
      body: { bandwidth_limit_rule: { max_kbps: 5, direction: 'ingress' } },
    })
    assert.equal(ingress.status, 201)
    const tooHigh = await t.call('POST', `${rules}/minimum_bandwidth_rules`, {
      as: ADMIN,
      body: { minimum_bandwidth_rule: { min_kbps: 2000 } },
    })
    assert.equal(tooHigh.status, 409)
    assert.equal(tooHigh.body.NeutronError.type, 'QoSRuleParameterConflict')
    for (const [type, body] of [
      ['minimum_bandwidth', { min_kbps: 500 }],
      ['dscp_marking', { dscp_mark: 26 }],
      ['minimum_packet_rate', { min_kpps: 1000, direction: 'any' }],
    ] as const) {
      const r = await t.call('POST', `${rules}/${type}_rules`, {
        as: ADMIN,
        body: { [`${type}_rule`]: body },
      })
      assert.equal(r.status, 201, `${type}: ${JSON.stringify(r.body)}`)
    }
    const badMark = await t.call('POST', `${rules}/dscp_marking_rules`, {
      as: ADMIN,
      body: { dscp_marking_rule: { dscp_mark: 7 } },
    })
    assert.equal(badMark.status, 400)
    const shown = (await t.call('GET', rules, { as: ADMIN })).body.policy
    assert.equal(shown.rules.length, 5)
    assert.ok(shown.revision_number > p.revision_number, 'rules bump the policy revision')
    assert.ok(shown.rules.every((r: { qos_policy_id: string }) => r.qos_policy_id === p.id))
    const id = limit.body.bandwidth_limit_rule.id
    const set = await t.call('PUT', `${rules}/bandwidth_limit_rules/${id}`, {
      as: ADMIN,
      body: { bandwidth_limit_rule: { max_kbps: 3000 } },
    })
    assert.equal(set.body.bandwidth_limit_rule.max_kbps, 3000)
    assert.equal((await t.call('DELETE', `${rules}/bandwidth_limit_rules/${id}`, { as: ADMIN })).status, 204)
    const gone = await t.call('GET', `${rules}/bandwidth_limit_rules/${id}`, { as: ADMIN })
    assert.equal(gone.status, 404)
    assert.equal(gone.body.NeutronError.type, 'QosRuleNotFound')
    const types = (await t.call('GET', `${N}/qos/rule-types`, { as: MEMBER })).body.rule_types
    assert.deepEqual(types.map((x: { type: string }) => x.type).sort(), [
      'bandwidth_limit',
      'dscp_marking',
      'minimum_bandwidth',
      'minimum_packet_rate',
    ])
  })

  it('lets projects attach shared policies, hides private ones, and holds a used policy', async () => {
    const shared = await policy({ name: 'shared', shared: true })
    const mine = await policy({ name: 'private' })
    assert.equal(
      (await t.call('POST', `${N}/qos/policies`, { as: MEMBER, body: { policy: { name: 'x' } } })).status,
      403,
    )
    // The admin persona's project is the member's; the other project does not see it.
    const { network } = await networkWithSubnet(t, OTHER, '10.90.0.0/24')
    const hidden = await t.call('POST', `${N}/ports`, {
      as: OTHER,
      body: { port: { network_id: network.id, qos_policy_id: mine.id } },
    })
    assert.equal(hidden.status, 404)
    assert.equal(hidden.body.NeutronError.type, 'QosPolicyNotFound')
    const port = await t.call('POST', `${N}/ports`, {
      as: OTHER,
      body: { port: { network_id: network.id, qos_policy_id: shared.id } },
    })
    assert.equal(port.status, 201)
    assert.equal(port.body.port.qos_policy_id, shared.id)
    const del = await t.call('DELETE', `${N}/qos/policies/${shared.id}`, { as: ADMIN })
    assert.equal(del.status, 409)
    assert.equal(del.body.NeutronError.type, 'QosPolicyInUse')
    assert.match(del.body.NeutronError.message, new RegExp(`port ${port.body.port.id}`))
    const list = (await t.call('GET', `${N}/qos/policies`, { as: OTHER })).body.policies
    assert.deepEqual(
      list.map((p: { id: string }) => p.id),
      [shared.id],
    )
  })

  it('gives new networks the project default policy, one default per project', async () => {
    const before = await t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'p' } } })
    const project = before.body.network.project_id as string
    assert.equal(before.body.network.qos_policy_id, null)
    const d = await policy({ name: 'default-one', is_default: true, project_id: project })
    const second = await t.call('POST', `${N}/qos/policies`, {
      as: ADMIN,
      body: { policy: { name: 'another', is_default: true, project_id: project } },
    })
    assert.equal(second.status, 409)
    assert.equal(second.body.NeutronError.type, 'QoSPolicyDefaultAlreadyExists')
    const net = await t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'q' } } })
    assert.equal(net.body.network.qos_policy_id, d.id)
  })

  it('shares a policy with one project by RBAC and keeps the grant while that project uses it', async () => {
    const p = await policy({ name: 'granted' })
    const other = (await t.call('POST', `${N}/networks`, { as: OTHER, body: { network: { name: 'o' } } }))
      .body.network.project_id as string
    const grant = await t.call('POST', `${N}/rbac-policies`, {
      as: ADMIN,
      body: {
        rbac_policy: {
          object_type: 'qos_policy',
          object_id: p.id,
          action: 'access_as_shared',
          target_tenant: other,
        },
      },
    })
    assert.equal(grant.status, 201, JSON.stringify(grant.body))
    assert.equal((await t.call('GET', `${N}/qos/policies/${p.id}`, { as: OTHER })).body.policy.shared, true)
    const net = await t.call('POST', `${N}/networks`, {
      as: OTHER,
      body: { network: { name: 'uses', qos_policy_id: p.id } },
    })
    assert.equal(net.status, 201)
    const held = await t.call('DELETE', `${N}/rbac-policies/${grant.body.rbac_policy.id}`, { as: ADMIN })
    assert.equal(held.status, 409)
    assert.equal(held.body.NeutronError.type, 'RbacPolicyInUse')
    assert.equal((await t.call('DELETE', `${N}/networks/${net.body.network.id}`, { as: OTHER })).status, 204)
    assert.equal(
      (await t.call('DELETE', `${N}/rbac-policies/${grant.body.rbac_policy.id}`, { as: ADMIN })).status,
      204,
    )
    assert.equal((await t.call('GET', `${N}/qos/policies/${p.id}`, { as: OTHER })).status, 404)
  })

  it('lets a project take a policy off its network only once it may see the policy', async () => {
    const p = await policy({ name: 'admins-only' })
    const net = (await t.call('POST', `${N}/networks`, { as: OTHER, body: { network: { name: 'd' } } })).body
      .network
    const put = (as: string, id: string | null) =>
      t.call('PUT', `${N}/networks/${net.id}`, { as, body: { network: { qos_policy_id: id } } })
    assert.equal((await put(ADMIN, p.id)).status, 200)
    const refused = await put(OTHER, null)
    assert.equal(refused.status, 403)
    await t.call('PUT', `${N}/qos/policies/${p.id}`, { as: ADMIN, body: { policy: { shared: true } } })
    assert.equal((await put(OTHER, null)).status, 200)
  })
})
