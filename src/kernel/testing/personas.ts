/**
 * The personas of OpenStack's secure-RBAC defaults, as token identities: system,
 * domain and project admin/manager/member/reader, and outsiders (another project,
 * another domain). Tests give a persona's token and expect what the policy defaults say.
 */
import type { AuthenticatedIdentity } from '../auth/index.js'

/** The projects and domains the personas live in. */
export const WORLD = {
  domain: 'default',
  otherDomain: 'd-other',
  project: 'p-own',
  otherProject: 'p-other',
} as const

const roles = (top: 'admin' | 'manager' | 'member' | 'reader'): string[] =>
  ({
    admin: ['admin', 'manager', 'member', 'reader'],
    manager: ['manager', 'member', 'reader'],
    member: ['member', 'reader'],
    reader: ['reader'],
  })[top]

function project(
  name: string,
  top: 'admin' | 'manager' | 'member' | 'reader',
  projectId: string,
  domainId: string,
) {
  return {
    user_id: `u-${name}`,
    user_name: name,
    user_domain_id: domainId,
    project_id: projectId,
    project_domain_id: domainId,
    roles: roles(top),
  } satisfies AuthenticatedIdentity
}

function domain(name: string, top: 'admin' | 'manager' | 'member' | 'reader') {
  return {
    user_id: `u-${name}`,
    user_name: name,
    user_domain_id: WORLD.domain,
    domain_id: WORLD.domain,
    roles: roles(top),
  } satisfies AuthenticatedIdentity
}

function system(name: string, top: 'admin' | 'member' | 'reader') {
  return {
    user_id: `u-${name}`,
    user_name: name,
    user_domain_id: WORLD.domain,
    system_scope: 'all',
    roles: roles(top),
  } satisfies AuthenticatedIdentity
}

export const PERSONAS = {
  'system-admin': system('system-admin', 'admin'),
  'system-member': system('system-member', 'member'),
  'system-reader': system('system-reader', 'reader'),
  'domain-admin': domain('domain-admin', 'admin'),
  'domain-manager': domain('domain-manager', 'manager'),
  'domain-member': domain('domain-member', 'member'),
  'domain-reader': domain('domain-reader', 'reader'),
  'project-admin': project('project-admin', 'admin', WORLD.project, WORLD.domain),
  'project-manager': project('project-manager', 'manager', WORLD.project, WORLD.domain),
  'project-member': project('project-member', 'member', WORLD.project, WORLD.domain),
  'project-reader': project('project-reader', 'reader', WORLD.project, WORLD.domain),
  'other-project-member': project('other-project-member', 'member', WORLD.otherProject, WORLD.domain),
  'other-domain-member': project('other-domain-member', 'member', 'p-far', WORLD.otherDomain),
} as const satisfies Record<string, AuthenticatedIdentity>

export type PersonaName = keyof typeof PERSONAS
