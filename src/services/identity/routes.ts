/**
 * Identity's route table: every route of Keystone v3 this service answers, with its
 * policy rule (Keystone's names, so operators' policy files keep working) or `public`,
 * and its body schema. plugin.ts mounts it with the kernel's `mountRoutes`, which also
 * answers 405 with `Allow` for the methods a path lacks.
 *
 * Where a rule is enforced:
 * - `route` (the default here): before the handler, against `target(req)` (no
 *   attributes unless given), when what the rule looks at comes from the request alone;
 * - `handler` (`BY_HANDLER`): most identity rules look at the object itself (a user's
 *   domain, a trust's trustor), so the handler loads it (404 first, as Keystone) and
 *   checks; the table then fails the request if the handler did not.
 */
import type { FastifyRequest } from 'fastify'
import type { HttpMethod, Route } from '../../kernel/http/index.js'
import * as authScopes from './handlers/auth-scopes.js'
import * as authTokens from './handlers/auth-tokens.js'
import * as catalog from './handlers/catalog.js'
import { params } from './handlers/common.js'
import * as credentials from './handlers/credentials.js'
import type { Handler, IdentityDeps } from './handlers/deps.js'
import * as ec2Tokens from './handlers/ec2-tokens.js'
import * as endpointPolicy from './handlers/endpoint-policy.js'
import * as extras from './handlers/extras.js'
import * as federation from './handlers/federation.js'
import * as limits from './handlers/limits.js'
import * as oauth1 from './handlers/oauth1.js'
import * as projects from './handlers/projects.js'
import * as roles from './handlers/roles.js'
import { type GrantKind, grantHandlers, grantRule } from './handlers/roles.js'
import * as users from './handlers/users.js'
import * as versions from './handlers/versions.js'
import * as policies from './policies/auth.js'
import { authRequest } from './schemas/auth.js'
import * as catalogSchemas from './schemas/catalog.js'
import * as credentialSchemas from './schemas/credentials.js'
import * as fedSchemas from './schemas/federation.js'
import * as limitSchemas from './schemas/limits.js'
import * as projectSchemas from './schemas/projects.js'
import * as roleSchemas from './schemas/roles.js'
import * as userSchemas from './schemas/users.js'

export type IdentityRoute = Route<IdentityDeps>

type Options = Omit<IdentityRoute, 'method' | 'path' | 'policy' | 'handler'>

function route(
  method: HttpMethod,
  path: string,
  policy: string | readonly string[],
  handler: Handler,
  options: Options = {},
): IdentityRoute {
  return { method, path, policy, handler, ...options }
}

function publicRoute(
  method: HttpMethod,
  path: string,
  handler: Handler,
  options: Options = {},
): IdentityRoute {
  return { method, path, public: true, handler, ...options }
}

/** The handler loads the object the rule looks at, and checks it. */
const BY_HANDLER: Options = { enforce: 'handler' }

// Policy targets built from the path alone.
const domainInPath = (req: FastifyRequest) => ({ domain: { id: params(req).id } })
const userInPath = (req: FastifyRequest) => ({ user_id: params(req).user, user: { id: params(req).user } })
const ec2Owner = (req: FastifyRequest) => {
  const user = params(req).user
  return { user_id: user, credential: { user_id: user } }
}

const AUTH: IdentityRoute[] = [
  publicRoute('GET', '/', versions.listVersions),
  publicRoute('GET', '/v3', versions.getVersion),
  // NOTE: HEAD is answered by the GET route; the handler checks check_token for it.
  route(
    'GET',
    '/v3/auth/tokens',
    [policies.VALIDATE_TOKEN, policies.CHECK_TOKEN],
    authTokens.validateToken,
    BY_HANDLER,
  ),
  publicRoute('POST', '/v3/auth/tokens', authTokens.issueToken, { body: authRequest }),
  route('DELETE', '/v3/auth/tokens', policies.REVOKE_TOKEN, authTokens.revokeToken, BY_HANDLER),
  route('GET', '/v3/auth/catalog', policies.GET_AUTH_CATALOG, authScopes.getAuthCatalog),
  route('GET', '/v3/auth/projects', policies.GET_AUTH_PROJECTS, authScopes.getAuthProjects),
  route('GET', '/v3/auth/domains', policies.GET_AUTH_DOMAINS, authScopes.getAuthDomains),
  route('GET', '/v3/auth/system', policies.GET_AUTH_SYSTEM, authScopes.getAuthSystem),
]

