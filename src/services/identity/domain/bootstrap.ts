/**
 * `cloudlet bootstrap` for identity, as `keystone-manage bootstrap`: the default
 * domain, the default roles and their implications, an admin user with the admin role
 * on the admin project and on the system, a region, and catalog entries. Idempotent:
 * running it again changes nothing but the admin password (as upstream).
 */
import type { Assignments } from './assignments.js'
import type { Catalog } from './catalog.js'
import type { ResourceDeps } from './common.js'
import type { Projects } from './projects.js'
import type { Role, Roles } from './roles.js'
import type { Users } from './users.js'

export interface BootstrapInput {
  adminUsername: string
  adminPassword: string
  adminProjectName: string
  adminRoleName?: string
  regionId: string
  /** endpoints to put in the catalog for every service the process serves (url is for all three interfaces) */
  services: Array<{ type: string; name: string; url: string }>
  /** an optional non-admin user with the member role on its own project (the `cloudlet` member cloud) */
  member?: { username: string; password: string; projectName: string }
  /**
   * The admin's password hash as the last bootstrap left it (`BootstrapResult`). When the
   * admin's current password still carries it, the password is unchanged and is not
   * checked again: a bcrypt comparison costs ~0.2 s of every `cloudlet up` restart.
   */
  adminPasswordHash?: string
}

export interface BootstrapResult {
  /** The admin's current password hash, to hand to the next bootstrap. */
  adminPasswordHash: string | undefined
}

/**
 * Default roles and what each implies. Keystone 2023.2's bootstrap: the chain admin >
 * manager > member > reader, taking out Zed's direct admin > member where an earlier
 * bootstrap made it. Keystone Zed's (`[identity] bootstrap_manager_role` off): admin >
 * member > reader, without `manager`; the 2023.2 chain's links are taken out then (the
 * role itself stays: it may hold assignments).
 */
const ROLE_SETS = {
  manager: {
    roles: ['reader', 'member', 'manager', 'admin', 'service'],
    implies: [
      ['admin', 'manager'],
      ['manager', 'member'],
      ['member', 'reader'],
    ],
    superseded: [['admin', 'member']],
  },
  zed: {
    roles: ['reader', 'member', 'admin', 'service'],
    implies: [
      ['admin', 'member'],
      ['member', 'reader'],
    ],
    superseded: [
      ['admin', 'manager'],
      ['manager', 'member'],
    ],
  },
} as const satisfies Record<
  string,
  {
    roles: readonly string[]
    implies: readonly (readonly [string, string])[]
    superseded: readonly (readonly [string, string])[]
  }
>

