/**
 * The image service's domain errors, each with a stable `image.*` code, and Glance's
 * fault body.
 *
 * Glance answers errors through webob: with a JSON Accept header the body is
 * `{"message": "<explanation><br /><br />\n<detail>\n\n   ", "code": "404 Not Found",
 * "title": "Not Found"}`; otherwise plain text. A 401 comes from keystonemiddleware in
 * front of Glance, so it has Keystone's `{"error": {...}}` body.
 */
import {
  DomainError,
  type DomainErrorOptions,
  type FaultRenderer,
  titleOf,
} from '../../kernel/errors/index.js'

export class ImageNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'image.image.not_found', `No image found with ID ${id}`)
  }
}

export class MemberNotFound extends DomainError {
  constructor(imageId: string, member: string) {
    super('not_found', 'image.member.not_found', `Member ${member} not found for image ${imageId}`)
  }
}

export class TagNotFound extends DomainError {
  constructor(tag: string, imageId: string) {
    super('not_found', 'image.tag.not_found', `Tag ${tag} not found on image ${imageId}.`)
  }
}

export class InvalidImageInput extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('bad_request', 'image.input.invalid', message, options)
  }
}

export class ImageForbidden extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('forbidden', 'image.forbidden', message, options)
  }
}

export class ReadOnlyAttribute extends DomainError {
  constructor(name: string) {
    super('forbidden', 'image.attribute.read_only', `Attribute '${name}' is read-only.`)
  }
}

export class ReservedAttribute extends DomainError {
  constructor(name: string) {
    super('forbidden', 'image.attribute.reserved', `Attribute '${name}' is reserved.`)
  }
}

export class ImageProtected extends DomainError {
  constructor(id: string) {
    super('forbidden', 'image.image.protected', `Image ${id} is protected and cannot be deleted.`)
  }
}

export class InvalidImageStatus extends DomainError {
  constructor(message: string) {
    super('conflict', 'image.image.invalid_status', message)
  }
}

export class ImageConflict extends DomainError {
  constructor(message: string, code = 'image.conflict') {
    super('conflict', code, message)
  }
}

export class ImageTooLarge extends DomainError {
  constructor(message: string, code = 'image.data.too_large') {
    super('payload_too_large', code, message)
  }
}

export class QuotaExceeded extends DomainError {
  constructor(message: string) {
    super('payload_too_large', 'image.quota.exceeded', message)
  }
}

export class UploadFailed extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('bad_request', 'image.data.upload_failed', message, options)
  }
}

export class StoreFull extends DomainError {
  constructor() {
    super('payload_too_large', 'image.store.full', 'Image storage media is full')
  }
}

export class RangeNotSatisfiable extends DomainError {
  constructor(message = 'Requested range not satisfiable') {
    super('range_not_satisfiable', 'image.data.range', message)
  }
}

export class UnsupportedPatchMedia extends DomainError {
  constructor(type: string) {
    super(
      'unsupported_media_type',
      'image.patch.media_type',
      `The request media type ${type} is not supported by this server.`,
      {
        headers: {
          'accept-patch':
            'application/openstack-images-v2.1-json-patch, application/openstack-images-v2.0-json-patch',
        },
      },
    )
  }
}

/** A metadata-definition record (namespace, object, property, tag, association) is missing or invisible. */
export class MetadefNotFound extends DomainError {
  constructor(message: string) {
    super('not_found', 'image.metadef.not_found', message)
  }
}

/** A metadata-definition name is already taken in its scope. */
export class MetadefDuplicate extends DomainError {
  constructor(message: string) {
    super('conflict', 'image.metadef.duplicate', message)
  }
}

/** A protected namespace (or its content, or a seeded resource type) cannot be deleted. */
export class MetadefProtected extends DomainError {
  constructor(message: string) {
    super('forbidden', 'image.metadef.protected', message)
  }
}

/** The cache API without `[DEFAULT] image_cache_dir`. */
export class CacheNotEnabled extends DomainError {
  constructor() {
    super('not_found', 'image.cache.disabled', 'Caching via API is not supported at this site.')
  }
}

const EXPLANATIONS: Readonly<Record<number, string>> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  405: 'The server does not allow the method used on this resource.',
  409: 'There was a conflict when trying to complete your request.',
  410: 'This resource is no longer available.  No forwarding address is given.',
  413: 'The request is larger than the server is willing or able to process.',
  415: 'The request media type is not supported by this server.',
  416: 'The Range requested is not available.',
  500: 'The server has either erred or is incapable of performing the requested operation.',
  501: 'The server has not implemented the requested operation.',
  503: 'The server is currently unavailable. Please try again at a later time.',
}

/** Renders a fault as Glance does, in JSON when the client accepts JSON, else plain text. */
export const glanceFault: FaultRenderer = (fault, req) => {
  const accept = req.headers.accept
  const wantsJson =
    accept === undefined || accept === '' || (typeof accept === 'string' && /json|\*\/\*/.test(accept))
  if (fault.status === 401) {
    return {
      body: {
        error: {
          code: 401,
          title: 'Unauthorized',
          message: 'The request you have made requires authentication.',
        },
      },
      headers: { 'www-authenticate': 'Keystone uri="/identity"' },
    }
  }
  const title = titleOf(fault.status)
  const explanation = EXPLANATIONS[fault.status] ?? title
  const detail = fault.status >= 500 && fault.unexpected ? '' : fault.message
  const status = `${fault.status} ${title}`
  if (wantsJson) {
    return { body: { message: `${explanation}<br /><br />\n${detail}\n\n   `, code: status, title } }
  }
  return { body: `${status}\n\n${explanation}\n\n ${detail}  `, contentType: 'text/plain; charset=UTF-8' }
}