const PROJECTS: IdentityRoute[] = [
  route('GET', '/v3/domains', 'identity:list_domains', projects.listDomains),
  route('POST', '/v3/domains', 'identity:create_domain', projects.createDomain, {
    ...BY_HANDLER,
    body: projectSchemas.domainCreate,
  }),
  route('GET', '/v3/domains/:id', 'identity:get_domain', projects.getDomain, BY_HANDLER),
  // (the handler looks the domain up, then checks the policy, then the body)
  route('PATCH', '/v3/domains/:id', 'identity:update_domain', projects.updateDomain, BY_HANDLER),
  route('DELETE', '/v3/domains/:id', 'identity:delete_domain', projects.deleteDomain, {
    target: domainInPath,
  }),

  route('GET', '/v3/projects', 'identity:list_projects', projects.listProjects, BY_HANDLER),
  route('POST', '/v3/projects', 'identity:create_project', projects.createProject, {
    ...BY_HANDLER,
    body: projectSchemas.projectCreate,
  }),
  route('GET', '/v3/projects/:id', 'identity:get_project', projects.getProject, BY_HANDLER),
  // (the handler checks the policy, then the body, then looks the project up)
  route('PATCH', '/v3/projects/:id', 'identity:update_project', projects.updateProject, BY_HANDLER),
  route('DELETE', '/v3/projects/:id', 'identity:delete_project', projects.deleteProject, BY_HANDLER),

  route('GET', '/v3/projects/:id/tags', 'identity:list_project_tags', projects.listProjectTags, BY_HANDLER),
  route('PUT', '/v3/projects/:id/tags', 'identity:update_project_tags', projects.updateProjectTags, {
    ...BY_HANDLER,
    body: projectSchemas.tagsBody,
  }),
  route(
    'DELETE',
    '/v3/projects/:id/tags',
    'identity:delete_project_tags',
    projects.deleteProjectTags,
    BY_HANDLER,
  ),
  route('GET', '/v3/projects/:id/tags/:tag', 'identity:get_project_tag', projects.getProjectTag, BY_HANDLER),
  route(
    'PUT',
    '/v3/projects/:id/tags/:tag',
    'identity:create_project_tag',
    projects.createProjectTag,
    BY_HANDLER,
  ),
  route(
    'DELETE',
    '/v3/projects/:id/tags/:tag',
    'identity:delete_project_tag',
    projects.deleteProjectTag,
    BY_HANDLER,
  ),
]

const USERS: IdentityRoute[] = [
  route('GET', '/v3/users', 'identity:list_users', users.listUsers, BY_HANDLER),
  route('POST', '/v3/users', 'identity:create_user', users.createUser, {
    ...BY_HANDLER,
    body: userSchemas.userCreate,
  }),
  route('GET', '/v3/users/:id', 'identity:get_user', users.getUser, BY_HANDLER),
  route('PATCH', '/v3/users/:id', 'identity:update_user', users.updateUser, {
    ...BY_HANDLER,
    body: userSchemas.userUpdate,
  }),
  route('DELETE', '/v3/users/:id', 'identity:delete_user', users.deleteUser, BY_HANDLER),
  // NOTE: public as in Keystone, which leaves it without a policy: the original
  // password is the proof, so it works with an expired password and without a token.
  publicRoute('POST', '/v3/users/:id/password', users.changePassword, { body: userSchemas.passwordChange }),
  route('GET', '/v3/users/:id/groups', 'identity:list_groups_for_user', users.listGroupsForUser, BY_HANDLER),
  route('GET', '/v3/users/:id/projects', 'identity:list_user_projects', users.listUserProjects, BY_HANDLER),

  route('GET', '/v3/groups', 'identity:list_groups', users.listGroups, BY_HANDLER),
  route('POST', '/v3/groups', 'identity:create_group', users.createGroup, {
    ...BY_HANDLER,
    body: userSchemas.groupCreate,
  }),
  route('GET', '/v3/groups/:id', 'identity:get_group', users.getGroup, BY_HANDLER),
  route('PATCH', '/v3/groups/:id', 'identity:update_group', users.updateGroup, {
    ...BY_HANDLER,
    body: userSchemas.groupUpdate,
  }),
  route('DELETE', '/v3/groups/:id', 'identity:delete_group', users.deleteGroup, BY_HANDLER),
  route('GET', '/v3/groups/:id/users', 'identity:list_users_in_group', users.listUsersInGroup, BY_HANDLER),
  route('PUT', '/v3/groups/:id/users/:user', 'identity:add_user_to_group', users.addUserToGroup, BY_HANDLER),
  route(
    'GET',
    '/v3/groups/:id/users/:user',
    'identity:check_user_in_group',
    users.checkUserInGroup,
    BY_HANDLER,
  ),
  route(
    'DELETE',
    '/v3/groups/:id/users/:user',
    'identity:remove_user_from_group',
    users.removeUserFromGroup,
    BY_HANDLER,
  ),
]

