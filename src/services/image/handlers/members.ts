/** /v2/images/{id}/members and /v2/images/{id}/members/{member_id}. */
import { type Handler, params } from './deps.js'
import { memberView } from './views.js'

export const create: Handler = async (req, _reply, d) => {
  const { member } = req.body as { member: string }
  return memberView(await d.catalog.addMember(req.ctx, params(req).image_id!, member))
}

export const list: Handler = async (req, _reply, d) => {
  const members = await d.catalog.listMembers(req.ctx, params(req).image_id!)
  return { members: members.map(memberView), schema: '/v2/schemas/members' }
}

export const show: Handler = async (req, _reply, d) => {
  const p = params(req)
  return memberView(await d.catalog.showMember(req.ctx, p.image_id!, p.member_id!))
}

export const update: Handler = async (req, _reply, d) => {
  const p = params(req)
  const { status } = req.body as { status: import('../domain/image.js').MemberStatus }
  return memberView(await d.catalog.updateMember(req.ctx, p.image_id!, p.member_id!, status))
}

export const remove: Handler = async (req, reply, d) => {
  const p = params(req)
  await d.catalog.deleteMember(req.ctx, p.image_id!, p.member_id!)
  reply.code(204).send()
}
