/**
 * Every policy rule of the image service (images, metadata definitions, cache), and the
 * 403 Glance answers for a metadef or cache rule that refuses.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'
import { ImageForbidden } from '../errors.js'
import { cachePolicyDefaults } from './cache.js'
import { imagePolicyDefaults } from './images.js'
import { metadefPolicyDefaults } from './metadefs.js'

export const imageServicePolicies: readonly RuleDefault[] = [
  ...imagePolicyDefaults,
  ...metadefPolicyDefaults,
  ...cachePolicyDefaults,
]

/** Glance's wording when a metadef or cache rule refuses (image rules word it per action). */
export function forbidden(rule: string): ImageForbidden {
  return new ImageForbidden(`You are not authorized to complete ${rule} action.`)
}