/** Grants: an actor's roles on a target, and OS-INHERIT's inherited ones. */
const GRANT_FAMILIES: Array<{ base: string; kind: GrantKind }> = [
  ...(['project', 'domain', 'system'] as const).flatMap((target) =>
    (['user', 'group'] as const).map((actor) => ({
      base: `${target === 'system' ? '/v3/system' : `/v3/${target}s/:target`}/${actor}s/:actor/roles`,
      kind: { target, actor, inherited: false },
    })),
  ),
  ...(['project', 'domain'] as const).flatMap((target) =>
    (['user', 'group'] as const).map((actor) => ({
      base: `/v3/OS-INHERIT/${target}s/:target/${actor}s/:actor/roles`,
      kind: { target, actor, inherited: true },
    })),
  ),
]

const GRANTS: IdentityRoute[] = GRANT_FAMILIES.flatMap(({ base, kind }) => {
  const h = grantHandlers(kind)
  const suffix = kind.inherited ? '/inherited_to_projects' : ''
  return [
    route('GET', `${base}${suffix}`, grantRule(kind, 'list'), h.list, BY_HANDLER),
    route('PUT', `${base}/:role${suffix}`, grantRule(kind, 'create'), h.create, BY_HANDLER),
    route('GET', `${base}/:role${suffix}`, grantRule(kind, 'check'), h.check, BY_HANDLER),
    route('DELETE', `${base}/:role${suffix}`, grantRule(kind, 'revoke'), h.revoke, BY_HANDLER),
  ]
})

const ROLES: IdentityRoute[] = [
  // Domain-specific roles have their own rules; the handler picks by the role (or filter).
  route(
    'GET',
    '/v3/roles',
    ['identity:list_roles', 'identity:list_domain_roles'],
    roles.listRoles,
    BY_HANDLER,
  ),
  route('POST', '/v3/roles', ['identity:create_role', 'identity:create_domain_role'], roles.createRole, {
    ...BY_HANDLER,
    body: roleSchemas.roleCreate,
  }),
  route('GET', '/v3/roles/:id', ['identity:get_role', 'identity:get_domain_role'], roles.getRole, BY_HANDLER),
  route('PATCH', '/v3/roles/:id', ['identity:update_role', 'identity:update_domain_role'], roles.updateRole, {
    ...BY_HANDLER,
    body: roleSchemas.roleUpdate,
  }),
  route(
    'DELETE',
    '/v3/roles/:id',
    ['identity:delete_role', 'identity:delete_domain_role'],
    roles.deleteRole,
    BY_HANDLER,
  ),

  route('GET', '/v3/roles/:id/implies', 'identity:list_implied_roles', roles.listImpliedRoles),
  route('PUT', '/v3/roles/:id/implies/:implied', 'identity:create_implied_role', roles.createImpliedRole),
  // NOTE: HEAD is answered by the GET route, with check_implied_role.
  route(
    'GET',
    '/v3/roles/:id/implies/:implied',
    ['identity:get_implied_role', 'identity:check_implied_role'],
    roles.getImpliedRole,
    BY_HANDLER,
  ),
  route('DELETE', '/v3/roles/:id/implies/:implied', 'identity:delete_implied_role', roles.deleteImpliedRole),
  route('GET', '/v3/role_inferences', 'identity:list_role_inference_rules', roles.listRoleInferenceRules),
  ...GRANTS,
  route(
    'GET',
    '/v3/role_assignments',
    ['identity:list_role_assignments', 'identity:list_role_assignments_for_tree'],
    roles.listRoleAssignments,
    BY_HANDLER,
  ),
]

