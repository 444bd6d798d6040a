/**
 * /v3/policies, /v3/OS-OAUTH1/consumers, /v3/OS-TRUST/trusts and
 * /v3/domains/{id}/config (+ /v3/domains/config/default).
 */
import type { FastifyRequest } from 'fastify'
import { splitExtra, wireTime } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import type { ConfigDoc } from '../domain/domain-configs.js'
import type { Consumer, PolicyBlob } from '../domain/extras.js'
import type { Trust, TrustInput } from '../domain/trusts.js'
import type { IdentityDomain } from '../resources.js'
import {
  consumerCreate,
  consumerUpdate,
  domainConfig,
  policyCreate,
  policyUpdate,
  trustCreate,
} from '../schemas/credentials.js'
import { validateBody } from '../schemas/validate.js'
import { allows, can, collection, noContent, params, qs, query, type Router, selfLink } from './common.js'
import { roleView } from './roles.js'

const policyView = (req: FastifyRequest, p: PolicyBlob) => ({
  ...p.extra,
  id: p.id,
  type: p.type,
  blob: p.blob,
  links: selfLink(req, `policies/${p.id}`),
})
const consumerView = (req: FastifyRequest, c: Consumer) => ({
  ...c.extra,
  id: c.id,
  description: c.description,
  ...(c.secret !== undefined ? { secret: c.secret } : {}),
  links: selfLink(req, `OS-OAUTH1/consumers/${c.id}`),
})
const trustView = (req: FastifyRequest, t: Trust) => ({
  id: t.id,
  trustor_user_id: t.trustor_user_id,
  trustee_user_id: t.trustee_user_id,
  project_id: t.project_id,
  impersonation: t.impersonation,
  expires_at: wireTime(t.expires_at),
  remaining_uses: t.remaining_uses,
  redelegated_trust_id: t.redelegated_trust_id,
  redelegation_count: t.redelegation_count,
  allow_redelegation: t.allow_redelegation,
  roles: t.roles.map((r) => roleView(req, r)),
  roles_links: { self: `${selfLink(req, `OS-TRUST/trusts/${t.id}/roles`).self}`, previous: null, next: null },
  links: selfLink(req, `OS-TRUST/trusts/${t.id}`),
})

