/**
 * /v3/credentials, /v3/users/{id}/credentials/OS-EC2, /v3/users/{id}/application_credentials
 * and /v3/users/{id}/access_rules.
 */
import type { FastifyRequest } from 'fastify'
import type { ApplicationCredential, ApplicationCredentialInput } from '../domain/application-credentials.js'
import { naiveTime, parseTimeMicro } from '../domain/common.js'
import type { Credential, Ec2Credential } from '../domain/credentials.js'
import type { IdentityDomain } from '../resources.js'
import { appCredCreate, credentialCreate, credentialUpdate, ec2Create } from '../schemas/credentials.js'
import { validateBody, validateValue } from '../schemas/validate.js'
import { allows, can, collection, noContent, params, qs, query, type Router, selfLink } from './common.js'

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

export function registerCredentialRoutes(r: Router, d: IdentityDomain): void {
  r.get('/v3/credentials', async (req) => {
    const q = query(req)
    const who = req.ctx.who
    // NOTE: readers that are not admins see only their own credentials (Keystone filters).
    const isAdminish = allows(req, 'identity:list_credentials', { credential: { user_id: '' } })
    const userId = isAdminish ? qs(q, 'user_id') : who.user_id
    can(req, 'identity:list_credentials', { credential: { user_id: userId } })
    const list = await d.credentials.list({ user_id: userId, type: qs(q, 'type') })
    return collection(
      req,
      'credentials',
      list.map((c) => credentialView(req, c)),
    )
  })
  r.post('/v3/credentials', async (req, reply) => {
    const body = validateBody<{ user_id: string; type: string; blob: string; project_id?: string | null }>(
      req.body,
      'credential',
      credentialCreate,
    )
    can(req, 'identity:create_credential', { credential: body })
    const c = await d.credentials.create(body)
    return reply.code(201).send({ credential: credentialView(req, c) })
  })
  r.get('/v3/credentials/:id', async (req) => {
    const c = await d.credentials.get(params(req).id!)
    can(req, 'identity:get_credential', { credential: c })
    return { credential: credentialView(req, c) }
  })
  r.patch('/v3/credentials/:id', async (req) => {
    const body = validateBody(req.body, 'credential', credentialUpdate)
    const c = await d.credentials.get(params(req).id!)
    can(req, 'identity:update_credential', { credential: c })
    return { credential: credentialView(req, await d.credentials.update(c.id, body)) }
  })
  r.delete('/v3/credentials/:id', async (req, reply) => {
    const c = await d.credentials.get(params(req).id!)
    can(req, 'identity:delete_credential', { credential: c })
    await d.credentials.delete(c.id)
    return noContent(reply)
  })

  // OS-EC2
  const EC2 = '/v3/users/:user/credentials/OS-EC2'
  r.get(EC2, async (req) => {
    const { user } = params(req)
    can(req, 'identity:ec2_list_credentials', { user_id: user, credential: { user_id: user } })
    const list = await d.credentials.listEc2(user!)
    return collection(
      req,
      'credentials',
      list.map((c) => ec2View(req, c)),
    )
  })
  r.post(EC2, async (req, reply) => {
    const { user } = params(req)
    const body = validateValue<{ tenant_id: string }>(req.body, ec2Create)
    can(req, 'identity:ec2_create_credential', { user_id: user, credential: { user_id: user } })
    const c = await d.credentials.createEc2(user!, body.tenant_id)
    return reply.code(201).send({ credential: ec2View(req, c) })
  })
  r.get(`${EC2}/:access`, async (req) => {
    const { user, access } = params(req)
    can(req, 'identity:ec2_get_credential', { user_id: user, credential: { user_id: user } })
    return { credential: ec2View(req, await d.credentials.getEc2(user!, access!)) }
  })
  r.delete(`${EC2}/:access`, async (req, reply) => {
    const { user, access } = params(req)
    can(req, 'identity:ec2_delete_credential', { user_id: user, credential: { user_id: user } })
    await d.credentials.deleteEc2(user!, access!)
    return noContent(reply)
  })

  // Application credentials
  const AC = '/v3/users/:user/application_credentials'
  r.get(AC, async (req) => {
    const { user } = params(req)
    can(req, 'identity:list_application_credentials', { user: { id: user } })
    const list = await d.appCreds.list(user!, { name: qs(query(req), 'name') })
    return collection(
      req,
      'application_credentials',
      list.map((a) => appCredView(req, a)),
    )
  })
  r.post(AC, async (req, reply) => {
    const { user } = params(req)
    const body = validateBody<ApplicationCredentialInput>(req.body, 'application_credential', appCredCreate)
    can(req, 'identity:create_application_credential', { user_id: user })
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
  })
  r.get(`${AC}/:id`, async (req) => {
    const { user, id } = params(req)
    const a = await d.appCreds.get(user!, id!)
    can(req, 'identity:get_application_credential', { application_credential: a })
    return { application_credential: appCredView(req, a) }
  })
  r.delete(`${AC}/:id`, async (req, reply) => {
    const { user, id } = params(req)
    const a = await d.appCreds.get(user!, id!)
    can(req, 'identity:delete_application_credential', { application_credential: a })
    await d.appCreds.delete(user!, id!)
    return noContent(reply)
  })

  // Access rules
  const AR = '/v3/users/:user/access_rules'
  r.get(AR, async (req) => {
    const { user } = params(req)
    can(req, 'identity:list_access_rules', { user: { id: user } })
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
  })
  r.get(`${AR}/:id`, async (req) => {
    const { user, id } = params(req)
    can(req, 'identity:get_access_rule', { user: { id: user } })
    const x = await d.appCreds.getAccessRule(user!, id!)
    return { access_rule: { ...x, links: selfLink(req, `users/${user}/access_rules/${x.id}`) } }
  })
  r.delete(`${AR}/:id`, async (req, reply) => {
    const { user, id } = params(req)
    can(req, 'identity:delete_access_rule', { user: { id: user } })
    await d.appCreds.deleteAccessRule(user!, id!)
    return noContent(reply)
  })
}
