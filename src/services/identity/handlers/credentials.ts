/**
 * /v3/credentials, /v3/users/{id}/credentials/OS-EC2, /v3/users/{id}/application_credentials
 * and /v3/users/{id}/access_rules.
 */
import type { FastifyRequest } from 'fastify'
import type { ApplicationCredential, ApplicationCredentialInput } from '../domain/application-credentials.js'
import { naiveTime, parseTimeMicro } from '../domain/common.js'
import type { Credential, Ec2Credential } from '../domain/credentials.js'
import { allows, bodyOf, can, collection, noContent, params, qs, query, selfLink } from './common.js'
import type { Handler } from './deps.js'

const credentialView = (req: FastifyRequest, c: Credential) => ({
  ...c.extra,
  id: c.id,
  user_id: c.user_id,
  project_id: c.project_id,
  type: c.type,
  blob: c.blob,
  links: selfLink(req, `credentials/${c.id}`),
})
const ec2View = (req: FastifyRequest, c: Ec2Credential) => ({
  ...c,
  links: selfLink(req, `users/${c.user_id}/credentials/OS-EC2/${c.access}`),
})
const appCredView = (req: FastifyRequest, a: ApplicationCredential) => ({
  id: a.id,
  name: a.name,
  description: a.description,
  user_id: a.user_id,
  project_id: a.project_id,
  expires_at: naiveTime(a.expires_at),
  unrestricted: a.unrestricted,
  roles: a.roles,
  access_rules: a.access_rules,
  ...(a.secret !== undefined ? { secret: a.secret } : {}),
  links: selfLink(req, `users/${a.user_id}/application_credentials/${a.id}`),
})

/** GET /v3/credentials */
export const listCredentials: Handler = async (req, _reply, d) => {
  const q = query(req)
  can(req, 'identity:list_credentials', { credential: { user_id: req.ctx.who.user_id } })
  const list = await d.credentials.list({ user_id: qs(q, 'user_id'), type: qs(q, 'type') })
  // NOTE: as Keystone, the filters select and get_credential decides, credential by
  // credential: a user asking for someone else's gets an empty list, never their own.
  return collection(
    req,
    'credentials',
    list
      .filter((c) => allows(req, 'identity:get_credential', { credential: c }))
      .map((c) => credentialView(req, c)),
  )
}

/** POST /v3/credentials */
export const createCredential: Handler = async (req, reply, d) => {
  const body = bodyOf<{ user_id: string; type: string; blob: string; project_id?: string | null }>(
    req,
    'credential',
  )
  can(req, 'identity:create_credential', { credential: body })
  const c = await d.credentials.create(body)
  return reply.code(201).send({ credential: credentialView(req, c) })
}

/** GET /v3/credentials/:id */
export const getCredential: Handler = async (req, _reply, d) => {
  const c = await d.credentials.get(params(req).id!)
  can(req, 'identity:get_credential', { credential: c })
  return { credential: credentialView(req, c) }
}

/** PATCH /v3/credentials/:id */
export const updateCredential: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'credential')
  const c = await d.credentials.get(params(req).id!)
  can(req, 'identity:update_credential', { credential: c })
  return { credential: credentialView(req, await d.credentials.update(c.id, body)) }
}

/** DELETE /v3/credentials/:id */
export const deleteCredential: Handler = async (req, reply, d) => {
  const c = await d.credentials.get(params(req).id!)
  can(req, 'identity:delete_credential', { credential: c })
  await d.credentials.delete(c.id)
  return noContent(reply)
}

// OS-EC2

/** GET /v3/users/:user/credentials/OS-EC2 */
export const ec2ListCredentials: Handler = async (req, _reply, d) => {
  const { user } = params(req)
  const list = await d.credentials.listEc2(user!)
  return collection(
    req,
    'credentials',
    list.map((c) => ec2View(req, c)),
  )
}

/** POST /v3/users/:user/credentials/OS-EC2 */
export const ec2CreateCredential: Handler = async (req, reply, d) => {
  const { user } = params(req)
  const body = req.body as { tenant_id: string }
  const c = await d.credentials.createEc2(user!, body.tenant_id)
  return reply.code(201).send({ credential: ec2View(req, c) })
}