export async function bootstrap(
  deps: ResourceDeps,
  parts: { projects: Projects; users: Users; roles: Roles; assignments: Assignments; catalog: Catalog },
  input: BootstrapInput,
): Promise<BootstrapResult> {
  const { projects, users, roles, assignments, catalog } = parts
  const domainId = deps.config.identity.default_domain_id
  if (!(await projects.find(domainId))) {
    await projects.create({
      id: domainId,
      name: 'Default',
      is_domain: true,
      description: 'The default domain',
    })
  }

  const set = deps.config.identity.bootstrap_manager_role ? ROLE_SETS.manager : ROLE_SETS.zed
  const byName = new Map<string, Role>()
  const adminRoleName = input.adminRoleName ?? 'admin'
  for (const name of new Set<string>([...set.roles, adminRoleName])) {
    byName.set(name, (await roles.findByName(name)) ?? (await roles.create({ name })))
  }
  for (const [prior, implied] of set.implies) {
    const graph = await roles.inferenceGraph()
    const p = byName.get(prior)!
    const i = byName.get(implied)!
    if (!(graph.get(p.id) ?? []).includes(i.id)) await roles.createImplied(p.id, i.id)
  }
  for (const [prior, implied] of set.superseded) {
    const p = byName.get(prior) ?? (await roles.findByName(prior))
    const i = byName.get(implied) ?? (await roles.findByName(implied))
    if (!p || !i) continue
    const graph = await roles.inferenceGraph()
    if ((graph.get(p.id) ?? []).includes(i.id)) await roles.deleteImplied(p.id, i.id)
  }
  const adminRole = byName.get(adminRoleName)!

  // NOTE: the admin and the member are made side by side: each new password is a bcrypt
  // hash (~0.2 s in the thread pool), and a first `cloudlet up` waits for both.
  const ensureAdmin = async () => {
    const project =
      (await projects.findByName(input.adminProjectName, domainId)) ??
      (await projects.create({
        name: input.adminProjectName,
        domain_id: domainId,
        description: 'Bootstrap project',
      }))

    let admin = await users.findByName(input.adminUsername, domainId)
    if (!admin) {
      admin = await users.create({
        name: input.adminUsername,
        domain_id: domainId,
        password: input.adminPassword,
        default_project_id: project.id,
        options: {
          ignore_change_password_upon_first_use: true,
          ignore_password_expiry: true,
          ignore_lockout_failure_attempts: true,
        },
      })
    } else {
      // As upstream: bootstrap resets the admin's password and enables the user.
      const unchanged =
        input.adminPasswordHash !== undefined &&
        (await users.passwordHash(admin.id)) === input.adminPasswordHash
      let ok = unchanged
      if (!unchanged) {
        try {
          await users.checkPassword(admin.id, input.adminPassword)
          ok = true
        } catch {
          ok = false
        }
      }
      if (!ok || !admin.enabled)
        await users.update(admin.id, { password: input.adminPassword, enabled: true })
    }
    await assignments.grant({
      actor: 'user',
      actorId: admin.id,
      target: 'project',
      targetId: project.id,
      roleId: adminRole.id,
      inherited: false,
    })
    await assignments.grant({
      actor: 'user',
      actorId: admin.id,
      target: 'system',
      targetId: 'system',
      roleId: adminRole.id,
      inherited: false,
    })
    return admin
  }
  const ensureMember = async (m: NonNullable<BootstrapInput['member']>) => {
    const mp =
      (await projects.findByName(m.projectName, domainId)) ??
      (await projects.create({ name: m.projectName, domain_id: domainId }))
    let mu = await users.findByName(m.username, domainId)
    if (!mu) {
      mu = await users.create({
        name: m.username,
        domain_id: domainId,
        password: m.password,
        default_project_id: mp.id,
        options: { ignore_change_password_upon_first_use: true, ignore_password_expiry: true },
      })
    }
    await assignments.grant({
      actor: 'user',
      actorId: mu.id,
      target: 'project',
      targetId: mp.id,
      roleId: byName.get('member')!.id,
      inherited: false,
    })
  }
  const member = input.member
  // (one after the other when both would make the same project)
  const [admin] =
    member && member.projectName === input.adminProjectName
      ? [await ensureAdmin(), await ensureMember(member)]
      : await Promise.all([ensureAdmin(), member && ensureMember(member)])

  if (!(await deps.repos.identity_region.get({ id: input.regionId })))
    await catalog.createRegion({ id: input.regionId })
  for (const s of input.services) {
    const existing = (await catalog.listServices({ type: s.type })).find((x) => x.extra.name === s.name)
    const service = existing ?? (await catalog.createService({ type: s.type, extra: { name: s.name } }))
    const eps = await catalog.listEndpoints({ service_id: service.id })
    for (const iface of ['public', 'internal', 'admin'] as const) {
      const ep = eps.find((e) => e.interface === iface && e.region_id === input.regionId)
      if (!ep)
        await catalog.createEndpoint({
          service_id: service.id,
          interface: iface,
          url: s.url,
          region_id: input.regionId,
        })
      else if (ep.url !== s.url) await catalog.updateEndpoint(ep.id, { url: s.url })
    }
  }
  return { adminPasswordHash: await users.passwordHash(admin.id) }
}
