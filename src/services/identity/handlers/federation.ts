/**
 * OS-FEDERATION: identity providers, their protocols, mappings, service providers, and
 * the federated login (`/v3/OS-FEDERATION/identity_providers/{idp}/protocols/{p}/auth`).
 *
 * Asserted attributes reach Cloudlet as request headers set by a trusted front proxy
 * (the OIDC or SAML middleware that authenticated the user): from a peer listed in
 * `[federation] trusted_proxy_addresses`, each header `<assertion_header_prefix><name>`
 * is the attribute `<name>`, as Keystone reads them from the web server's environment.
 * From any other peer nothing is asserted, and the login fails with 401.
 */
import type { FastifyRequest } from 'fastify'
import type { AssertedAttributes } from '../domain/auth-federation.js'
import type { IdentityResourcesConfig } from '../domain/config.js'
import type { IdentityProvider, Mapping, Protocol, ServiceProvider } from '../domain/federation.js'
import { tokenBody } from './auth-tokens.js'
import { bodyOf, collection, noContent, params, qb, qs, query, selfLink } from './common.js'
import type { Handler } from './deps.js'

const F = 'OS-FEDERATION'

const idpView = (req: FastifyRequest, i: IdentityProvider) => {
  const self = selfLink(req, `${F}/identity_providers/${i.id}`).self
  return {
    id: i.id,
    enabled: i.enabled,
    description: i.description,
    domain_id: i.domain_id,
    authorization_ttl: i.authorization_ttl,
    remote_ids: i.remote_ids,
    links: { self, protocols: `${self}/protocols` },
  }
}
const protocolView = (req: FastifyRequest, p: Protocol) => ({
  id: p.id,
  mapping_id: p.mapping_id,
  remote_id_attribute: p.remote_id_attribute,
  links: {
    self: selfLink(req, `${F}/identity_providers/${p.idp_id}/protocols/${p.id}`).self,
    identity_provider: selfLink(req, `${F}/identity_providers/${p.idp_id}`).self,
  },
})
const mappingView = (req: FastifyRequest, m: Mapping) => ({
  id: m.id,
  rules: m.rules,
  schema_version: m.schema_version,
  links: selfLink(req, `${F}/mappings/${m.id}`),
})
const spView = (req: FastifyRequest, s: ServiceProvider) => ({
  id: s.id,
  enabled: s.enabled,
  description: s.description,
  auth_url: s.auth_url,
  sp_url: s.sp_url,
  relay_state_prefix: s.relay_state_prefix,
  links: selfLink(req, `${F}/service_providers/${s.id}`),
})

const listFilters = (req: FastifyRequest) => ({
  id: qs(query(req), 'id'),
  enabled: qb(query(req), 'enabled'),
})

// Identity providers

/** GET /v3/OS-FEDERATION/identity_providers */
export const listIdps: Handler = async (req, _reply, d) => {
  const list = await d.federation.listIdps(listFilters(req))
  return collection(
    req,
    'identity_providers',
    list.map((i) => idpView(req, i)),
  )
}

/** GET /v3/OS-FEDERATION/identity_providers/:idp */
export const getIdp: Handler = async (req, _reply, d) => {
  return { identity_provider: idpView(req, await d.federation.getIdp(params(req).idp)) }
}

/** PUT /v3/OS-FEDERATION/identity_providers/:idp */
export const createIdp: Handler = async (req, reply, d) => {
  const i = await d.federation.createIdp(params(req).idp, bodyOf(req, 'identity_provider'))
  return reply.code(201).send({ identity_provider: idpView(req, i) })
}

/** PATCH /v3/OS-FEDERATION/identity_providers/:idp */
export const updateIdp: Handler = async (req, _reply, d) => {
  const i = await d.federation.updateIdp(params(req).idp, bodyOf(req, 'identity_provider'))
  return { identity_provider: idpView(req, i) }
}

/** DELETE /v3/OS-FEDERATION/identity_providers/:idp */
export const deleteIdp: Handler = async (req, reply, d) => {
  await d.federation.deleteIdp(params(req).idp)
  return noContent(reply)
}

// Protocols

/** GET /v3/OS-FEDERATION/identity_providers/:idp/protocols */
export const listProtocols: Handler = async (req, _reply, d) => {
  const list = await d.federation.listProtocols(params(req).idp)
  return collection(
    req,
    'protocols',
    list.map((p) => protocolView(req, p)),
  )
}

/** GET /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol */
export const getProtocol: Handler = async (req, _reply, d) => {
  const { idp, protocol } = params(req)
  return { protocol: protocolView(req, await d.federation.getProtocol(idp, protocol)) }
}

/** PUT /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol */
export const createProtocol: Handler = async (req, reply, d) => {
  const { idp, protocol } = params(req)
  const p = await d.federation.createProtocol(idp, protocol, bodyOf(req, 'protocol'))
  return reply.code(201).send({ protocol: protocolView(req, p) })
}

