/**
 * Image in the persona matrix. Images are called with owners from the caller's point of
 * view, each a visibility Glance treats differently:
 *
 * | owner | image | metadef namespace |
 * |---|---|---|
 * | ours | of the caller's project, shared with another project (a pending member) | private, of the caller's project |
 * | other | of another project, shared with a third project only | private, of another project |
 * | far | private, of a project of another domain | private, of a project of another domain |
 * | shared | of another project, shared with the caller's project (accepted) | — |
 * | public | of another project, public | public, of another project |
 * | community | of another project, community | — |
 *
 * Reads use images made once (active, with data); every other call gets a throwaway
 * image or namespace of the same owner and visibility, so nothing depends on order.
 *
 * Glance hides what a caller may not see: a call the defaults deny answers 404 when
 * `get_image` (`get_metadef_namespace` for metadefs) denies the caller too, and 403
 * otherwise. The policy target is Glance's: the owner as `project_id` and `owner`, the
 * `visibility`, and `member_id` (the caller's project, when it is a member of the image).
 */
import type { Enforcer, Target } from '../../../src/kernel/policy/index.js'
import type { AllowEntry, MatrixRoute, MatrixService, Owner, Persona, Prepared } from './engine.js'
import type { ProjectRef, World, WorldPersona } from './world.js'

const IMAGE_OWNERS = ['ours', 'other', 'far', 'shared', 'public', 'community'] as const
const NS_OWNERS = ['ours', 'other', 'far', 'public'] as const
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'
const DATA = Buffer.from('persona matrix image data')

interface ImageFixture {
  id: string
  target: Target
}

