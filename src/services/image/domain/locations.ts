/**
 * Location management through PATCH (`/locations`, `/locations/<n|->`), offered only
 * with `show_multiple_locations`, under Zed's rules (set_image_location,
 * delete_image_location):
 *
 * - add: an http(s) URL (the read-only http store; the scheme, host and port filters
 *   and the address check of web-download apply), optional `metadata`, optional
 *   `validation_data` (checksum, os_hash_algo, os_hash_value): it fills the image's
 *   hashes when it has none, and must match them when it has (409). A queued image with
 *   its first location becomes active.
 * - replace (`/locations`): the same URLs in the same order, metadata may change; any
 *   other list is 400 (an image without locations takes the list as adds).
 * - remove (`/locations/<n>`): never the last one (403); a file location's data goes.
 *
 * `file://` and any other scheme a user names are refused: a user must never point an
 * image at the server's own files.
 */
import { ImageConflict, ImageForbidden, InvalidImageInput } from '../errors.js'
import type { CoreColumns } from '../storage/image.repo.js'
import type { Image, ImageLocation } from './image.js'
import type { PatchOp } from './patch.js'

/**
 * Checks an http(s) location URL (filters and resolved addresses) and asks its size (a
 * HEAD, as Glance's http store); throws to refuse or when it does not answer.
 */
export type LocationUrlCheck = (url: string) => Promise<number | undefined>

export interface LocationChange {
  locations: ImageLocation[]
  /** Columns that change with them (status, hashes). */
  extra: CoreColumns
  /** File locations removed: their data is deleted once the change is committed. */
  dropped: string[]
}

const HASH_LENGTHS: Record<string, number> = { md5: 32, sha1: 40, sha256: 64, sha384: 96, sha512: 128 }

