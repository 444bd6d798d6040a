/**
 * OS-ENDPOINT-POLICY: associate a policy blob with an endpoint, a service, or a service
 * in a region (PUT / GET check / DELETE, each 204), the endpoints a policy reaches, and
 * the policy an endpoint uses.
 */
import type { FastifyRequest } from 'fastify'
import type { AssociationTarget } from '../domain/endpoint-policy.js'
import { endpointView } from './catalog.js'
import { collection, noContent, params, selfLink } from './common.js'
import type { Handler } from './deps.js'

const targetOf = (req: FastifyRequest): AssociationTarget => {
  const p = params(req)
  return { endpointId: p.endpoint, serviceId: p.service, regionId: p.region }
}

/** PUT /v3/policies/:id/OS-ENDPOINT-POLICY/{endpoints/:endpoint | services/:service(/regions/:region)} */
export const associate: Handler = async (req, reply, d) => {
  await d.endpointPolicies.associate(params(req).id, targetOf(req))
  return noContent(reply)
}

/** GET|HEAD: 204 when associated. */
export const checkAssociation: Handler = async (req, reply, d) => {
  await d.endpointPolicies.check(params(req).id, targetOf(req))
  return noContent(reply)
}

/** DELETE */
export const dissociate: Handler = async (req, reply, d) => {
  await d.endpointPolicies.dissociate(params(req).id, targetOf(req))
  return noContent(reply)
}

/** GET /v3/policies/:id/OS-ENDPOINT-POLICY/endpoints */
export const listEndpointsForPolicy: Handler = async (req, _reply, d) => {
  const list = await d.endpointPolicies.endpointsFor(params(req).id)
  return collection(
    req,
    'endpoints',
    list.map((e) => endpointView(req, e)),
  )
}

/** GET /v3/endpoints/:id/OS-ENDPOINT-POLICY/policy */
export const getPolicyForEndpoint: Handler = async (req, _reply, d) => {
  const p = await d.endpointPolicies.policyFor(params(req).id)
  return {
    policy: { ...p.extra, id: p.id, type: p.type, blob: p.blob, links: selfLink(req, `policies/${p.id}`) },
  }
}