export function imageMatrix(
  routes: readonly MatrixRoute[],
  enforcer: Enforcer,
  w: World,
  allowList: readonly AllowEntry[],
): MatrixService {
  const G = (url: string) => `/image${url}`
  const ok = (method: string, url: string, body?: unknown) => w.ok(method, G(url), body)
  const raw = async (method: string, url: string, body: Buffer, type = 'application/octet-stream') => {
    const r = await w.app.inject({
      method: method as 'PUT',
      url: G(url),
      headers: { 'x-auth-token': w.adminToken, 'content-type': type },
      payload: body,
    })
    if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`)
  }
  const shared = new Map<string, ImageFixture>()
  /** Every image made here with a member: id -> the member project. */
  const memberOf = new Map<string, string>()
  const namespaces = new Map<string, ImageFixture>()

  /** Who owns the image an owner names, its visibility and its member. */
  function imageShape(p: WorldPersona, owner: Owner) {
    const h = p.home
    switch (owner) {
      case 'ours':
        return { owner: h.ours, visibility: 'shared', member: h.other }
      case 'other':
        return { owner: h.other, visibility: 'shared', member: h.far }
      case 'far':
        return { owner: h.far, visibility: 'private', member: undefined }
      case 'shared':
        return { owner: h.other, visibility: 'shared', member: h.ours, accepted: true }
      default:
        return { owner: h.other, visibility: owner, member: undefined }
    }
  }

  async function makeImage(
    shape: { owner: ProjectRef; visibility: string; member: ProjectRef | undefined; accepted?: boolean },
    state: 'queued' | 'active' | 'deactivated' | 'staged',
    tag?: string,
  ): Promise<string> {
    const img = await ok('POST', '/v2/images', {
      name: w.name('img'),
      disk_format: 'raw',
      container_format: 'bare',
      owner: shape.owner.id,
      visibility: shape.visibility,
      ...(tag ? { tags: [tag] } : {}),
    })
    if (shape.member) {
      memberOf.set(img.id, shape.member.id)
      await ok('POST', `/v2/images/${img.id}/members`, { member: shape.member.id })
      // Only the member itself may accept (Glance).
      if (shape.accepted) {
        const m = shape.member
        const token = await w.login(m.user.id, m.user.password, { project: { id: m.id } })
        await w.ok('PUT', G(`/v2/images/${img.id}/members/${m.id}`), { status: 'accepted' }, token)
      }
    }
    if (state === 'active' || state === 'deactivated') await raw('PUT', `/v2/images/${img.id}/file`, DATA)
    if (state === 'deactivated') await ok('POST', `/v2/images/${img.id}/actions/deactivate`)
    if (state === 'staged') await raw('PUT', `/v2/images/${img.id}/stage`, DATA)
    return img.id as string
  }

  /**
   * Glance's visibility, applied before any rule (Glance answers 404): an admin sees
   * every image; others their project's, public and community ones, and shared ones
   * their project is a member of.
   */
  function visibleTo(
    p: Persona,
    img: { owner: string; visibility: string; id?: string; member?: string },
  ): boolean {
    const project = p.creds.project_id
    if (enforcer.check('context_is_admin', {}, p.creds)) return true
    if (img.visibility === 'public' || img.visibility === 'community') return true
    if (!project) return false
    if (img.owner === project) return true
    const member = img.member ?? (img.id ? memberOf.get(img.id) : undefined)
    return img.visibility === 'shared' && member === project
  }

  function imageTarget(p: Persona, shape: ReturnType<typeof imageShape>): Target {
    const memberId = shape.member && shape.member.id === p.creds.project_id ? shape.member.id : undefined
    return {
      project_id: shape.owner.id,
      owner: shape.owner.id,
      visibility: shape.visibility,
      ...(memberId ? { member_id: memberId } : {}),
    }
  }

  async function image(p: WorldPersona, owner: Owner, route: MatrixRoute): Promise<ImageFixture> {
    const shape = imageShape(p, owner)
    const target = imageTarget(p, shape)
    const path = route.path
    if (route.method === 'GET') {
      const key = `${shape.owner.id}/${shape.visibility}/${shape.member?.id ?? '-'}`
      let f = shared.get(key)
      if (!f) {
        f = { id: await makeImage(shape, 'active', 'matrix-tag'), target }
        shared.set(key, f)
      }
      return { id: f.id, target }
    }
    const state = path.endsWith('/reactivate')
      ? 'deactivated'
      : path.endsWith('/import')
        ? 'staged'
        : path.endsWith('/file') || path.endsWith('/stage')
          ? 'queued'
          : 'active'
    return { id: await makeImage(shape, state, 'matrix-tag'), target }
  }

  function namespaceShape(p: WorldPersona, owner: Owner) {
    const h = p.home
    const project = owner === 'ours' ? h.ours : owner === 'far' ? h.far : h.other
    return { owner: project, visibility: owner === 'public' ? 'public' : 'private' }
  }

  async function makeNamespace(shape: { owner: ProjectRef; visibility: string }): Promise<string> {
    const name = w.name('ns')
    await ok('POST', '/v2/metadefs/namespaces', {
      namespace: name,
      visibility: shape.visibility,
      owner: shape.owner.id,
      resource_type_associations: [{ name: 'OS::Glance::Image' }],
      properties: { prop: { type: 'string', title: 'prop' } },
      objects: [{ name: 'obj' }],
      tags: [{ name: 'tag' }],
    })
    return name
  }

  async function namespace(p: WorldPersona, owner: Owner, route: MatrixRoute): Promise<ImageFixture> {
    const shape = namespaceShape(p, owner)
    const target = { project_id: shape.owner.id, visibility: shape.visibility }
    if (route.method !== 'GET') return { id: await makeNamespace(shape), target }
    const key = `${shape.owner.id}/${shape.visibility}`
    let f = namespaces.get(key)
    if (!f) {
      f = { id: await makeNamespace(shape), target }
      namespaces.set(key, f)
    }
    return { id: f.id, target }
  }

  const hasImage = (r: MatrixRoute) => r.path.includes(':image_id')
  const hasNamespace = (r: MatrixRoute) => r.path.includes(':namespace')

  /** Bodies a route cannot derive: names of real objects, Glance's patch documents. */
  function bodyOf(route: MatrixRoute, p: WorldPersona, nsName?: string): { body?: unknown; type?: string } {
    const name = `${route.method} ${route.path}`
    const under = route.path.split('/:namespace')[1] ?? ''
    switch (name) {
      case 'PATCH /v2/images/:image_id':
        return { body: [{ op: 'replace', path: '/name', value: 'renamed' }], type: PATCH_TYPE }
      case 'PUT /v2/images/:image_id/file':
      case 'PUT /v2/images/:image_id/stage':
        return { body: DATA, type: 'application/octet-stream' }
      case 'POST /v2/images/:image_id/import':
        return { body: { method: { name: 'glance-direct' } } }
      case 'POST /v2/images/:image_id/members':
        return { body: { member: p.home.far.id } }
      case 'PUT /v2/images/:image_id/members/:member_id':
        return { body: { status: 'accepted' } }
    }
    if (route.method === 'PUT' && route.path === '/v2/metadefs/namespaces/:namespace')
      return { body: { namespace: nsName, description: 'changed' } }
    if (under.startsWith('/objects'))
      return { body: { name: route.method === 'PUT' ? 'obj' : w.name('obj') } }
    if (under.startsWith('/properties'))
      return { body: { name: route.method === 'PUT' ? 'prop' : w.name('prop'), type: 'string', title: 't' } }
    if (under === '/tags' && route.method === 'POST') return { body: { tags: [{ name: w.name('tag') }] } }
    if (under === '/tags/:name' && route.method === 'PUT') return { body: { name: w.name('tag') } }
    if (under.startsWith('/resource_types')) return { body: { name: 'OS::Nova::Flavor' } }
    return {}
  }

  /** The name a `:name` parameter takes under a namespace. */
  function subName(route: MatrixRoute): string {
    const under = route.path.split('/:namespace')[1] ?? ''
    if (under.startsWith('/objects')) return 'obj'
    if (under.startsWith('/properties')) return 'prop'
    if (under.startsWith('/tags')) return route.method === 'POST' ? w.name('tag') : 'tag'
    return 'OS::Glance::Image'
  }

  return {
    name: 'image',
    serviceType: 'image',
    prefix: '/image',
    routes,
    enforcer,
    allowList,
    owners(route) {
      if (hasImage(route)) {
        // Members exist on shared images only.
        if (route.path.includes(':member_id')) return ['ours', 'other', 'shared']
        return IMAGE_OWNERS
      }
      if (hasNamespace(route)) return NS_OWNERS
      if (route.method === 'POST' && route.path === '/v2/images') return ['ours', 'other', 'far']
      return ['none']
    },
    async prepare(route, owner, persona): Promise<Prepared | { skip: string }> {
      const p = persona as WorldPersona
      const rules =
        route.policy === undefined ? [] : typeof route.policy === 'string' ? [route.policy] : route.policy
      let url = route.path
      let target: Target = {}
      let denied: number[] = [403]
      let nsName: string | undefined
      const extra: Partial<Prepared> = {}
      const rule = rules[0]

      if (hasImage(route)) {
        const img = await image(p, owner, route)
        target = img.target
        url = url.replace(':image_id', img.id)
        const shape = imageShape(p, owner)
        // Glance: a caller who may not see the image gets 404, whatever the rule.
        const visible = visibleTo(p, {
          owner: shape.owner.id,
          visibility: shape.visibility,
          ...(shape.member ? { member: shape.member.id } : {}),
        })
        extra.hidden = !visible
        // Glance answers 403 for a call get_image allows, and 404 for an image the caller
        // cannot see. Between the two (an image the caller's visibility shows but whose
        // get_image is refused: a public image to a system token, any image to an admin of
        // another scope) Cloudlet answers 403 where upstream says 404: either is a refusal,
        // and the image's existence is no secret to those callers.
        denied = !visible ? [404] : enforcer.check('get_image', target, p.creds) ? [403] : [403, 404]
        // The cache API is the admin's: its refusal comes before the image is looked up.
        if (route.path.startsWith('/v2/cache')) denied = [403, 404]
        if (route.path.includes(':member_id')) {
          const shape = imageShape(p, owner)
          url = url.replace(':member_id', shape.member!.id)
          if (route.method === 'PUT')
            // modify_member is judged with the member named in the path.
            target = { ...target, member_id: shape.member!.id }
        }
        if (route.path.endsWith('/tags/:tag'))
          url = url.replace(':tag', route.method === 'PUT' ? 'new-tag' : 'matrix-tag')
        if (route.method === 'DELETE' && route.path === '/v2/images/:image_id')
          extra.tookEffect = async () =>
            (await w.call('GET', G(url))).status === 404
              ? 'the image is gone (admin GET answers 404)'
              : undefined
      } else if (hasNamespace(route)) {
        const ns = await namespace(p, owner, route)
        nsName = ns.id
        target = ns.target
        url = url.replace(':namespace', encodeURIComponent(ns.id))
        if (url.includes(':name')) url = url.replace(':name', encodeURIComponent(subName(route)))
        // Glance: a namespace the caller may not read is hidden (404).
        // (A public namespace's existence is no secret, nor any to an admin: 403 or 404 to a
        // token of another scope.)
        denied = enforcer.check('get_metadef_namespace', target, p.creds)
          ? [403]
          : target.visibility === 'public' || enforcer.check('context_is_admin', {}, p.creds)
            ? [403, 404]
            : [404]
        if (route.method === 'DELETE' && route.path === '/v2/metadefs/namespaces/:namespace')
          extra.tookEffect = async () =>
            (await w.call('GET', G(url))).status === 404
              ? 'the namespace is gone (admin GET answers 404)'
              : undefined
      } else if (route.path === '/v2/images' && route.method === 'POST') {
        // add_image is judged with the owner the image would get: the body's, else the caller's.
        const project = w.projectOf(p, owner)
        target = { project_id: project.id, owner: owner === 'ours' ? p.creds.project_id : project.id }
        extra.body = {
          name: w.name('img'),
          disk_format: 'raw',
          container_format: 'bare',
          ...(owner === 'ours' ? {} : { owner: project.id }),
        }
        extra.cleanup = async (_s, json) => {
          const id = (json as { id?: string })?.id
          if (id) await w.call('DELETE', G(`/v2/images/${id}`))
        }
      } else {
        // Lists, the cache, resource types, namespace create: judged with the caller's project.
        target = { project_id: p.creds.project_id }
        if (route.path === '/v2/schemas/:name') url = '/v2/schemas/image'
        if (route.path === '/v2/schemas/metadefs/:name') url = '/v2/schemas/metadefs/namespace'
        if (route.path === '/v2/images' && route.method === 'GET')
          extra.inspect = (json) => {
            const rows = (json as { images: Array<{ owner: string; visibility: string; id: string }> }).images
            const hidden = rows.filter((r) => !visibleTo(p, r))
            return hidden.length ? `${hidden.length} images the caller may not see in the list` : undefined
          }
        if (route.path === '/v2/metadefs/namespaces' && route.method === 'POST') {
          extra.body = { namespace: w.name('ns') }
          extra.cleanup = async (_s, json) => {
            const n = (json as { namespace?: string })?.namespace
            if (n) await w.call('DELETE', G(`/v2/metadefs/namespaces/${encodeURIComponent(n)}`))
          }
        }
        if (route.path.startsWith('/v2/cache')) extra.tookEffect = undefined
      }

      const b = bodyOf(route, p, nsName)
      const body = extra.body ?? b.body
      const headers: Record<string, string> = {}
      if (b.type) headers['content-type'] = b.type
      const prep: Prepared = {
        method: route.method,
        url,
        ...(body !== undefined ? { body } : {}),
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(rule ? { rule } : {}),
        target,
        denied,
        ...extra,
      }
      if (body !== undefined) prep.body = body
      return prep
    },
  }
}
