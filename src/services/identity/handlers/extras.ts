/**
 * /v3/policies, /v3/OS-OAUTH1/consumers, /v3/OS-TRUST/trusts and
 * /v3/domains/{id}/config (+ /v3/domains/config/default).
 */
import type { FastifyRequest } from 'fastify'
import { splitExtra, wireTime } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import type { ConfigDoc } from '../domain/domain-configs.js'
import type { Consumer, PolicyBlob } from '../domain/extras.js'
import type { Trust, TrustCaller, TrustInput } from '../domain/trusts.js'
import { ActionForbidden } from '../errors.js'
import { bodyOf, can, collection, noContent, params, qs, query, selfLink } from './common.js'
import type { Handler } from './deps.js'
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
/** The delegation the caller's token carries, for the trust rules. */
const trustCaller = (req: FastifyRequest): TrustCaller => ({
  application_credential_id: req.ctx.who.application_credential_id,
  trust_id: req.ctx.who.trust_id as string | undefined,
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
  roles: t.roles.map((r) => roleView(req, r)),
  roles_links: { self: `${selfLink(req, `OS-TRUST/trusts/${t.id}/roles`).self}`, previous: null, next: null },
  links: selfLink(req, `OS-TRUST/trusts/${t.id}`),
})

// Policies

/** GET /v3/policies */
export const listPolicies: Handler = async (req, _reply, d) => {
  const list = await d.extras.listPolicies({ type: qs(query(req), 'type') })
  return collection(
    req,
    'policies',
    list.map((p) => policyView(req, p)),
    {},
    listLimit(d.config, 'policy'),
  )
}

/** POST /v3/policies */
export const createPolicy: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'policy')
  const { known, extra } = splitExtra(body, ['type', 'blob'])
  const p = await d.extras.createPolicy({ ...(known as { type: string; blob: string }), extra })
  return reply.code(201).send({ policy: policyView(req, p) })
}

/** GET /v3/policies/:id */
export const getPolicy: Handler = async (req, _reply, d) => {
  return { policy: policyView(req, await d.extras.getPolicy(params(req).id!)) }
}

/** PATCH /v3/policies/:id */
export const updatePolicy: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'policy')
  const { known, extra } = splitExtra(body, ['type', 'blob'])
  return { policy: policyView(req, await d.extras.updatePolicy(params(req).id!, { ...known, extra })) }
}

/** DELETE /v3/policies/:id */
export const deletePolicy: Handler = async (req, reply, d) => {
  await d.extras.deletePolicy(params(req).id!)
  return noContent(reply)
}

// OAuth1 consumers

/** GET /v3/OS-OAUTH1/consumers */
export const listConsumers: Handler = async (req, _reply, d) => {
  const list = await d.extras.listConsumers()
  return collection(
    req,
    'consumers',
    list.map((c) => consumerView(req, c)),
  )
}

/** POST /v3/OS-OAUTH1/consumers */
export const createConsumer: Handler = async (req, reply, d) => {
  // No body at all is an empty consumer (the route validates a body only when there is one).
  const body = req.body == null ? {} : bodyOf(req, 'consumer')
  const { known, extra } = splitExtra(body, ['description'])
  const c = await d.extras.createConsumer({ ...known, extra })
  return reply.code(201).send({ consumer: consumerView(req, c) })
}

/** GET /v3/OS-OAUTH1/consumers/:id */
export const getConsumer: Handler = async (req, _reply, d) => {
  return { consumer: consumerView(req, await d.extras.getConsumer(params(req).id!)) }
}

/** PATCH /v3/OS-OAUTH1/consumers/:id */
export const updateConsumer: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'consumer')
  const { known, extra } = splitExtra(body, ['description', 'secret'])
  delete known.secret
  return {
    consumer: consumerView(req, await d.extras.updateConsumer(params(req).id!, { ...known, extra })),
  }
}

/** DELETE /v3/OS-OAUTH1/consumers/:id */
export const deleteConsumer: Handler = async (req, reply, d) => {
  await d.extras.deleteConsumer(params(req).id!)
  return noContent(reply)
}

// Trusts

/** GET /v3/OS-TRUST/trusts */
export const listTrusts: Handler = async (req, _reply, d) => {
  const q = query(req)
  const trustor = qs(q, 'trustor_user_id')
  const trustee = qs(q, 'trustee_user_id')
  if (trustor) can(req, 'identity:list_trusts_for_trustor', { trust: { trustor_user_id: trustor } })
  if (trustee) can(req, 'identity:list_trusts_for_trustee', { trust: { trustee_user_id: trustee } })
  if (!trustor && !trustee) can(req, 'identity:list_trusts', {})
  const list = await d.trusts.list({ trustor_user_id: trustor, trustee_user_id: trustee }, trustCaller(req))
  return collection(
    req,
    'trusts',
    list.map((t) => trustView(req, t)),
  )
}

/** POST /v3/OS-TRUST/trusts */
export const createTrust: Handler = async (req, reply, d) => {
  const body = bodyOf<TrustInput>(req, 'trust')
  can(req, 'identity:create_trust', { trust: body })
  const t = await d.trusts.create(body, trustCaller(req))
  return reply.code(201).send({ trust: trustView(req, t) })
}

/** GET /v3/OS-TRUST/trusts/:id */
export const getTrust: Handler = async (req, _reply, d) => {
  const t = await d.trusts.get(params(req).id!, trustCaller(req))
  can(req, 'identity:get_trust', { trust: t })
  return { trust: trustView(req, t) }
}

