/**
 * QoS: the policies are a standard collection; their rules are sub-collections per type
 * (`/qos/policies/<id>/bandwidth_limit_rules/<rule_id>`), and the rule types a list.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ruleAttrs, ruleTypeDetails, ruleTypes } from '../domain/qos.js'
import { parseListQuery, pickFields } from '../domain/query.js'
import { policyNotAuthorized } from '../errors.js'
import type { QosRuleType } from '../schemas/attributes.js'
import { caller, collection, fieldsOf, type NetworkDeps, params, query } from './common.js'

export const policies = collection((d) => d.qosPolicies, 'qos/policies')

/** The handlers of one rule type's sub-collection. */
export function rules(type: QosRuleType) {
  const one = `${type}_rule`
  return {
    async list(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
      const q = parseListQuery(query(req), ruleAttrs(type))
      const page = await deps.qosPolicies.listRules(caller(req), params(req).id!, type, q)
      return { [`${one}s`]: page.items.map((i) => pickFields(i, q.fields)) }
    },
    async show(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
      const rule = await deps.qosPolicies.showRule(caller(req), params(req).id!, type, params(req).rule_id!)
      return { [one]: pickFields(rule, fieldsOf(req)) }
    },
    async create(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      const rule = await deps.qosPolicies.createRule(caller(req), params(req).id!, type, req.body)
      return reply.code(201).send({ [one]: rule })
    },
    async update(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
      const p = params(req)
      return { [one]: await deps.qosPolicies.updateRule(caller(req), p.id!, type, p.rule_id!, req.body) }
    },
    async delete(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      await deps.qosPolicies.deleteRule(caller(req), params(req).id!, type, params(req).rule_id!)
      return reply.code(204).send()
    },
  }
}

export async function listRuleTypes(req: FastifyRequest) {
  caller(req).can('get_rule_type', {})
  return { rule_types: ruleTypes() }
}

export async function showRuleType(req: FastifyRequest) {
  const c = caller(req)
  c.can('get_rule_type', {})
  // The drivers behind a rule type are for admins, as upstream's.
  if (!c.isAdmin) throw policyNotAuthorized('get_rule_type')
  return { rule_type: ruleTypeDetails(params(req).type!) }
}
