/**
 * Kysely table types for identity's resource half (domains, projects, users, groups,
 * roles, assignments, catalog, credentials, trusts and the rest).
 *
 * Conventions, the same on SQLite, PostgreSQL and MariaDB:
 * - ids are varchar(64) (uuid4 hex, or an operator-chosen id for regions);
 * - booleans are integers 0/1;
 * - times are ISO 8601 UTC strings (`2024-01-02T03:04:05.000Z`) in varchar(32);
 * - free-form attributes (Keystone's "extra") are JSON text.
 *
 * Table names carry an `identity_` prefix so services may share one server database.
 * The auth half adds its own tables in storage/token-schema.ts.
 */

/** The parent of every domain row (Keystone's `<<keystone.domain.root>>`). */
export const ROOT_DOMAIN_ID = '<<keystone.domain.root>>'
/** Stands for "no domain" in the role table so the unique key works on every dialect. */
export const NULL_DOMAIN_ID = '<<null>>'

export interface ProjectTable {
  id: string
  name: string
  /** For domains: ROOT_DOMAIN_ID. */
  domain_id: string
  parent_id: string | null
  is_domain: number
  enabled: number
  description: string | null
  extra: string
}

export interface ProjectTagTable {
  project_id: string
  name: string
}

export interface UserTable {
  id: string
  domain_id: string
  name: string
  enabled: number
  default_project_id: string | null
  description: string | null
  extra: string
  options: string
  created_at: string
  last_active_at: string | null
  failed_auth_count: number
  failed_auth_at: string | null
}

export interface PasswordTable {
  id: string
  user_id: string
  password_hash: string
  created_at: string
  expires_at: string | null
  self_service: number
}

export interface GroupTable {
  id: string
  domain_id: string
  name: string
  description: string | null
  extra: string
}

export interface MembershipTable {
  user_id: string
  group_id: string
}

export interface RoleTable {
  id: string
  name: string
  /** NULL_DOMAIN_ID for global roles. */
  domain_id: string
  description: string | null
  extra: string
  options: string
}

export interface ImpliedRoleTable {
  prior_role_id: string
  implied_role_id: string
}

export type AssignmentType =
  | 'UserProject'
  | 'GroupProject'
  | 'UserDomain'
  | 'GroupDomain'
  | 'UserSystem'
  | 'GroupSystem'

export interface AssignmentTable {
  type: AssignmentType
  actor_id: string
  /** A project or domain id, or 'system'. */
  target_id: string
  role_id: string
  inherited: number
}

export interface RegionTable {
  id: string
  description: string
  parent_region_id: string | null
  extra: string
}

export interface ServiceTable {
  id: string
  type: string
  enabled: number
  extra: string
}

export interface EndpointTable {
  id: string
  service_id: string
  region_id: string | null
  interface: string
  url: string
  enabled: number
  extra: string
}

export interface EndpointGroupTable {
  id: string
  name: string
  description: string | null
  filters: string
}

export interface ProjectEndpointGroupTable {
  endpoint_group_id: string
  project_id: string
}

export interface ProjectEndpointTable {
  endpoint_id: string
  project_id: string
}

export interface CredentialTable {
  id: string
  user_id: string
  project_id: string | null
  type: string
  /** For EC2 credentials: the access key, so lookups by access key are indexed. */
  key_hash: string | null
  blob: string
  extra: string
}

export interface ApplicationCredentialTable {
  id: string
  name: string
  user_id: string
  project_id: string
  secret_hash: string
  description: string | null
  expires_at: string | null
  unrestricted: number
  created_at: string
}

export interface ApplicationCredentialRoleTable {
  application_credential_id: string
  role_id: string
}

export interface AccessRuleTable {
  id: string
  user_id: string
  service: string
  path: string
  method: string
}

export interface ApplicationCredentialAccessRuleTable {
  application_credential_id: string
  access_rule_id: string
}

export interface PolicyTable {
  id: string
  type: string
  blob: string
  extra: string
}

export interface ConsumerTable {
  id: string
  description: string | null
  secret: string
  extra: string
}

export interface TrustTable {
  id: string
  trustor_user_id: string
  trustee_user_id: string
  project_id: string | null
  impersonation: number
  expires_at: string | null
  remaining_uses: number | null
  redelegated_trust_id: string | null
  redelegation_count: number | null
  created_at: string
  extra: string
}