/** DELETE /v3/OS-TRUST/trusts/:id */
export const deleteTrust: Handler = async (req, reply, d) => {
  const t = await d.trusts.get(params(req).id!, trustCaller(req))
  can(req, 'identity:delete_trust', { trust: t })
  await d.trusts.delete(t.id)
  return noContent(reply)
}

/** GET /v3/OS-TRUST/trusts/:id/roles */
export const listRolesForTrust: Handler = async (req, _reply, d) => {
  const t = await d.trusts.get(params(req).id!, trustCaller(req))
  can(req, 'identity:list_roles_for_trust', { trust: t })
  return collection(
    req,
    'roles',
    t.roles.map((x) => roleView(req, x)),
  )
}

/** GET /v3/OS-TRUST/trusts/:id/roles/:role */
export const getRoleForTrust: Handler = async (req, reply, d) => {
  const { id, role } = params(req)
  const t = await d.trusts.get(id!, trustCaller(req))
  can(req, 'identity:get_role_for_trust', { trust: t })
  const found = await d.trusts.getRole(id!, role!)
  if (req.method === 'HEAD') return reply.code(200).send()
  return { role: roleView(req, found) }
}

// Domain configuration

/** GET /v3/domains/config/default */
export const getDomainConfigDefault: Handler = async (_req, _reply, d) => {
  return { config: d.domainConfigs.defaults() }
}

/** GET /v3/domains/config/:group/default */
export const getDomainConfigGroupDefault: Handler = async (req, _reply, d) => {
  return { config: d.domainConfigs.defaults(params(req).group) }
}

/** GET /v3/domains/config/:group/:option/default */
export const getDomainConfigOptionDefault: Handler = async (req, _reply, d) => {
  const { group, option } = params(req)
  return { config: d.domainConfigs.defaults(group, option) }
}

/** PUT /v3/domains/:id/config */
export const createDomainConfig: Handler = async (req, reply, d) => {
  const body = bodyOf<ConfigDoc>(req, 'config')
  const { created, config } = await d.domainConfigs.replace(params(req).id!, body)
  return reply.code(created ? 201 : 200).send({ config })
}

/** GET /v3/domains/:id/config */
export const getDomainConfig: Handler = async (req, _reply, d) => {
  return { config: await d.domainConfigs.get(params(req).id!) }
}

/** PATCH /v3/domains/:id/config */
export const updateDomainConfig: Handler = async (req, _reply, d) => {
  const body = bodyOf<ConfigDoc>(req, 'config')
  return { config: await d.domainConfigs.update(params(req).id!, body) }
}

/** DELETE /v3/domains/:id/config */
export const deleteDomainConfig: Handler = async (req, reply, d) => {
  await d.domainConfigs.delete(params(req).id!)
  return noContent(reply)
}

const COMPLIANCE_OPTIONS = ['password_regex', 'password_regex_description'] as const

/**
 * GET /v3/domains/:id/config/security_compliance(/:option): the password rules of
 * `[security_compliance]` (the configuration file's, not a domain's), readable by any
 * token, for the default domain only, as upstream.
 */
export const getSecurityCompliance: Handler = async (req, _reply, d) => {
  const { id, option } = params(req)
  if (id !== d.config.identity.default_domain_id)
    throw new ActionForbidden(
      'Invalid domain specific configuration: Reading security compliance information for any domain other than the default domain is not allowed or supported.',
    )
  const sc = d.config.security_compliance
  const values = {
    password_regex: sc.password_regex ?? null,
    password_regex_description: sc.password_regex_description ?? null,
  }
  if (option === undefined) return { config: { security_compliance: values } }
  if (!COMPLIANCE_OPTIONS.includes(option as never))
    throw new ActionForbidden(
      'Invalid domain specific configuration: Reading security compliance values other than password_regex and password_regex_description is not allowed.',
    )
  return { config: { [option]: values[option as (typeof COMPLIANCE_OPTIONS)[number]] } }
}

/** GET /v3/domains/:id/config/:group */
export const getDomainConfigGroup: Handler = async (req, _reply, d) => {
  const { id, group } = params(req)
  return { config: await d.domainConfigs.get(id!, group) }
}

/** PATCH /v3/domains/:id/config/:group */
export const updateDomainConfigGroup: Handler = async (req, _reply, d) => {
  const { id, group } = params(req)
  const body = bodyOf<ConfigDoc>(req, 'config')
  return { config: await d.domainConfigs.update(id!, body, group) }
}

/** DELETE /v3/domains/:id/config/:group */
export const deleteDomainConfigGroup: Handler = async (req, reply, d) => {
  const { id, group } = params(req)
  await d.domainConfigs.delete(id!, group)
  return noContent(reply)
}

/** GET /v3/domains/:id/config/:group/:option */
export const getDomainConfigOption: Handler = async (req, _reply, d) => {
  const { id, group, option } = params(req)
  return { config: await d.domainConfigs.get(id!, group, option) }
}

/** PATCH /v3/domains/:id/config/:group/:option */
export const updateDomainConfigOption: Handler = async (req, _reply, d) => {
  const { id, group, option } = params(req)
  const body = bodyOf<Record<string, unknown>>(req, 'config')
  return { config: await d.domainConfigs.update(id!, { [group!]: body }, group, option) }
}

/** DELETE /v3/domains/:id/config/:group/:option */
export const deleteDomainConfigOption: Handler = async (req, reply, d) => {
  const { id, group, option } = params(req)
  await d.domainConfigs.delete(id!, group, option)
  return noContent(reply)
}