/** GET /v3/users/:user/credentials/OS-EC2/:access */
export const ec2GetCredential: Handler = async (req, _reply, d) => {
  const { user, access } = params(req)
  // As Keystone: the access key is looked up first (404), the policy sees its owner,
  // whatever user the path names.
  const cred = await d.credentials.getEc2(access!)
  can(req, 'identity:ec2_get_credential', { user_id: user, credential: { user_id: cred.user_id } })
  return { credential: ec2View(req, cred) }
}

/** DELETE /v3/users/:user/credentials/OS-EC2/:access */
export const ec2DeleteCredential: Handler = async (req, reply, d) => {
  const { user, access } = params(req)
  const cred = await d.credentials.getEc2(access!)
  can(req, 'identity:ec2_delete_credential', { user_id: user, credential: { user_id: cred.user_id } })
  await d.credentials.deleteEc2(access!)
  return noContent(reply)
}

// Application credentials

/** GET /v3/users/:user/application_credentials */
export const listApplicationCredentials: Handler = async (req, _reply, d) => {
  const { user } = params(req)
  const list = await d.appCreds.list(user!, { name: qs(query(req), 'name') })
  return collection(
    req,
    'application_credentials',
    list.map((a) => appCredView(req, a)),
  )
}

/** POST /v3/users/:user/application_credentials */
export const createApplicationCredential: Handler = async (req, reply, d) => {
  const { user } = params(req)
  const body = bodyOf<ApplicationCredentialInput>(req, 'application_credential')
  const who = req.ctx.who
  const input = {
    ...body,
    expires_at: body.expires_at ? parseTimeMicro(body.expires_at, 'expires_at') : null,
  }
  const a = await d.appCreds.create(
    user!,
    {
      project_id: who.project_id,
      role_ids: who.role_ids ?? [],
      application_credential_id: who.application_credential_id,
    },
    input,
  )
  return reply.code(201).send({ application_credential: appCredView(req, a) })
}

/**
 * The policy target of one application credential, as Keystone builds it: its owner
 * (whatever user the path names, so another user's credential under one's own id is
 * 403), or the path's user when there is no such credential (one's own missing
 * credential is 404, another user's 403).
 */
async function appCredTarget(d: Parameters<Handler>[2], user: string, id: string) {
  const owner = (await d.appCreds.ownerOf(id)) ?? user
  return { user_id: owner, application_credential: { user_id: owner } }
}

/** GET /v3/users/:user/application_credentials/:id */
export const getApplicationCredential: Handler = async (req, _reply, d) => {
  const { user, id } = params(req)
  can(req, 'identity:get_application_credential', await appCredTarget(d, user!, id!))
  const a = await d.appCreds.get(user!, id!)
  return { application_credential: appCredView(req, a) }
}

/** DELETE /v3/users/:user/application_credentials/:id */
export const deleteApplicationCredential: Handler = async (req, reply, d) => {
  const { user, id } = params(req)
  can(req, 'identity:delete_application_credential', await appCredTarget(d, user!, id!))
  await d.appCreds.delete(user!, id!)
  return noContent(reply)
}

// Access rules

/** GET /v3/users/:user/access_rules */
export const listAccessRules: Handler = async (req, _reply, d) => {
  const { user } = params(req)
  const q = query(req)
  const list = await d.appCreds.listAccessRules(user!, {
    service: qs(q, 'service'),
    path: qs(q, 'path'),
    method: qs(q, 'method'),
  })
  return collection(
    req,
    'access_rules',
    list.map((x) => ({ ...x, links: selfLink(req, `users/${user}/access_rules/${x.id}`) })),
  )
}

/** GET /v3/users/:user/access_rules/:id */
export const getAccessRule: Handler = async (req, _reply, d) => {
  const { user, id } = params(req)
  const x = await d.appCreds.getAccessRule(user!, id!)
  return { access_rule: { ...x, links: selfLink(req, `users/${user}/access_rules/${x.id}`) } }
}

/** DELETE /v3/users/:user/access_rules/:id */
export const deleteAccessRule: Handler = async (req, reply, d) => {
  const { user, id } = params(req)
  await d.appCreds.deleteAccessRule(user!, id!)
  return noContent(reply)
}
