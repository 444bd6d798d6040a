/**
 * The seam inside identity between its two halves:
 *
 *   resources (domains, projects, users, groups, roles, assignments, credentials,
 *   application credentials, catalog)  ──provides──▶  AuthnPorts
 *   auth (token issue/validate/revoke, /v3/auth/*)  ──provides──▶  RevocationSink
 *
 * Token issue asks AuthnPorts who the user is and what roles they hold; every change
 * that must end existing tokens (user disabled, password changed, assignment removed,
 * project disabled or deleted...) is told to the RevocationSink.
 */

export interface DomainRecord {
  id: string
  name: string
  enabled: boolean
}

export interface ProjectRecord {
  id: string
  name: string
  domain_id: string
  enabled: boolean
  /** True for domains stored as projects (Keystone's is_domain). */
  is_domain: boolean
  parent_id: string | null
}

export interface UserRecord {
  id: string
  name: string
  domain_id: string
  enabled: boolean
  default_project_id: string | null
  /** ISO time the password expires, or null (PCI-DSS password_expires_days). */
  password_expires_at: string | null
  options: Record<string, unknown>
}

export interface RoleRef {
  id: string
  name: string
  /** null for global roles. */
  domain_id: string | null
}

export interface ApplicationCredentialRecord {
  id: string
  name: string
  user_id: string
  project_id: string
  roles: RoleRef[]
  unrestricted: boolean
  expires_at: string | null
  access_rules: Array<{ id?: string; service: string; path: string; method: string }>
}

export interface CatalogEndpoint {
  id: string
  interface: 'public' | 'internal' | 'admin'
  region: string | null
  region_id: string | null
  url: string
}

export interface CatalogService {
  id: string
  type: string
  name: string
  endpoints: CatalogEndpoint[]
}

export interface ScopeRef {
  projectId?: string
  domainId?: string
  system?: boolean
}

export interface NameOrId {
  id?: string
  name?: string
  domain?: { id?: string; name?: string }
}

/** What token issue needs from the resource half. */
export interface AuthnPorts {
  findUser(ref: NameOrId): Promise<UserRecord | undefined>
  /**
   * Checks a password and applies lockout rules (failure counting, lockout duration)
   * and expiry. Throws the kernel's Unauthorized with a message that never says whether
   * the user exists.
   */
  checkPassword(user: UserRecord, password: string): Promise<void>
  findProject(ref: NameOrId): Promise<ProjectRecord | undefined>
  findDomain(ref: { id?: string; name?: string }): Promise<DomainRecord | undefined>
  /**
   * Effective roles of a user on a scope: direct and group assignments, inherited
   * assignments from parent projects and the owning domain, implied roles expanded.
   */
  effectiveRoles(userId: string, scope: ScopeRef): Promise<RoleRef[]>
  findApplicationCredential(ref: {
    id?: string
    name?: string
    user?: NameOrId
  }): Promise<ApplicationCredentialRecord | undefined>
  /** Throws Unauthorized when the secret does not match. */
  checkApplicationCredentialSecret(credential: ApplicationCredentialRecord, secret: string): Promise<void>
  /** The catalog of a token; a project scope applies its OS-EP-FILTER associations. */
  catalog(projectId?: string): Promise<CatalogService[]>
  /** Projects the user has any role on (for /v3/auth/projects). */
  projectsForUser(userId: string): Promise<ProjectRecord[]>
  /** Domains the user has any role on (for /v3/auth/domains). */
  domainsForUser(userId: string): Promise<DomainRecord[]>
}

/** A Keystone-style revocation event: tokens matching every set field and issued before `issued_before` die. */
export interface RevocationEvent {
  user_id?: string
  project_id?: string
  domain_id?: string
  role_id?: string
  audit_id?: string
  audit_chain_id?: string
  /** Tokens scoped by this trust (Keystone's trust_id events). */
  trust_id?: string
  /** Tokens issued from this application credential. */
  application_credential_id?: string
  /** Tokens issued at or before this ISO time are revoked. */
  issued_before: string
}

/** Provided by the auth half; the resource half calls it whenever tokens must die. */
export interface RevocationSink {
  record(event: RevocationEvent): Promise<void>
}