/** PATCH /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol */
export const updateProtocol: Handler = async (req, _reply, d) => {
  const { idp, protocol } = params(req)
  return {
    protocol: protocolView(req, await d.federation.updateProtocol(idp, protocol, bodyOf(req, 'protocol'))),
  }
}

/** DELETE /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol */
export const deleteProtocol: Handler = async (req, reply, d) => {
  const { idp, protocol } = params(req)
  await d.federation.deleteProtocol(idp, protocol)
  return noContent(reply)
}

// Mappings

/** GET /v3/OS-FEDERATION/mappings */
export const listMappings: Handler = async (req, _reply, d) => {
  const list = await d.federation.listMappings()
  return collection(
    req,
    'mappings',
    list.map((m) => mappingView(req, m)),
  )
}

/** GET /v3/OS-FEDERATION/mappings/:id */
export const getMapping: Handler = async (req, _reply, d) => {
  return { mapping: mappingView(req, await d.federation.getMapping(params(req).id)) }
}

/** PUT /v3/OS-FEDERATION/mappings/:id */
export const createMapping: Handler = async (req, reply, d) => {
  const m = await d.federation.createMapping(params(req).id, bodyOf(req, 'mapping'))
  return reply.code(201).send({ mapping: mappingView(req, m) })
}

/** PATCH /v3/OS-FEDERATION/mappings/:id */
export const updateMapping: Handler = async (req, _reply, d) => {
  return {
    mapping: mappingView(req, await d.federation.updateMapping(params(req).id, bodyOf(req, 'mapping'))),
  }
}

/** DELETE /v3/OS-FEDERATION/mappings/:id */
export const deleteMapping: Handler = async (req, reply, d) => {
  await d.federation.deleteMapping(params(req).id)
  return noContent(reply)
}

// Service providers

/** GET /v3/OS-FEDERATION/service_providers */
export const listSps: Handler = async (req, _reply, d) => {
  const list = await d.federation.listSps(listFilters(req))
  return collection(
    req,
    'service_providers',
    list.map((s) => spView(req, s)),
  )
}

/** GET /v3/OS-FEDERATION/service_providers/:id */
export const getSp: Handler = async (req, _reply, d) => {
  return { service_provider: spView(req, await d.federation.getSp(params(req).id)) }
}

/** PUT /v3/OS-FEDERATION/service_providers/:id */
export const createSp: Handler = async (req, reply, d) => {
  const s = await d.federation.createSp(params(req).id, bodyOf(req, 'service_provider'))
  return reply.code(201).send({ service_provider: spView(req, s) })
}

/** PATCH /v3/OS-FEDERATION/service_providers/:id */
export const updateSp: Handler = async (req, _reply, d) => {
  const s = await d.federation.updateSp(params(req).id, bodyOf(req, 'service_provider'))
  return { service_provider: spView(req, s) }
}

/** DELETE /v3/OS-FEDERATION/service_providers/:id */
export const deleteSp: Handler = async (req, reply, d) => {
  await d.federation.deleteSp(params(req).id)
  return noContent(reply)
}

// Federated login

/** The peer's address, without the IPv4-mapped IPv6 prefix. */
function peerAddress(req: FastifyRequest): string {
  const a = req.socket?.remoteAddress ?? req.ip ?? ''
  return a.startsWith('::ffff:') ? a.slice(7) : a
}

/**
 * The attributes a trusted front proxy asserted; undefined when the peer is not one.
 * Header names keep the case the proxy sent (mapping rules name attributes exactly).
 */
export function assertionOf(
  req: FastifyRequest,
  config: IdentityResourcesConfig,
): AssertedAttributes | undefined {
  // NOTE: an auth half run without the resource half's configuration trusts no proxy.
  const fed = config?.federation
  if (!fed?.trusted_proxy_addresses.includes(peerAddress(req))) return undefined
  const prefix = fed.assertion_header_prefix.toLowerCase()
  const out: AssertedAttributes = {}
  const raw = req.raw.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (!name.toLowerCase().startsWith(prefix) || name.length === prefix.length) continue
    const attr = name.slice(prefix.length)
    out[attr] = attr in out ? `${out[attr]};${raw[i + 1]}` : raw[i + 1]!
  }
  return out
}

/** GET|POST /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/auth: an unscoped federated token. */
export const federatedAuth: Handler = async (req, reply, d) => {
  const { idp, protocol } = params(req)
  const token = await d.auth.authenticator.authenticate(
    { identity: { methods: ['mapped'], mapped: { identity_provider: idp, protocol } } },
    { assertion: assertionOf(req, d.config) },
  )
  reply.code(201).header('x-subject-token', token.id)
  return tokenBody(d, token, req)
}
