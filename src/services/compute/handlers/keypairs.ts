/**
 * Keypair handlers. The caller acts on their own key pairs; from 2.10 an admin names
 * another user with `user_id` (body on create, query otherwise). Status codes and fields
 * follow the version: 201/204 and `type` from 2.2, paging from 2.35, import only from 2.92.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { novaTime } from '../domain/caller.js'
import type { KeypairType } from '../domain/keypairs.js'
import { KEYPAIR } from '../policies/index.js'
import { LIST_V235, LIST_V275, QUERY_V21, QUERY_V210, QUERY_V275 } from '../schemas/keypairs.js'
import type { KeypairRow } from '../storage/keypair.repo.js'
import { bodyOf, type ComputeDeps, nextLink, pagingOf, params, queryOf } from './common.js'

/** The user a request acts for, after the policy allowed it. */
function actingUser(req: FastifyRequest, rule: string, requested: string | undefined): string {
  const userId = requested ?? req.ctx.who.user_id
  req.ctx.can(rule, { user_id: userId })
  return userId
}

function userQuery(req: FastifyRequest): string | undefined {
  const schema = req.version.gte('2.75') ? QUERY_V275 : req.version.gte('2.10') ? QUERY_V210 : QUERY_V21
  const q = queryOf(req, schema)
  return req.version.gte('2.10') ? q.user_id : undefined
}

const withType = (req: FastifyRequest, k: KeypairRow) => (req.version.gte('2.2') ? { type: k.type } : {})

export async function createKeypair(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const k = bodyOf(req).keypair
  const userId = actingUser(req, KEYPAIR.CREATE, req.version.gte('2.10') ? k.user_id : undefined)
  const created = await deps.keypairs.create({
    name: k.name,
    type: (k.type ?? 'ssh') as KeypairType,
    ...(k.public_key === undefined ? {} : { publicKey: k.public_key }),
    userId,
    projectId: req.ctx.who.project_id ?? '',
  })
  reply.code(req.version.gte('2.2') ? 201 : 200)
  return {
    keypair: {
      ...(created.private_key === undefined ? {} : { private_key: created.private_key }),
      ...withType(req, created),
      name: created.name,
      public_key: created.public_key,
      fingerprint: created.fingerprint,
      user_id: created.user_id,
    },
  }
}

export async function listKeypairs(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  let requested: string | undefined
  let paging = {}
  if (req.version.gte('2.35')) {
    const q = queryOf(req, req.version.gte('2.75') ? LIST_V275 : LIST_V235)
    requested = q.user_id
    paging = pagingOf(q)
  } else {
    requested = userQuery(req)
  }
  const userId = actingUser(req, KEYPAIR.INDEX, requested)
  const page = await deps.keypairs.list(userId, paging)
  return {
    keypairs: page.items.map((k) => ({
      keypair: { name: k.name, public_key: k.public_key, fingerprint: k.fingerprint, ...withType(req, k) },
    })),
    ...(page.next && req.version.gte('2.35')
      ? { keypairs_links: nextLink(req, deps, 'os-keypairs', page.next) }
      : {}),
  }
}

export async function showKeypair(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const userId = actingUser(req, KEYPAIR.SHOW, userQuery(req))
  const k = await deps.keypairs.get(userId, params(req).keypair_name!)
  return {
    keypair: {
      name: k.name,
      public_key: k.public_key,
      fingerprint: k.fingerprint,
      user_id: k.user_id,
      created_at: novaTime(k.created_at),
      deleted: false,
      deleted_at: null,
      id: k.id,
      updated_at: novaTime(k.updated_at),
      ...withType(req, k),
    },
  }
}

export async function deleteKeypair(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const userId = actingUser(req, KEYPAIR.DELETE, userQuery(req))
  await deps.keypairs.delete(userId, params(req).keypair_name!)
  return reply.code(req.version.gte('2.2') ? 204 : 202).send()
}