const EG = '/v3/OS-EP-FILTER/endpoint_groups'
const PE = '/v3/OS-EP-FILTER/projects/:project/endpoints'

const CATALOG: IdentityRoute[] = [
  route('GET', '/v3/regions', 'identity:list_regions', catalog.listRegions),
  route('POST', '/v3/regions', 'identity:create_region', catalog.createRegion, {
    body: catalogSchemas.regionCreate,
  }),
  route('PUT', '/v3/regions/:id', 'identity:create_region', catalog.createRegionWithId, {
    body: catalogSchemas.regionCreate,
  }),
  route('GET', '/v3/regions/:id', 'identity:get_region', catalog.getRegion),
  route('PATCH', '/v3/regions/:id', 'identity:update_region', catalog.updateRegion, {
    body: catalogSchemas.regionUpdate,
  }),
  route('DELETE', '/v3/regions/:id', 'identity:delete_region', catalog.deleteRegion),

  route('GET', '/v3/services', 'identity:list_services', catalog.listServices),
  route('POST', '/v3/services', 'identity:create_service', catalog.createService, {
    body: catalogSchemas.serviceCreate,
  }),
  route('GET', '/v3/services/:id', 'identity:get_service', catalog.getService),
  route('PATCH', '/v3/services/:id', 'identity:update_service', catalog.updateService, {
    body: catalogSchemas.serviceUpdate,
  }),
  route('DELETE', '/v3/services/:id', 'identity:delete_service', catalog.deleteService),

  route('GET', '/v3/endpoints', 'identity:list_endpoints', catalog.listEndpoints),
  route('POST', '/v3/endpoints', 'identity:create_endpoint', catalog.createEndpoint, {
    body: catalogSchemas.endpointCreate,
  }),
  route('GET', '/v3/endpoints/:id', 'identity:get_endpoint', catalog.getEndpoint, BY_HANDLER),
  route('PATCH', '/v3/endpoints/:id', 'identity:update_endpoint', catalog.updateEndpoint, {
    ...BY_HANDLER,
    body: catalogSchemas.endpointUpdate,
  }),
  route('DELETE', '/v3/endpoints/:id', 'identity:delete_endpoint', catalog.deleteEndpoint, BY_HANDLER),

  route('GET', EG, 'identity:list_endpoint_groups', catalog.listEndpointGroups),
  route('POST', EG, 'identity:create_endpoint_group', catalog.createEndpointGroup, {
    body: catalogSchemas.endpointGroupCreate,
  }),
  route('GET', `${EG}/:id`, 'identity:get_endpoint_group', catalog.getEndpointGroup),
  route('PATCH', `${EG}/:id`, 'identity:update_endpoint_group', catalog.updateEndpointGroup, {
    body: catalogSchemas.endpointGroupUpdate,
  }),
  route('DELETE', `${EG}/:id`, 'identity:delete_endpoint_group', catalog.deleteEndpointGroup),
  route(
    'GET',
    `${EG}/:id/endpoints`,
    'identity:list_endpoints_associated_with_endpoint_group',
    catalog.listEndpointsAssociatedWithEndpointGroup,
  ),
  route(
    'GET',
    `${EG}/:id/projects`,
    'identity:list_projects_associated_with_endpoint_group',
    catalog.listProjectsAssociatedWithEndpointGroup,
  ),
  route(
    'PUT',
    `${EG}/:id/projects/:project`,
    'identity:add_endpoint_group_to_project',
    catalog.addEndpointGroupToProject,
  ),
  route(
    'GET',
    `${EG}/:id/projects/:project`,
    'identity:get_endpoint_group_in_project',
    catalog.getEndpointGroupInProject,
  ),
  route(
    'DELETE',
    `${EG}/:id/projects/:project`,
    'identity:remove_endpoint_group_from_project',
    catalog.removeEndpointGroupFromProject,
  ),

  route(
    'GET',
    '/v3/OS-EP-FILTER/endpoints/:id/projects',
    'identity:list_projects_for_endpoint',
    catalog.listProjectsForEndpoint,
  ),
  route('GET', PE, 'identity:list_endpoints_for_project', catalog.listEndpointsForProject),
  route('PUT', `${PE}/:id`, 'identity:add_endpoint_to_project', catalog.addEndpointToProject),
  route('GET', `${PE}/:id`, 'identity:check_endpoint_in_project', catalog.checkEndpointInProject),
  route('DELETE', `${PE}/:id`, 'identity:remove_endpoint_from_project', catalog.removeEndpointFromProject),
  route(
    'GET',
    '/v3/OS-EP-FILTER/projects/:project/endpoint_groups',
    'identity:list_endpoint_groups_for_project',
    catalog.listEndpointGroupsForProject,
  ),
]

