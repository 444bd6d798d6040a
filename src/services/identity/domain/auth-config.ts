/**
 * The auth half's configuration: `[token]` and `[jwt_tokens]`, with Keystone's names
 * and defaults, and `[policy] strict_scope` (Cloudlet's: which persona model the
 * identity policies follow, policies/strict.ts).
 */
import { type ConfigOf, defineSections, opt } from '../../../kernel/config/index.js'

export const identityAuthConfig = defineSections({
  token: {
    expiration: opt.int({
      default: 3600,
      min: 0,
      max: 9223372036854,
      help: 'Seconds a token stays valid after it is issued.',
    }),
    allow_expired_window: opt.int({
      default: 172800,
      min: 0,
      help: 'Seconds after expiry during which a service may still validate a token with ?allow_expired=1.',
    }),
    revoke_by_id: opt.bool({
      default: true,
      help: 'Revoke individual tokens on DELETE /v3/auth/tokens (by their audit id).',
    }),
    allow_rescope_scoped_token: opt.bool({
      default: true,
      help: 'Allow a project-, domain- or system-scoped token to be exchanged for another scope.',
    }),
    provider: opt.enum({
      choices: ['jws'] as const,
      default: 'jws',
      help: 'Token format: ES256-signed JWS.',
    }),
  },
  policy: {
    strict_scope: opt.bool({
      default: false,
      help: "With [oslo_policy] enforce_scope and enforce_new_defaults also on, follow Keystone Zed's secure-RBAC defaults: cloud-wide administration needs a system-scoped token, and domain and project admins act only within their domain or project. Off: the admin role is admin in every scope (Keystone 2024.1 and later), so a project-scoped admin token administers the cloud.",
    }),
  },
  jwt_tokens: {
    jws_private_key_repository: opt.str({
      help: "Directory holding this host's private signing keys; unset: <data dir>/jws-keys. Public keys live in the identity database.",
    }),
  },
})

export type IdentityAuthConfig = ConfigOf<typeof identityAuthConfig>
