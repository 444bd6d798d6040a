/**
 * The image catalogue: who sees which image, create, list, show, patch, delete,
 * deactivate/reactivate, tags and members. Image data (upload, download, staging and
 * import) lives in image-data.ts.
 *
 * Access has two layers, as in Glance: visibility decides whether an image exists for
 * the caller (404 otherwise), then the policy rule decides whether the caller may act
 * on it (403).
 */
import { randomUUID } from 'node:crypto'
import type { RequestContext } from '../../../kernel/auth/index.js'
import { Conflict, Forbidden } from '../../../kernel/errors/index.js'
import {
  ImageConflict,
  ImageForbidden,
  ImageNotFound,
  ImageProtected,
  InvalidImageInput,
  MemberNotFound,
  QuotaExceeded,
  TagNotFound,
} from '../errors.js'
import { IMAGE_POLICIES as P } from '../policies/images.js'
import {
  checkAttributeAllowed,
  checkImageValue,
  type Formats,
  isUuidLike,
  normaliseValue,
} from '../schemas/image.js'
import type { CoreColumns, ImageRepository } from '../storage/image.repo.js'
import type { ImageRepos } from '../storage/index.js'
import {
  type Image,
  type ImageMember,
  type MemberStatus,
  MUTABLE_CORE,
  now,
  type Visibility,
} from './image.js'
import { type ParsedList, parseListQuery, type RawQuery } from './list-query.js'
import { applyLocationOps, type LocationUrlCheck } from './locations.js'
import type { PatchOp } from './patch.js'
import type { ImageQuotas } from './quotas.js'

export interface CatalogLimits {
  formats: Formats
  propertyQuota: number
  tagQuota: number
  memberQuota: number
  countLimit: number
  limitDefault: number
  limitMax: number
  showMultipleLocations: boolean
}

/** What location management needs from the data side (the stores, the URL check). */
export interface LocationSupport {
  checkUrl: LocationUrlCheck
  removeData(url: string): Promise<void>
}

/** What the policy engine sees about an image. */
export function targetOf(image: Image, memberId?: string): Record<string, unknown> {
  return {
    project_id: image.owner ?? undefined,
    owner: image.owner ?? undefined,
    visibility: image.visibility,
    member_id: memberId,
  }
}

export function isAdmin(ctx: RequestContext): boolean {
  return ctx.allows(P.CONTEXT_IS_ADMIN)
}

export class ImageCatalog {
  constructor(
    readonly repos: ImageRepos,
    private readonly limits: CatalogLimits,
    /** Unified-limit quotas (`use_keystone_limits`); absent or disabled: the config quotas apply. */
    readonly quotas?: ImageQuotas,
    private readonly locationSupport?: LocationSupport,
  ) {}

  /** Whether the caller sees this image's locations (show_multiple_locations and get_image_location). */
  seesLocations(ctx: RequestContext, image: Image): boolean {
    return this.limits.showMultipleLocations && ctx.allows(P.GET_LOCATION, targetOf(image))
  }

  /** The images repository (image-data.ts and cache.ts load images through it). */
  get repo(): ImageRepository {
    return this.repos.images
  }

  /** Loads an image the caller may see, with the policy target; 404 otherwise. */
  async visible(
    ctx: RequestContext,
    id: string,
  ): Promise<{ image: Image; target: Record<string, unknown>; admin: boolean }> {
    const image = isUuidLike(id) ? await this.repo.get(id) : undefined
    if (!image) throw new ImageNotFound(id)
    const admin = isAdmin(ctx)
    const project = ctx.who.project_id
    let memberId: string | undefined
    if (image.visibility === 'shared' && project && image.owner !== project) {
      memberId = (await this.repos.members.getMember(image.id, project)) ? project : undefined
    }
    const sees =
      admin ||
      (project !== undefined && image.owner === project) ||
      image.visibility === 'public' ||
      image.visibility === 'community' ||
      memberId !== undefined
    if (!sees) throw new ImageNotFound(id)
    return { image, target: targetOf(image, memberId), admin }
  }

  async show(ctx: RequestContext, id: string): Promise<{ image: Image; admin: boolean }> {
    const { image, target, admin } = await this.visible(ctx, id)
    this.authorize(ctx, P.GET, target, id)
    return { image, admin }
  }