const EC2 = '/v3/users/:user/credentials/OS-EC2'
const AC = '/v3/users/:user/application_credentials'
const AR = '/v3/users/:user/access_rules'

const CREDENTIALS: IdentityRoute[] = [
  route('GET', '/v3/credentials', 'identity:list_credentials', credentials.listCredentials, BY_HANDLER),
  route('POST', '/v3/credentials', 'identity:create_credential', credentials.createCredential, {
    ...BY_HANDLER,
    body: credentialSchemas.credentialCreate,
  }),
  route('GET', '/v3/credentials/:id', 'identity:get_credential', credentials.getCredential, BY_HANDLER),
  route('PATCH', '/v3/credentials/:id', 'identity:update_credential', credentials.updateCredential, {
    ...BY_HANDLER,
    body: credentialSchemas.credentialUpdate,
  }),
  route(
    'DELETE',
    '/v3/credentials/:id',
    'identity:delete_credential',
    credentials.deleteCredential,
    BY_HANDLER,
  ),

  route('GET', EC2, 'identity:ec2_list_credentials', credentials.ec2ListCredentials, { target: ec2Owner }),
  route('POST', EC2, 'identity:ec2_create_credential', credentials.ec2CreateCredential, {
    target: ec2Owner,
    body: credentialSchemas.ec2Create,
  }),
  route('GET', `${EC2}/:access`, 'identity:ec2_get_credential', credentials.ec2GetCredential, BY_HANDLER),
  route(
    'DELETE',
    `${EC2}/:access`,
    'identity:ec2_delete_credential',
    credentials.ec2DeleteCredential,
    BY_HANDLER,
  ),

  route('GET', AC, 'identity:list_application_credentials', credentials.listApplicationCredentials, {
    target: userInPath,
  }),
  route('POST', AC, 'identity:create_application_credential', credentials.createApplicationCredential, {
    target: (req) => ({ user_id: params(req).user }),
    body: credentialSchemas.appCredCreate,
  }),
  route(
    'GET',
    `${AC}/:id`,
    'identity:get_application_credential',
    credentials.getApplicationCredential,
    BY_HANDLER,
  ),
  route(
    'DELETE',
    `${AC}/:id`,
    'identity:delete_application_credential',
    credentials.deleteApplicationCredential,
    BY_HANDLER,
  ),

  route('GET', AR, 'identity:list_access_rules', credentials.listAccessRules, { target: userInPath }),
  route('GET', `${AR}/:id`, 'identity:get_access_rule', credentials.getAccessRule, { target: userInPath }),
  route('DELETE', `${AR}/:id`, 'identity:delete_access_rule', credentials.deleteAccessRule, {
    target: userInPath,
  }),
]

const C = '/v3/OS-OAUTH1/consumers'
const T = '/v3/OS-TRUST/trusts'
const DC = '/v3/domains/:id/config'

