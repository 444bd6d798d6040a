/** /v2/images/{id}/members and /v2/images/{id}/members/{member_id}. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HandlerDeps } from './deps.js'
import { memberView } from './views.js'

type Params = { Params: { image_id: string; member_id: string } }

export const memberHandlers = (d: HandlerDeps) => ({
  async create(req: FastifyRequest<Params>) {
    return memberView(await d.catalog.addMember(req.ctx, req.params.image_id, req.body))
  },
  async list(req: FastifyRequest<Params>) {
    const members = await d.catalog.listMembers(req.ctx, req.params.image_id)
    return { members: members.map(memberView), schema: '/v2/schemas/members' }
  },
  async show(req: FastifyRequest<Params>) {
    return memberView(await d.catalog.showMember(req.ctx, req.params.image_id, req.params.member_id))
  },
  async update(req: FastifyRequest<Params>) {
    return memberView(
      await d.catalog.updateMember(req.ctx, req.params.image_id, req.params.member_id, req.body),
    )
  },
  async delete(req: FastifyRequest<Params>, reply: FastifyReply) {
    await d.catalog.deleteMember(req.ctx, req.params.image_id, req.params.member_id)
    reply.code(204).send()
  },
})