  /** `body` passed the create schema (schemas/bodies.ts). */
  async create(ctx: RequestContext, body: Readonly<Record<string, unknown>>): Promise<Image> {
    const project = ctx.who.project_id
    const at = now()
    const image: Image = {
      id: randomUUID(),
      name: null,
      status: 'queued',
      visibility: 'shared',
      protected: false,
      os_hidden: false,
      owner: project ?? null,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      container_format: null,
      disk_format: null,
      min_disk: 0,
      min_ram: 0,
      location: null,
      locations: [],
      upload_token: null,
      created_at: at,
      updated_at: at,
      properties: {},
      tags: [],
    }
    const record = image as unknown as Record<string, unknown>
    for (const [key, value] of Object.entries(body)) {
      if (key === 'id') {
        image.id = (value as string).toLowerCase()
        continue
      }
      checkAttributeAllowed(key)
      if (MUTABLE_CORE.has(key)) record[key] = normaliseValue(key, value, this.limits.formats)
      else image.properties[key] = value as string
    }
    this.checkPropertyQuota(image.properties)
    if (this.limits.tagQuota >= 0 && image.tags.length > this.limits.tagQuota) {
      throw new QuotaExceeded(`Maximum number of tags exceeded: ${this.limits.tagQuota}`)
    }
    const admin = isAdmin(ctx)
    if (image.owner !== (project ?? null) && !admin) {
      throw new ImageForbidden(`You are not permitted to create images owned by '${image.owner}'.`)
    }
    const target = targetOf(image)
    this.authorize(ctx, P.ADD, target)
    this.checkVisibilityChange(ctx, image.visibility, target)
    const unified = this.quotas?.enabled === true
    if (unified) await this.quotas!.enforce(image.owner, { image_count_total: 1 })
    const outcome = await this.repo.create(image, unified ? -1 : this.limits.countLimit)
    if (outcome === 'duplicate')
      throw new ImageConflict(`Image with identifier ${image.id} already exists!`, 'image.image.duplicate')
    if (outcome === 'quota')
      throw new QuotaExceeded(`Maximum number of images exceeded: ${this.limits.countLimit}`)
    return (await this.repo.get(image.id)) ?? image
  }

  async list(
    ctx: RequestContext,
    query: RawQuery,
  ): Promise<{ images: Image[]; parsed: ParsedList; admin: boolean }> {
    const parsed = parseListQuery(query, { limit: this.limits.limitDefault, maxLimit: this.limits.limitMax })
    const project = ctx.who.project_id
    ctx.can(P.LIST, { project_id: project, owner: project })
    const admin = isAdmin(ctx)
    let marker: Image | undefined
    if (parsed.markerId !== undefined) {
      marker = await this.visible(ctx, parsed.markerId)
        .then((v) => v.image)
        .catch(() => {
          throw new InvalidImageInput(`Invalid marker. Image ${parsed.markerId} could not be found.`)
        })
    }
    const images = await this.repo.list({ ...parsed, viewer: { admin, project }, marker })
    return { images, parsed, admin }
  }