const EXTRAS: IdentityRoute[] = [
  route('GET', '/v3/policies', 'identity:list_policies', extras.listPolicies),
  route('POST', '/v3/policies', 'identity:create_policy', extras.createPolicy, {
    body: credentialSchemas.policyCreate,
  }),
  route('GET', '/v3/policies/:id', 'identity:get_policy', extras.getPolicy),
  route('PATCH', '/v3/policies/:id', 'identity:update_policy', extras.updatePolicy, {
    body: credentialSchemas.policyUpdate,
  }),
  route('DELETE', '/v3/policies/:id', 'identity:delete_policy', extras.deletePolicy),

  route('GET', C, 'identity:list_consumers', extras.listConsumers),
  // NOTE: a POST without a body creates a consumer without a description.
  route('POST', C, 'identity:create_consumer', extras.createConsumer, {
    body: (req) => (req.body == null ? undefined : credentialSchemas.consumerCreate),
  }),
  route('GET', `${C}/:id`, 'identity:get_consumer', extras.getConsumer),
  route('PATCH', `${C}/:id`, 'identity:update_consumer', extras.updateConsumer, {
    body: credentialSchemas.consumerUpdate,
  }),
  route('DELETE', `${C}/:id`, 'identity:delete_consumer', extras.deleteConsumer),

  // The filter picks the rule: trustor, trustee, or neither.
  route(
    'GET',
    T,
    ['identity:list_trusts', 'identity:list_trusts_for_trustor', 'identity:list_trusts_for_trustee'],
    extras.listTrusts,
    BY_HANDLER,
  ),
  route('POST', T, 'identity:create_trust', extras.createTrust, {
    ...BY_HANDLER,
    body: credentialSchemas.trustCreate,
  }),
  route('GET', `${T}/:id`, 'identity:get_trust', extras.getTrust, BY_HANDLER),
  route('DELETE', `${T}/:id`, 'identity:delete_trust', extras.deleteTrust, BY_HANDLER),
  route('GET', `${T}/:id/roles`, 'identity:list_roles_for_trust', extras.listRolesForTrust, BY_HANDLER),
  route('GET', `${T}/:id/roles/:role`, 'identity:get_role_for_trust', extras.getRoleForTrust, BY_HANDLER),

  route(
    'GET',
    '/v3/domains/config/default',
    'identity:get_domain_config_default',
    extras.getDomainConfigDefault,
  ),
  route(
    'GET',
    '/v3/domains/config/:group/default',
    'identity:get_domain_config_default',
    extras.getDomainConfigGroupDefault,
  ),
  route(
    'GET',
    '/v3/domains/config/:group/:option/default',
    'identity:get_domain_config_default',
    extras.getDomainConfigOptionDefault,
  ),
  route('PUT', DC, 'identity:create_domain_config', extras.createDomainConfig, {
    body: credentialSchemas.domainConfig,
  }),
  route('GET', DC, 'identity:get_domain_config', extras.getDomainConfig),
  route(
    'GET',
    `${DC}/security_compliance`,
    'identity:get_security_compliance_domain_config',
    extras.getSecurityCompliance,
  ),
  route(
    'GET',
    `${DC}/security_compliance/:option`,
    'identity:get_security_compliance_domain_config',
    extras.getSecurityCompliance,
  ),
  route('PATCH', DC, 'identity:update_domain_config', extras.updateDomainConfig, {
    body: credentialSchemas.domainConfig,
  }),
  route('DELETE', DC, 'identity:delete_domain_config', extras.deleteDomainConfig),
  route('GET', `${DC}/:group`, 'identity:get_domain_config', extras.getDomainConfigGroup),
  route('PATCH', `${DC}/:group`, 'identity:update_domain_config', extras.updateDomainConfigGroup, {
    body: credentialSchemas.domainConfig,
  }),
  route('DELETE', `${DC}/:group`, 'identity:delete_domain_config', extras.deleteDomainConfigGroup),
  route('GET', `${DC}/:group/:option`, 'identity:get_domain_config', extras.getDomainConfigOption),
  route('PATCH', `${DC}/:group/:option`, 'identity:update_domain_config', extras.updateDomainConfigOption, {
    body: credentialSchemas.domainConfigOption,
  }),
  route('DELETE', `${DC}/:group/:option`, 'identity:delete_domain_config', extras.deleteDomainConfigOption),
]