export async function applyLocationOps(
  image: Image,
  ops: readonly PatchOp[],
  checkUrl: LocationUrlCheck,
): Promise<LocationChange> {
  let list = image.locations.map((l) => ({ url: l.url, metadata: { ...l.metadata } }))
  const extra: CoreColumns = {}
  const hashes = {
    checksum: image.checksum,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
  }
  const dropped: string[] = []
  if (!['queued', 'active'].includes(image.status) && ops.some((o) => o.op !== 'remove'))
    throw new ImageConflict(
      `It's not allowed to add locations if image status is ${image.status}.`,
      'image.location.invalid_status',
    )

  let size = image.size
  const add = async (value: unknown, at: number) => {
    const loc = await parseLocation(value, checkUrl)
    // The first location of an image without data gives the image its size.
    if (size === null && loc.size !== undefined) {
      size = loc.size
      extra.size = loc.size
    }
    if (list.some((l) => l.url === loc.url)) throw new InvalidImageInput(`Location ${loc.url} is already set`)
    if (loc.validation) {
      for (const k of ['checksum', 'os_hash_algo', 'os_hash_value'] as const) {
        const v = loc.validation[k]
        if (v === undefined) continue
        if (hashes[k] !== null && hashes[k] !== v)
          throw new ImageConflict(
            `Image ${k} ${hashes[k]} and location validation data ${v} do not match`,
            'image.location.mismatch',
          )
      }
      checkDigests(loc.validation)
      for (const k of ['checksum', 'os_hash_algo', 'os_hash_value'] as const)
        if (hashes[k] === null && loc.validation[k] !== undefined) {
          hashes[k] = loc.validation[k]!
          extra[k] = loc.validation[k]!
        }
    }
    list.splice(at, 0, { url: loc.url, metadata: loc.metadata })
  }

  for (const op of ops) {
    const index = op.path[1]
    if (op.op === 'add') {
      if (index === undefined)
        throw new InvalidImageInput('Invalid JSON pointer for this resource: /locations')
      const at = index === '-' ? list.length : Number(index)
      if (!Number.isInteger(at) || at < 0 || at > list.length)
        throw new InvalidImageInput(`Invalid position for adding a location: ${index}`)
      await add(op.value, at)
    } else if (op.op === 'remove') {
      const at = Number(index)
      if (index === undefined || !Number.isInteger(at) || at < 0 || at >= list.length)
        throw new InvalidImageInput(`Invalid location index: ${index ?? ''}`)
      if (list.length === 1) throw new ImageForbidden('Cannot remove last location in the image.')
      const [gone] = list.splice(at, 1)
      if (gone!.url.startsWith('file:')) dropped.push(gone!.url)
    } else {
      if (index !== undefined) throw new InvalidImageInput('Invalid JSON pointer for this resource')
      if (!Array.isArray(op.value)) throw new InvalidImageInput('Locations must be a list')
      if (list.length === 0) {
        for (const v of op.value) await add(v, list.length)
        continue
      }
      const next = op.value as unknown[]
      const urls = next.map((v) => (v && typeof v === 'object' ? (v as { url?: unknown }).url : undefined))
      if (urls.length !== list.length || urls.some((u, i) => u !== list[i]!.url))
        throw new InvalidImageInput(
          'Only the metadata of existing locations may be replaced; add or remove locations one by one.',
        )
      list = next.map((v, i) => {
        const metadata = (v as { metadata?: unknown }).metadata
        if (
          metadata !== undefined &&
          (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
        )
          throw new InvalidImageInput('Location metadata must be an object')
        return { url: list[i]!.url, metadata: { ...((metadata as Record<string, unknown>) ?? {}) } }
      })
    }
  }
  if (image.status === 'queued' && list.length > 0) extra.status = 'active'
  return { locations: list, extra, dropped }
}

async function parseLocation(
  value: unknown,
  checkUrl: LocationUrlCheck,
): Promise<{
  url: string
  metadata: Record<string, unknown>
  size?: number
  validation?: Partial<Record<'checksum' | 'os_hash_algo' | 'os_hash_value', string>>
}> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidImageInput('A location must be an object with url and metadata')
  const { url, metadata, validation_data: vd, ...rest } = value as Record<string, unknown>
  if (Object.keys(rest).length > 0)
    throw new InvalidImageInput(`Invalid location: unknown field ${Object.keys(rest)[0]}`)
  if (typeof url !== 'string' || url.length === 0 || url.length > 255)
    throw new InvalidImageInput('Invalid location: url must be a string')
  if (
    metadata !== undefined &&
    (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
  )
    throw new InvalidImageInput('Invalid location: metadata must be an object')
  if (!/^https?:\/\//i.test(url))
    throw new InvalidImageInput(`Invalid location: ${url} (only http and https)`)
  let size: number | undefined
  try {
    size = await checkUrl(url)
  } catch (e) {
    throw new InvalidImageInput(`Invalid location: ${(e as Error).message}`)
  }
  const out: Awaited<ReturnType<typeof parseLocation>> = {
    url,
    metadata: { ...((metadata as Record<string, unknown>) ?? {}) },
    ...(size !== undefined && Number.isSafeInteger(size) && size >= 0 ? { size } : {}),
  }
  if (vd !== undefined) out.validation = parseValidation(vd)
  return out
}

function parseValidation(
  vd: unknown,
): Partial<Record<'checksum' | 'os_hash_algo' | 'os_hash_value', string>> {
  if (!vd || typeof vd !== 'object' || Array.isArray(vd))
    throw new InvalidImageInput('Invalid location: validation_data must be an object')
  const { checksum, os_hash_algo: algo, os_hash_value: value, ...rest } = vd as Record<string, unknown>
  if (Object.keys(rest).length > 0)
    throw new InvalidImageInput(`Invalid validation_data: unknown field ${Object.keys(rest)[0]}`)
  const out: Partial<Record<'checksum' | 'os_hash_algo' | 'os_hash_value', string>> = {}
  for (const [k, v] of [
    ['checksum', checksum],
    ['os_hash_algo', algo],
    ['os_hash_value', value],
  ] as const) {
    if (v === undefined) continue
    if (typeof v !== 'string') throw new InvalidImageInput(`Invalid validation_data: ${k} must be a string`)
    out[k] = v
  }
  if ((algo === undefined) !== (value === undefined))
    throw new InvalidImageInput('Invalid validation_data: os_hash_algo and os_hash_value go together')
  return out
}

/** The digests' shapes, checked when they become the image's (a mismatch is 409 first). */
function checkDigests(v: Partial<Record<'checksum' | 'os_hash_algo' | 'os_hash_value', string>>): void {
  if (v.checksum !== undefined && !/^[0-9a-f]{32}$/i.test(v.checksum))
    throw new InvalidImageInput('Invalid validation_data: checksum must be 32 hex digits')
  if (v.os_hash_algo === undefined) return
  const len = HASH_LENGTHS[v.os_hash_algo]
  if (len === undefined)
    throw new InvalidImageInput(`Invalid validation_data: unknown os_hash_algo ${v.os_hash_algo}`)
  if (!new RegExp(`^[0-9a-f]{${len}}$`, 'i').test(v.os_hash_value ?? ''))
    throw new InvalidImageInput(`Invalid validation_data: os_hash_value is not a ${v.os_hash_algo} digest`)
}