  async update(ctx: RequestContext, id: string, ops: PatchOp[]): Promise<{ image: Image; admin: boolean }> {
    const { image, target, admin } = await this.visible(ctx, id)
    this.authorize(ctx, P.MODIFY, target, id)
    const core: CoreColumns = {}
    const working = { ...image, properties: { ...image.properties }, tags: [...image.tags] }
    const record = working as unknown as Record<string, unknown>
    const removed = new Set<string>()
    let tagsChanged = false
    const locationOps = ops.filter((op) => op.path[0] === 'locations')
    for (const op of locationOps) {
      if (!this.limits.showMultipleLocations || !this.locationSupport)
        throw new Forbidden(
          `It's not allowed to ${op.op === 'remove' ? 'remove' : op.op === 'add' ? 'add' : 'update'} locations if locations are invisible.`,
        )
      this.authorize(ctx, op.op === 'remove' ? P.DELETE_LOCATION : P.SET_LOCATION, target, id)
    }
    const locationChange =
      locationOps.length > 0
        ? await applyLocationOps(image, locationOps, this.locationSupport!.checkUrl)
        : undefined
    for (const op of ops) {
      const [name, index] = op.path as [string, string | undefined]
      if (name === 'locations') continue
      if (index !== undefined) throw new InvalidImageInput('Nested paths are not allowed')
      checkAttributeAllowed(name)
      if (MUTABLE_CORE.has(name)) {
        if (op.op === 'remove') throw new ImageForbidden(`Property ${name} may not be removed.`)
        const value = checkImageValue(name, op.value, this.limits.formats)
        if (
          (name === 'container_format' || name === 'disk_format') &&
          value !== record[name] &&
          image.status !== 'queued'
        ) {
          throw new ImageForbidden(`Attribute ${name} can be only replaced for a queued image.`)
        }
        if (name === 'owner' && value !== image.owner && !admin) {
          throw new ImageForbidden("Owner can't be updated by non admin.")
        }
        if (name === 'visibility' && value !== image.visibility)
          this.checkVisibilityChange(ctx, value as Visibility, target)
        if (name === 'tags') tagsChanged = true
        else (core as Record<string, unknown>)[name] = value
        record[name] = value
        continue
      }
      const exists = name in working.properties
      if (op.op === 'remove' || (op.op === 'replace' && !exists)) {
        if (!exists) throw new ImageConflict(`Property ${name} does not exist.`, 'image.property.not_found')
        delete working.properties[name]
        removed.add(name)
        continue
      }
      working.properties[name] = checkImageValue(name, op.value, this.limits.formats) as string
      removed.delete(name)
    }
    if (tagsChanged && this.limits.tagQuota >= 0 && working.tags.length > this.limits.tagQuota) {
      throw new QuotaExceeded(`Maximum number of tags exceeded: ${this.limits.tagQuota}`)
    }
    const setProps: Record<string, string> = {}
    for (const [k, v] of Object.entries(working.properties)) if (image.properties[k] !== v) setProps[k] = v
    if (Object.keys(setProps).length > 0) this.checkPropertyQuota(working.properties)
    const { owner, ...rest } = core
    if (owner !== undefined && owner !== image.owner && owner !== null)
      await this.repo.changeOwner(image, owner)
    const ok = await this.repo.update(
      id,
      { core: rest, setProps, removeProps: [...removed], tags: tagsChanged ? working.tags : undefined },
      now(),
    )
    if (!ok) throw new ImageNotFound(id)
    if (locationChange) {
      const fresh = await this.repo.get(id)
      if (!fresh) throw new ImageNotFound(id)
      // An image getting its first location counts its size from now on (as an upload's).
      const counted = fresh.location === null && locationChange.locations.length > 0
      const bytes = counted ? Number(locationChange.extra.size ?? fresh.size ?? 0) : 0
      if (!(await this.repo.swapLocations(fresh, locationChange.locations, locationChange.extra, bytes)))
        throw new ImageConflict(
          `Image ${id} changed while its locations were being updated.`,
          'image.location.race',
        )
      for (const url of locationChange.dropped) await this.locationSupport!.removeData(url).catch(() => {})
    }
    return { image: (await this.repo.get(id))!, admin }
  }

  async delete(ctx: RequestContext, id: string): Promise<Image> {
    const { image, target } = await this.visible(ctx, id)
    this.authorize(ctx, P.DELETE, target, id)
    if (image.protected) throw new ImageProtected(id)
    const deleted = await this.repo.softDelete(id)
    if (!deleted) throw new ImageNotFound(id)
    return deleted
  }

  async deactivate(ctx: RequestContext, id: string): Promise<void> {
    const { image, target } = await this.visible(ctx, id)
    this.authorize(ctx, P.DEACTIVATE, target, id)
    if (image.status === 'deactivated') return
    if (image.status !== 'active' || !(await this.repo.transition(id, ['active'], 'deactivated'))) {
      throw new ImageForbidden(`Not allowed to deactivate image in status '${image.status}'`)
    }
  }

  async reactivate(ctx: RequestContext, id: string): Promise<void> {
    const { image, target } = await this.visible(ctx, id)
    this.authorize(ctx, P.REACTIVATE, target, id)
    if (image.status === 'active') return
    if (image.status !== 'deactivated' || !(await this.repo.transition(id, ['deactivated'], 'active'))) {
      throw new ImageForbidden(`Not allowed to reactivate image in status '${image.status}'`)
    }
  }