const IDP = '/v3/OS-FEDERATION/identity_providers/:idp'
const MAP = '/v3/OS-FEDERATION/mappings'
const SP = '/v3/OS-FEDERATION/service_providers'

/** OS-FEDERATION. */
const FEDERATION: IdentityRoute[] = [
  route(
    'GET',
    '/v3/OS-FEDERATION/identity_providers',
    'identity:list_identity_providers',
    federation.listIdps,
  ),
  route('GET', IDP, 'identity:get_identity_provider', federation.getIdp),
  route('PUT', IDP, 'identity:create_identity_provider', federation.createIdp, {
    body: fedSchemas.idpCreate,
  }),
  route('PATCH', IDP, 'identity:update_identity_provider', federation.updateIdp, {
    body: fedSchemas.idpUpdate,
  }),
  route('DELETE', IDP, 'identity:delete_identity_provider', federation.deleteIdp),
  route('GET', `${IDP}/protocols`, 'identity:list_protocols', federation.listProtocols),
  route('GET', `${IDP}/protocols/:protocol`, 'identity:get_protocol', federation.getProtocol),
  route('PUT', `${IDP}/protocols/:protocol`, 'identity:create_protocol', federation.createProtocol, {
    body: fedSchemas.protocolCreate,
  }),
  route('PATCH', `${IDP}/protocols/:protocol`, 'identity:update_protocol', federation.updateProtocol, {
    body: fedSchemas.protocolUpdate,
  }),
  route('DELETE', `${IDP}/protocols/:protocol`, 'identity:delete_protocol', federation.deleteProtocol),
  publicRoute('GET', `${IDP}/protocols/:protocol/auth`, federation.federatedAuth),
  publicRoute('POST', `${IDP}/protocols/:protocol/auth`, federation.federatedAuth),
  route('GET', MAP, 'identity:list_mappings', federation.listMappings),
  route('GET', `${MAP}/:id`, 'identity:get_mapping', federation.getMapping),
  route('PUT', `${MAP}/:id`, 'identity:create_mapping', federation.createMapping, {
    body: fedSchemas.mappingBody,
  }),
  route('PATCH', `${MAP}/:id`, 'identity:update_mapping', federation.updateMapping, {
    body: fedSchemas.mappingBody,
  }),
  route('DELETE', `${MAP}/:id`, 'identity:delete_mapping', federation.deleteMapping),
  route('GET', SP, 'identity:list_service_providers', federation.listSps),
  route('GET', `${SP}/:id`, 'identity:get_service_provider', federation.getSp),
  route('PUT', `${SP}/:id`, 'identity:create_service_provider', federation.createSp, {
    body: fedSchemas.spCreate,
  }),
  route('PATCH', `${SP}/:id`, 'identity:update_service_provider', federation.updateSp, {
    body: fedSchemas.spUpdate,
  }),
  route('DELETE', `${SP}/:id`, 'identity:delete_service_provider', federation.deleteSp),
  // The deprecated OS-FEDERATION twins of /v3/auth/projects and /v3/auth/domains.
  route('GET', '/v3/OS-FEDERATION/projects', policies.GET_AUTH_PROJECTS, authScopes.getAuthProjects),
  route('GET', '/v3/OS-FEDERATION/domains', policies.GET_AUTH_DOMAINS, authScopes.getAuthDomains),
]

const EP = '/v3/policies/:id/OS-ENDPOINT-POLICY'

