/**
 * The resource half's configuration: `[identity]`, `[security_compliance]` and
 * `[resource]`, with Keystone's option names and defaults.
 */
import { type ConfigOf, defineSections, opt } from '../../../kernel/config/schema.js'

const listLimitOpt = (what: string) =>
  opt.int({
    min: 1,
    help: `Most ${what} a list returns (then \`truncated: true\`); unset: [DEFAULT] list_limit.`,
  })

export const identityResourcesConfig = defineSections({
  DEFAULT: {
    list_limit: opt.int({
      min: 1,
      help: 'Most entities a list returns (then `truncated: true`), where the section has no list_limit; unset: no limit.',
    }),
  },
  identity: {
    default_domain_id: opt.str({
      default: 'default',
      help: 'The id of the domain used when a v3 request names none (also created at first start).',
    }),
    password_hash_algorithm: opt.enum({
      choices: ['bcrypt', 'scrypt'] as const,
      default: 'bcrypt',
      help: 'The algorithm used to hash user passwords and application credential secrets.',
    }),
    password_hash_rounds: opt.int({
      default: 12,
      min: 4,
      max: 31,
      help: 'bcrypt cost factor (log2 of rounds); with scrypt, log2 of the CPU/memory cost N.',
    }),
    max_password_length: opt.int({
      default: 4096,
      min: 1,
      help: 'Longest password accepted, in characters.',
    }),
    list_limit: listLimitOpt('users or groups'),
    bootstrap_manager_role: opt.bool({
      default: true,
      help: "Bootstrap makes Keystone 2023.2's default roles: `manager` (the domain manager persona) in the chain admin > manager > member > reader. Off: Keystone Zed's roles and chain, admin > member > reader, for clients and suites written against Zed (openstackclient's functional suite counts the implications).",
    }),
  },
  security_compliance: {
    lockout_failure_attempts: opt.int({
      min: 1,
      help: 'Failed password attempts before a user is locked out for lockout_duration; unset disables lockout.',
    }),
    lockout_duration: opt.int({ default: 1800, min: 1, help: 'Seconds a locked-out user stays locked.' }),
    password_expires_days: opt.int({
      min: 0,
      help: 'Days a password stays valid after it is set; unset: never expires.',
    }),
    unique_last_password_count: opt.int({
      default: 0,
      min: 0,
      help: 'How many previous passwords a user may not reuse (0 or 1: only the current one is checked).',
    }),
    minimum_password_age: opt.int({
      default: 0,
      min: 0,
      help: 'Days a user must wait before changing their password again.',
    }),
    password_regex: opt.str({ help: 'A regular expression every new password must match.' }),
    password_regex_description: opt.str({ help: 'A human description of password_regex, shown on failure.' }),
    change_password_upon_first_use: opt.bool({
      default: false,
      help: 'Users must change a password an administrator set before they can use it.',
    }),
    disable_user_account_days_inactive: opt.int({
      min: 1,
      help: 'Days without authentication after which a user is treated as disabled.',
    }),
    allow_insecure_application_credential_trust_escalation: opt.bool({
      default: false,
      help: 'Insecure: let unrestricted application credentials create, list and delete trusts (restricted ones never may); by default no application credential token manages trusts.',
    }),
  },
  trust: {
    max_redelegation_count: opt.int({
      default: 3,
      min: 0,
      help: 'Longest chain of redelegated trusts; a trust may ask for less with redelegation_count.',
    }),
  },
  resource: {
    list_limit: listLimitOpt('projects or domains'),
    admin_project_name: opt.str({ help: 'The project whose admins are cloud admins (is_admin_project).' }),
    admin_project_domain_name: opt.str({ help: 'The domain of admin_project_name.' }),
    project_name_url_safe: opt.enum({
      choices: ['off', 'new', 'strict'] as const,
      default: 'off',
      help: 'Whether project names must be URL-safe.',
    }),
    domain_name_url_safe: opt.enum({
      choices: ['off', 'new', 'strict'] as const,
      default: 'off',
      help: 'Whether domain names must be URL-safe.',
    }),
  },
  role: { list_limit: listLimitOpt('roles') },
  unified_limit: {
    enforcement_model: opt.enum({
      choices: ['flat', 'strict_two_level'] as const,
      default: 'flat',
      help: 'How project limits relate to the project hierarchy: flat ignores it; strict_two_level keeps a project limit no higher than its domain limit, and a domain limit no lower than its projects.',
    }),
    list_limit: listLimitOpt('registered limits or limits'),
  },
  catalog: { list_limit: listLimitOpt('regions, services or endpoints') },
  policy: { list_limit: listLimitOpt('policies') },
  federation: {
    trusted_proxy_addresses: opt.list({
      default: [],
      help: 'Peer addresses (the front proxy or OIDC/SAML middleware) whose requests may carry asserted attributes for federated authentication; empty: no federated login is accepted.',
    }),
    assertion_header_prefix: opt.str({
      default: 'X-Federation-',
      help: "Request headers named <prefix><attribute> carry the asserted attribute <attribute> (case kept), as Keystone receives them from the web server's environment (REMOTE_USER, OIDC-..., Shib-...); several values are separated by ';'.",
    }),
    remote_id_attribute: opt.str({
      help: "The asserted attribute naming the identity provider's remote id, when a protocol names none; unset: not checked.",
    }),
  },
  credential: {
    auth_ttl: opt.int({
      default: 15,
      min: 0,
      help: 'Minutes a request signed with an EC2 credential (its Timestamp or X-Amz-Date) is accepted by /v3/ec2tokens and /v3/s3tokens.',
    }),
  },
  oauth1: {
    request_token_duration: opt.int({
      default: 28800,
      min: 0,
      help: 'Seconds an OAuth1 request token stays valid (0: forever).',
    }),
    access_token_duration: opt.int({
      default: 86400,
      min: 0,
      help: 'Seconds an OAuth1 access token stays valid (0: forever).',
    }),
  },
  saml: {
    relay_state_prefix: opt.str({
      default: 'ss:mem:',
      help: 'Default relay_state_prefix of new service providers.',
    }),
  },
  endpoint_filter: {
    return_all_endpoints_if_no_filter: opt.bool({
      default: true,
      help: 'A token of a project with no OS-EP-FILTER association gets the whole catalog (false: an empty one).',
    }),
  },
})

export type IdentityResourcesConfig = ConfigOf<typeof identityResourcesConfig>

/** The sections with their own list_limit (Keystone's drivers: `CONF.<section>.list_limit or CONF.list_limit`). */
export type ListSection = 'identity' | 'resource' | 'role' | 'catalog' | 'policy' | 'unified_limit'

export function listLimit(config: IdentityResourcesConfig, section: ListSection): number | undefined {
  return config[section].list_limit ?? config.DEFAULT.list_limit
}