  // --- tags ---

  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const { target } = await this.visible(ctx, id)
    this.authorize(ctx, P.MODIFY, target, id)
    if (tag.length > 255)
      throw new InvalidImageInput(
        `Provided object does not match schema 'image': tag '${tag.slice(0, 40)}...' is too long`,
      )
    if ((await this.repos.tags.addTag(id, tag, this.limits.tagQuota)) === 'quota') {
      throw new QuotaExceeded(`Maximum number of tags exceeded: ${this.limits.tagQuota}`)
    }
  }

  async deleteTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const { target } = await this.visible(ctx, id)
    this.authorize(ctx, P.MODIFY, target, id)
    if (!(await this.repos.tags.deleteTag(id, tag))) throw new TagNotFound(tag, id)
  }

  // --- members ---

  async addMember(ctx: RequestContext, id: string, member: string): Promise<ImageMember> {
    const { image, target } = await this.visible(ctx, id)
    this.authorize(ctx, P.ADD_MEMBER, target, id)
    if (image.owner !== ctx.who.project_id && !isAdmin(ctx))
      throw new ImageForbidden('Only the image owner may add members.')
    if (image.visibility !== 'shared') {
      throw new ImageForbidden(
        `Image members cannot be added to an image with visibility '${image.visibility}'. Only shared images have members.`,
      )
    }
    const out = await this.repos.members.addMember(id, member, this.limits.memberQuota, now())
    if (out === 'duplicate') throw new Conflict(`Member ${member} already exists for image ${id}`)
    if (out === 'quota')
      throw new QuotaExceeded(`Maximum number of image members exceeded: ${this.limits.memberQuota}`)
    return out
  }

  async listMembers(ctx: RequestContext, id: string): Promise<ImageMember[]> {
    const { image, target } = await this.visible(ctx, id)
    this.authorize(ctx, P.GET_MEMBERS, target, id)
    if (image.visibility !== 'shared') {
      throw new ImageForbidden(`Only shared images have members.`)
    }
    const project = ctx.who.project_id
    // A member sees only its own membership; the owner and admins see all.
    const onlyMember = image.owner === project || isAdmin(ctx) ? undefined : project
    return this.repos.members.listMembers(id, onlyMember)
  }

  async showMember(ctx: RequestContext, id: string, memberId: string): Promise<ImageMember> {
    const { image, target } = await this.visible(ctx, id)
    this.authorize(ctx, P.GET_MEMBER, target, id)
    const project = ctx.who.project_id
    if (image.owner !== project && !isAdmin(ctx) && memberId !== project)
      throw new MemberNotFound(id, memberId)
    const m = await this.repos.members.getMember(id, memberId)
    if (!m) throw new MemberNotFound(id, memberId)
    return m
  }

  async updateMember(
    ctx: RequestContext,
    id: string,
    memberId: string,
    status: MemberStatus,
  ): Promise<ImageMember> {
    const { target } = await this.visible(ctx, id)
    const existing = await this.repos.members.getMember(id, memberId)
    if (!existing) throw new MemberNotFound(id, memberId)
    this.authorize(ctx, P.MODIFY_MEMBER, { ...target, member_id: memberId }, id)
    // An admin may answer for the member (Glance lets a project admin accept or reject).
    if (ctx.who.project_id !== memberId && !isAdmin(ctx))
      throw new ImageForbidden('Only the shared member may change the member status.')
    await this.repos.members.updateMember(id, memberId, status, now())
    return (await this.repos.members.getMember(id, memberId))!
  }

  async deleteMember(ctx: RequestContext, id: string, memberId: string): Promise<void> {
    const { image, target } = await this.visible(ctx, id)
    this.authorize(ctx, P.DELETE_MEMBER, target, id)
    if (image.owner !== ctx.who.project_id && !isAdmin(ctx))
      throw new ImageForbidden('Only the image owner may delete members.')
    if (!(await this.repos.members.deleteMember(id, memberId))) throw new MemberNotFound(id, memberId)
  }

  // --- helpers ---

  /**
   * Policy check; a caller who may not act gets 403 with Glance's wording. On an image
   * (`id` given), a caller the policy does not even let see it (get_image) gets 404 as
   * in Glance, so that it learns nothing of the image: a system-scoped token under
   * enforce_scope, for one, is refused every image rule.
   */
  authorize(ctx: RequestContext, rule: string, target: Record<string, unknown>, id?: string): void {
    if (!ctx.allows(rule, target)) {
      if (id !== undefined && (rule === P.GET || !ctx.allows(P.GET, target))) throw new ImageNotFound(id)
      throw new ImageForbidden(
        id
          ? `You are not authorized to ${rule.replace(/_/g, ' ')} ${id}`
          : `You are not authorized to ${rule.replace(/_/g, ' ')}`,
      )
    }
  }

  private checkVisibilityChange(
    ctx: RequestContext,
    visibility: Visibility,
    target: Record<string, unknown>,
  ): void {
    if (visibility === 'public') this.authorize(ctx, P.PUBLICIZE, target)
    if (visibility === 'community') this.authorize(ctx, P.COMMUNITIZE, target)
  }

  private checkPropertyQuota(props: Record<string, string>): void {
    const q = this.limits.propertyQuota
    // The import properties (os_glance_*) are the service's, not the user's to count.
    if (q >= 0 && Object.keys(props).filter((k) => !k.startsWith('os_glance')).length > q)
      throw new QuotaExceeded(`Maximum number of properties exceeded: ${q}`)
  }
}

export { Conflict }