/** OS-ENDPOINT-POLICY. */
const ENDPOINT_POLICY: IdentityRoute[] = [
  route(
    'GET',
    `${EP}/endpoints`,
    'identity:list_endpoints_for_policy',
    endpointPolicy.listEndpointsForPolicy,
  ),
  ...(
    [
      ['endpoint', `${EP}/endpoints/:endpoint`],
      ['service', `${EP}/services/:service`],
      ['region_and_service', `${EP}/services/:service/regions/:region`],
    ] as const
  ).flatMap(([what, path]) => [
    route('PUT', path, `identity:create_policy_association_for_${what}`, endpointPolicy.associate),
    route('GET', path, `identity:check_policy_association_for_${what}`, endpointPolicy.checkAssociation),
    route('DELETE', path, `identity:delete_policy_association_for_${what}`, endpointPolicy.dissociate),
  ]),
  route(
    'GET',
    '/v3/endpoints/:id/OS-ENDPOINT-POLICY/policy',
    'identity:get_policy_for_endpoint',
    endpointPolicy.getPolicyForEndpoint,
  ),
]

const OA = '/v3/users/:user/OS-OAUTH1/access_tokens'

/** OS-OAUTH1's flow and access tokens (consumers are with the extras), EC2 and S3 token validation. */
const DELEGATION: IdentityRoute[] = [
  publicRoute('POST', '/v3/OS-OAUTH1/request_token', oauth1.createRequestToken),
  publicRoute('POST', '/v3/OS-OAUTH1/access_token', oauth1.createAccessToken),
  route(
    'PUT',
    '/v3/OS-OAUTH1/authorize/:id',
    'identity:authorize_request_token',
    oauth1.authorizeRequestToken,
    {
      body: fedSchemas.oauthAuthorize,
    },
  ),
  route('GET', OA, 'identity:list_access_tokens', oauth1.listAccessTokens, { target: userInPath }),
  route('GET', `${OA}/:id`, 'identity:get_access_token', oauth1.getAccessToken, { target: userInPath }),
  route('DELETE', `${OA}/:id`, 'identity:delete_access_token', oauth1.deleteAccessToken, {
    target: userInPath,
  }),
  route('GET', `${OA}/:id/roles`, 'identity:list_access_token_roles', oauth1.listAccessTokenRoles, {
    target: userInPath,
  }),
  route('GET', `${OA}/:id/roles/:role`, 'identity:get_access_token_role', oauth1.getAccessTokenRole, {
    target: userInPath,
  }),
  route('POST', '/v3/ec2tokens', 'identity:ec2tokens_validate', ec2Tokens.ec2Tokens),
  route('POST', '/v3/s3tokens', 'identity:s3tokens_validate', ec2Tokens.s3Tokens),
]

const RL = '/v3/registered_limits'
const L = '/v3/limits'

/** Unified limits; a limit's readers are decided by the limit itself (its domain, its project). */
const LIMITS: IdentityRoute[] = [
  route('GET', RL, 'identity:list_registered_limits', limits.listRegisteredLimits),
  route('POST', RL, 'identity:create_registered_limits', limits.createRegisteredLimits, {
    body: limitSchemas.registeredLimitsCreate,
  }),
  route('GET', `${RL}/:id`, 'identity:get_registered_limit', limits.getRegisteredLimit),
  route('PATCH', `${RL}/:id`, 'identity:update_registered_limit', limits.updateRegisteredLimit, {
    body: limitSchemas.registeredLimitUpdate,
  }),
  route('DELETE', `${RL}/:id`, 'identity:delete_registered_limit', limits.deleteRegisteredLimit),

  route('GET', `${L}/model`, 'identity:get_limit_model', limits.getLimitModel),
  route('GET', L, 'identity:list_limits', limits.listLimits),
  route('POST', L, 'identity:create_limits', limits.createLimits, { body: limitSchemas.limitsCreate }),
  route('GET', `${L}/:id`, 'identity:get_limit', limits.getLimit, BY_HANDLER),
  route('PATCH', `${L}/:id`, 'identity:update_limit', limits.updateLimit, { body: limitSchemas.limitUpdate }),
  route('DELETE', `${L}/:id`, 'identity:delete_limit', limits.deleteLimit),
]

/** Every identity route. */
export const ROUTES: readonly IdentityRoute[] = [
  ...AUTH,
  ...PROJECTS,
  ...USERS,
  ...ROLES,
  ...CATALOG,
  ...CREDENTIALS,
  ...EXTRAS,
  ...LIMITS,
  ...FEDERATION,
  ...ENDPOINT_POLICY,
  ...DELEGATION,
]