export function registerExtraRoutes(r: Router, d: IdentityDomain): void {
  // Policies
  r.get('/v3/policies', async (req) => {
    can(req, 'identity:list_policies', {})
    const list = await d.extras.listPolicies({ type: qs(query(req), 'type') })
    return collection(
      req,
      'policies',
      list.map((p) => policyView(req, p)),
      {},
      listLimit(d.config, 'policy'),
    )
  })
  r.post('/v3/policies', async (req, reply) => {
    const body = validateBody(req.body, 'policy', policyCreate)
    can(req, 'identity:create_policy', {})
    const { known, extra } = splitExtra(body, ['type', 'blob'])
    const p = await d.extras.createPolicy({ ...(known as { type: string; blob: string }), extra })
    return reply.code(201).send({ policy: policyView(req, p) })
  })
  r.get('/v3/policies/:id', async (req) => {
    can(req, 'identity:get_policy', {})
    return { policy: policyView(req, await d.extras.getPolicy(params(req).id!)) }
  })
  r.patch('/v3/policies/:id', async (req) => {
    const body = validateBody(req.body, 'policy', policyUpdate)
    can(req, 'identity:update_policy', {})
    const { known, extra } = splitExtra(body, ['type', 'blob'])
    return { policy: policyView(req, await d.extras.updatePolicy(params(req).id!, { ...known, extra })) }
  })
  r.delete('/v3/policies/:id', async (req, reply) => {
    can(req, 'identity:delete_policy', {})
    await d.extras.deletePolicy(params(req).id!)
    return noContent(reply)
  })

  // OAuth1 consumers
  const C = '/v3/OS-OAUTH1/consumers'
  r.get(C, async (req) => {
    can(req, 'identity:list_consumers', {})
    const list = await d.extras.listConsumers()
    return collection(
      req,
      'consumers',
      list.map((c) => consumerView(req, c)),
    )
  })
  r.post(C, async (req, reply) => {
    const body = validateBody(req.body ?? { consumer: {} }, 'consumer', consumerCreate)
    can(req, 'identity:create_consumer', {})
    const { known, extra } = splitExtra(body, ['description'])
    const c = await d.extras.createConsumer({ ...known, extra })
    return reply.code(201).send({ consumer: consumerView(req, c) })
  })
  r.get(`${C}/:id`, async (req) => {
    can(req, 'identity:get_consumer', {})
    return { consumer: consumerView(req, await d.extras.getConsumer(params(req).id!)) }
  })
  r.patch(`${C}/:id`, async (req) => {
    const body = validateBody(req.body, 'consumer', consumerUpdate)
    can(req, 'identity:update_consumer', {})
    const { known, extra } = splitExtra(body, ['description', 'secret'])
    delete known.secret
    return {
      consumer: consumerView(req, await d.extras.updateConsumer(params(req).id!, { ...known, extra })),
    }
  })
  r.delete(`${C}/:id`, async (req, reply) => {
    can(req, 'identity:delete_consumer', {})
    await d.extras.deleteConsumer(params(req).id!)
    return noContent(reply)
  })

  // Trusts
  const T = '/v3/OS-TRUST/trusts'
  r.get(T, async (req) => {
    const q = query(req)
    const trustor = qs(q, 'trustor_user_id')
    const trustee = qs(q, 'trustee_user_id')
    if (trustor) can(req, 'identity:list_trusts_for_trustor', { trust: { trustor_user_id: trustor } })
    if (trustee) can(req, 'identity:list_trusts_for_trustee', { trust: { trustee_user_id: trustee } })
    if (!trustor && !trustee) can(req, 'identity:list_trusts', {})
    const list = await d.trusts.list({ trustor_user_id: trustor, trustee_user_id: trustee })
    return collection(
      req,
      'trusts',
      list.map((t) => trustView(req, t)),
    )
  })
  r.post(T, async (req, reply) => {
    const body = validateBody<TrustInput>(req.body, 'trust', trustCreate)
    can(req, 'identity:create_trust', { trust: body })
    const t = await d.trusts.create(body)
    return reply.code(201).send({ trust: trustView(req, t) })
  })
  r.get(`${T}/:id`, async (req) => {
    const t = await d.trusts.get(params(req).id!)
    can(req, 'identity:get_trust', { trust: t })
    return { trust: trustView(req, t) }
  })
  r.delete(`${T}/:id`, async (req, reply) => {
    const t = await d.trusts.get(params(req).id!)
    can(req, 'identity:delete_trust', { trust: t })
    await d.trusts.delete(t.id)
    return noContent(reply)
  })
  r.get(`${T}/:id/roles`, async (req) => {
    const t = await d.trusts.get(params(req).id!)
    can(req, 'identity:list_roles_for_trust', { trust: t })
    return collection(
      req,
      'roles',
      t.roles.map((x) => roleView(req, x)),
    )
  })
  r.get(`${T}/:id/roles/:role`, async (req, reply) => {
    const { id, role } = params(req)
    const t = await d.trusts.get(id!)
    can(req, 'identity:get_role_for_trust', { trust: t })
    const found = await d.trusts.getRole(id!, role!)
    if (req.method === 'HEAD') return reply.code(200).send()
    return { role: roleView(req, found) }
  })

  // Domain configuration
  r.get('/v3/domains/config/default', async (req) => {
    can(req, 'identity:get_domain_config_default', {})
    return { config: d.domainConfigs.defaults() }
  })
  r.get('/v3/domains/config/:group/default', async (req) => {
    can(req, 'identity:get_domain_config_default', {})
    return { config: d.domainConfigs.defaults(params(req).group) }
  })
  r.get('/v3/domains/config/:group/:option/default', async (req) => {
    const { group, option } = params(req)
    can(req, 'identity:get_domain_config_default', {})
    return { config: d.domainConfigs.defaults(group, option) }
  })
  const DC = '/v3/domains/:id/config'
  r.put(DC, async (req, reply) => {
    const body = validateBody<ConfigDoc>(req.body, 'config', domainConfig)
    can(req, 'identity:create_domain_config', {})
    const { created, config } = await d.domainConfigs.replace(params(req).id!, body)
    return reply.code(created ? 201 : 200).send({ config })
  })
  r.get(DC, async (req) => {
    can(req, 'identity:get_domain_config', {})
    return { config: await d.domainConfigs.get(params(req).id!) }
  })
  r.patch(DC, async (req) => {
    const body = validateBody<ConfigDoc>(req.body, 'config', domainConfig)
    can(req, 'identity:update_domain_config', {})
    return { config: await d.domainConfigs.update(params(req).id!, body) }
  })
  r.delete(DC, async (req, reply) => {
    can(req, 'identity:delete_domain_config', {})
    await d.domainConfigs.delete(params(req).id!)
    return noContent(reply)
  })
  r.get(`${DC}/:group`, async (req) => {
    const { id, group } = params(req)
    can(req, 'identity:get_domain_config', {})
    return { config: await d.domainConfigs.get(id!, group) }
  })
  r.patch(`${DC}/:group`, async (req) => {
    const { id, group } = params(req)
    const body = validateBody<ConfigDoc>(req.body, 'config', domainConfig)
    can(req, 'identity:update_domain_config', {})
    return { config: await d.domainConfigs.update(id!, body, group) }
  })
  r.delete(`${DC}/:group`, async (req, reply) => {
    const { id, group } = params(req)
    can(req, 'identity:delete_domain_config', {})
    await d.domainConfigs.delete(id!, group)
    return noContent(reply)
  })
  r.get(`${DC}/:group/:option`, async (req) => {
    const { id, group, option } = params(req)
    can(req, 'identity:get_domain_config', {})
    return { config: await d.domainConfigs.get(id!, group, option) }
  })
  r.patch(`${DC}/:group/:option`, async (req) => {
    const { id, group, option } = params(req)
    const body = validateBody<Record<string, unknown>>(req.body, 'config', { type: 'object' })
    can(req, 'identity:update_domain_config', {})
    return { config: await d.domainConfigs.update(id!, { [group!]: body }, group, option) }
  })
  r.delete(`${DC}/:group/:option`, async (req, reply) => {
    const { id, group, option } = params(req)
    can(req, 'identity:delete_domain_config', {})
    await d.domainConfigs.delete(id!, group, option)
    return noContent(reply)
  })
}