export interface TrustRoleTable {
  trust_id: string
  role_id: string
}

export interface DomainConfigTable {
  domain_id: string
  group_name: string
  option_name: string
  /** JSON-encoded value. */
  value: string
  sensitive: number
}

/** A unified limit's default for every project: one per service, region and resource. */
export interface RegisteredLimitTable {
  id: string
  service_id: string
  region_id: string | null
  /** region_id, or '' for none: lets a unique key cover the region on every dialect. */
  region_key: string
  resource_name: string
  default_limit: number
  description: string | null
}

/** A project's or a domain's own value of a registered limit. */
export interface LimitTable {
  id: string
  registered_limit_id: string
  project_id: string | null
  domain_id: string | null
  /** project_id or domain_id: one limit per registered limit and owner. */
  owner_key: string
  resource_limit: number
  description: string | null
}

/** OS-FEDERATION: an identity provider; its users land in `domain_id`. */
export interface IdpTable {
  id: string
  enabled: number
  description: string | null
  domain_id: string
  authorization_ttl: number | null
}

export interface IdpRemoteIdTable {
  remote_id: string
  idp_id: string
}

export interface MappingTable {
  id: string
  /** JSON: the rules array. */
  rules: string
  schema_version: string
}

export interface FederationProtocolTable {
  id: string
  idp_id: string
  mapping_id: string
  remote_id_attribute: string | null
}

export interface ServiceProviderTable {
  id: string
  enabled: number
  description: string | null
  auth_url: string
  sp_url: string
  relay_state_prefix: string | null
}

/** The shadow user a federated identity maps to, and the groups its last login granted. */
export interface FederatedUserTable {
  user_id: string
  idp_id: string
  protocol_id: string
  unique_id: string
  display_name: string | null
  /** JSON array of group ids. */
  group_ids: string
}

export interface OAuthRequestTokenTable {
  id: string
  secret: string
  consumer_id: string
  requested_project_id: string
  /** JSON array of role ids, set when authorized. */
  role_ids: string | null
  verifier: string | null
  authorizing_user_id: string | null
  expires_at: string | null
}

export interface OAuthAccessTokenTable {
  id: string
  secret: string
  consumer_id: string
  project_id: string
  role_ids: string
  authorizing_user_id: string
  expires_at: string | null
}

/** OS-ENDPOINT-POLICY: a policy for an endpoint, a service, or a service in a region. */
export interface PolicyAssociationTable {
  id: string
  policy_id: string
  endpoint_id: string | null
  service_id: string | null
  region_id: string | null
  /** endpoint_id|service_id|region_id: one policy per target. */
  target_key: string
}

export interface IdentityDB {
  identity_project: ProjectTable
  identity_project_tag: ProjectTagTable
  identity_user: UserTable
  identity_password: PasswordTable
  identity_group: GroupTable
  identity_membership: MembershipTable
  identity_role: RoleTable
  identity_implied_role: ImpliedRoleTable
  identity_assignment: AssignmentTable
  identity_region: RegionTable
  identity_service: ServiceTable
  identity_endpoint: EndpointTable
  identity_endpoint_group: EndpointGroupTable
  identity_project_endpoint_group: ProjectEndpointGroupTable
  identity_project_endpoint: ProjectEndpointTable
  identity_credential: CredentialTable
  identity_app_cred: ApplicationCredentialTable
  identity_app_cred_role: ApplicationCredentialRoleTable
  identity_access_rule: AccessRuleTable
  identity_app_cred_access_rule: ApplicationCredentialAccessRuleTable
  identity_policy: PolicyTable
  identity_consumer: ConsumerTable
  identity_trust: TrustTable
  identity_trust_role: TrustRoleTable
  identity_domain_config: DomainConfigTable
  identity_registered_limit: RegisteredLimitTable
  identity_limit: LimitTable
  identity_idp: IdpTable
  identity_idp_remote_id: IdpRemoteIdTable
  identity_mapping: MappingTable
  identity_federation_protocol: FederationProtocolTable
  identity_service_provider: ServiceProviderTable
  identity_federated_user: FederatedUserTable
  identity_oauth_request_token: OAuthRequestTokenTable
  identity_oauth_access_token: OAuthAccessTokenTable
  identity_policy_association: PolicyAssociationTable
}
