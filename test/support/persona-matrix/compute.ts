/**
 * Compute in the persona matrix. Objects are owned as Nova owns them:
 *
 * | object | ours | colleague | other | far | public / none |
 * |---|---|---|---|---|---|
 * | server, server group, quota set, limits | of the caller's project | — | of another project of its domain | of a project of another domain | — |
 * | key pair (a user's) | the caller's own | of another user of its project | of a user of another project | of a user of another domain | — |
 * | flavor | private, with access for the caller's project | — | private, with access for another project | — | public |
 * | aggregate, service, hypervisor, quota class, zone | — | — | — | — | none (the cloud's) |
 *
 * Lists are also called the way that asks for more (`other`): servers with
 * `all_tenants`, server groups with `all_projects`, limits with `tenant_id`.
 *
 * A server of each project is booted by its member on the simulated hypervisors before
 * the first call (and one soft-deleted, for `restore` and `forceDelete`: the cloud runs
 * with `reclaim_instance_interval`); reads and harmless writes use them, and a call
 * the defaults allow that would destroy one (DELETE, forceDelete, restore) gets a server
 * booted for it. Other writes get a throwaway object of the same owner, removed after.
 *
 * Nova's own rules, encoded below where they apply:
 * - a server of another project does not exist for a caller that is not an admin
 *   (`role:admin`, in any scope, as `context.is_admin`): 404 before any rule; an
 *   admin's refused call is a 403;
 * - a private flavor without access for the caller's project is hidden (404) from
 *   callers that are not admins;
 * - routes that carry several rules (`/action`) are called once per rule, each with the
 *   body that picks it: `POST …/action (addTenantAccess)`.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { Enforcer, Target } from '../../../src/kernel/policy/index.js'
import type { ServiceRegistry } from '../../../src/kernel/registry/index.js'
import {
  type AllowEntry,
  accessRuleAllows,
  type MatrixRoute,
  type MatrixService,
  type Owner,
  type Persona,
  type Prepared,
} from './engine.js'
import type { ProjectRef, World, WorldPersona } from './world.js'

const LATEST = '2.93'
const V = '/v2.1'
/** The network service's proxies in compute (removed at 2.36): the caller's own project. */
const NETWORK_PROXIES = [
  '/os-networks',
  '/os-tenant-networks',
  '/os-floating-ip-pools',
  '/os-floating-ips',
  '/os-security-groups',
  '/os-security-group-rules',
]

/** The body key that picks each rule of a multi-rule action route. */
const ACTIONS: Record<string, string> = {
  'os_compute_api:os-flavor-access:add_tenant_access': 'addTenantAccess',
  'os_compute_api:os-flavor-access:remove_tenant_access': 'removeTenantAccess',
  'os_compute_api:os-aggregates:add_host': 'add_host',
  'os_compute_api:os-aggregates:remove_host': 'remove_host',
  'os_compute_api:os-aggregates:set_metadata': 'set_metadata',
  'os_compute_api:os-deferred-delete:force': 'forceDelete',
  'os_compute_api:os-deferred-delete:restore': 'restore',
  'os_compute_api:servers:stop': 'os-stop',
  'os_compute_api:servers:start': 'os-start',
  'os_compute_api:servers:reboot': 'reboot',
  'os_compute_api:os-lock-server:lock': 'lock',
  'os_compute_api:os-lock-server:unlock': 'unlock',
  'os_compute_api:os-admin-actions:reset_state': 'os-resetState',
  'os_compute_api:os-pause-server:pause': 'pause',
  'os_compute_api:os-pause-server:unpause': 'unpause',
  'os_compute_api:os-suspend-server:suspend': 'suspend',
  'os_compute_api:os-suspend-server:resume': 'resume',
  'os_compute_api:os-console-output': 'os-getConsoleOutput',
  'os_compute_api:os-admin-password': 'changePassword',
  'os_compute_api:servers:resize': 'resize',
  'os_compute_api:servers:confirm_resize': 'confirmResize',
  'os_compute_api:servers:revert_resize': 'revertResize',
  'os_compute_api:os-migrate-server:migrate': 'migrate',
  'os_compute_api:os-migrate-server:migrate_live': 'os-migrateLive',
  'os_compute_api:os-evacuate': 'evacuate',
  'os_compute_api:os-shelve:shelve': 'shelve',
  'os_compute_api:os-shelve:shelve_offload': 'shelveOffload',
  'os_compute_api:os-shelve:unshelve': 'unshelve',
  'os_compute_api:os-shelve:unshelve_to_host': 'unshelve_to_host',
  'os_compute_api:os-rescue': 'rescue',
  'os_compute_api:os-unrescue': 'unrescue',
  'os_compute_api:servers:trigger_crash_dump': 'trigger_crash_dump',
}

/**
 * The body of each server action the matrix calls (on a server of its own where the
 * defaults allow it). An action the server's state refuses (start on a running server)
 * is a 409: inconclusive, not a refusal. Not called: rebuild and its trusted_certs rule
 * and unlock_override, which are checked inside other actions' bodies rather than by a
 * body of their own.
 */
const ACTION_BODIES: Record<string, unknown> = {
  'os-stop': null,
  'os-start': null,
  reboot: { type: 'SOFT' },
  lock: {},
  unlock: null,
  'os-resetState': { state: 'active' },
  pause: null,
  unpause: null,
  suspend: null,
  resume: null,
  'os-getConsoleOutput': { length: 10 },
  changePassword: { adminPass: 'matrix-Secret1' },
  // the operations: those a running server refuses (confirm, revert, unshelve, unrescue,
  // offload) are 409s, inconclusive; evacuate is a 400 while its host is up
  resize: { flavorRef: '2' },
  confirmResize: null,
  revertResize: null,
  migrate: null,
  'os-migrateLive': { host: null, block_migration: 'auto' },
  evacuate: {},
  shelve: null,
  shelveOffload: null,
  unshelve: null,
  rescue: null,
  unrescue: null,
  trigger_crash_dump: null,
}

/**
 * Rules an action route carries that pick no action: `servers:show` guards the lookup
 * of an action the server does not know (a 400 after it).
 */
const NOT_ACTIONS = new Set(['os_compute_api:servers:show'])

/** An ed25519 public key in OpenSSH form (key pairs are imported from 2.92). */
function sshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'jwk' }).x as string
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(Buffer.from(raw, 'base64url'))])
  return `ssh-ed25519 ${blob.toString('base64')} matrix@test`
}

/**
 * The table's routes as the matrix calls them: an action route with several rules
 * becomes one route per rule, its path marked with the action (`… (restore)`).
 */
export function computeRoutes(routes: readonly MatrixRoute[]): MatrixRoute[] {
  return routes.flatMap((r) => {
    if (r.path.endsWith('/action') && Array.isArray(r.policy))
      return (r.policy as string[])
        .filter((rule) => !NOT_ACTIONS.has(rule))
        .map((rule) => ({ ...r, path: `${r.path} (${ACTIONS[rule] ?? rule})`, policy: rule }))
    // A create also names objects in its body: each kind is a route of its own.
    if (r.method === 'POST' && r.path === `${V}/servers`)
      return [r, ...BOOT_REFERENCES.map((what) => ({ ...r, path: `${r.path} (${what})` }))]
    return [r]
  })
}

/**
 * What a server create names in its body, each called with objects of the caller's and
 * of others: a private flavor and a private image of a project (usable by that project's
 * members and by admins), and a key pair (the caller's own only, whoever calls).
 */
const BOOT_REFERENCES = ['flavorRef', 'imageRef', 'key_name'] as const

interface Api {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as the world's
  json: any
}

export function computeMatrix(
  routes: readonly MatrixRoute[],
  enforcer: Enforcer,
  w: World,
  allowList: readonly AllowEntry[],
  registry: ServiceRegistry,
): MatrixService & { setup(): Promise<void> } {
  const call = async (
    method: string,
    url: string,
    body?: unknown,
    o: { token?: string; version?: string } = {},
  ): Promise<Api> => {
    const res = await w.app.inject({
      method: method as 'GET',
      url: `/compute${url}`,
      headers: {
        'x-auth-token': o.token ?? w.adminToken,
        'openstack-api-version': `compute ${o.version ?? LATEST}`,
      },
      ...(body !== undefined ? { payload: body as object } : {}),
    })
    let json: unknown
    try {
      json = res.body ? JSON.parse(res.body) : undefined
    } catch {
      json = res.body
    }
    return { status: res.statusCode, json }
  }
  const ok = async (
    method: string,
    url: string,
    body?: unknown,
    o: { token?: string; version?: string } = {},
  ) => {
    const r = await call(method, url, body, o)
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`)
    return r.json
  }

  const projects = Object.values(w.projects)
  const projectTokens = new Map<string, string>()
  const tokenOf = async (proj: ProjectRef) => {
    let t = projectTokens.get(proj.id)
    if (!t) {
      t = await w.login(proj.user.id, proj.user.password, { project: { id: proj.id } })
      projectTokens.set(proj.id, t)
    }
    return t
  }
  const isAdmin = (p: Persona) => enforcer.check('context_is_admin', {}, p.creds)
  const publicKey = sshPublicKey()

  const fx = {
    imageId: '',
    publicFlavor: '',
    /** A private flavor per project, with access for that project only. */
    privateFlavor: new Map<string, string>(),
    /** A private image per project. */
    privateImage: new Map<string, string>(),
    /** A server per project (booted by its member), and one soft-deleted. */
    server: new Map<string, { id: string; userId: string; requestId: string }>(),
    softDeleted: new Map<string, string>(),
    group: new Map<string, string>(),
    /** Every server the matrix made: id -> project. */
    serverProject: new Map<string, string>(),
    aggregate: '',
    computeHost: '',
    computeService: '',
    hypervisor: '',
    hypervisorName: '',
    keypairs: new Set<string>(),
  }
  const unlimited = { instances: -1, cores: -1, ram: -1, server_groups: -1, server_group_members: -1 }

  async function serverStatus(id: string): Promise<string> {
    const r = await call('GET', `${V}/servers/${id}`)
    return r.status === 404 ? 'DELETED' : String(r.json?.server?.status)
  }
  async function waitFor(id: string, statuses: readonly string[]): Promise<string> {
    const until = Date.now() + 30_000
    for (;;) {
      const s = await serverStatus(id)
      if (statuses.includes(s)) return s
      if (s === 'ERROR' || Date.now() > until)
        throw new Error(`server ${id} is ${s}, not ${statuses.join('/')}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  /** Boots a server as the project's member and waits for it to be ACTIVE. */
  async function boot(proj: ProjectRef): Promise<string> {
    const r = await ok(
      'POST',
      `${V}/servers`,
      {
        server: {
          name: w.name('vm'),
          imageRef: fx.imageId,
          flavorRef: '1',
          networks: 'none',
          metadata: { matrix: 'x' },
          tags: ['matrix-tag'],
        },
      },
      { token: await tokenOf(proj) },
    )
    const id = r.server.id as string
    fx.serverProject.set(id, proj.id)
    await waitFor(id, ['ACTIVE'])
    return id
  }
  async function softDelete(id: string) {
    await ok('DELETE', `${V}/servers/${id}`)
    await waitFor(id, ['SOFT_DELETED'])
  }
  /** Removes a server for good, whatever its state. */
  async function purge(id: string) {
    let s = await serverStatus(id)
    if (s === 'DELETED') return
    if (s === 'BUILD') s = await waitFor(id, ['ACTIVE', 'ERROR']).catch(() => 'ERROR')
    if (s !== 'SOFT_DELETED' && s !== 'ERROR') await softDelete(id)
    await call('POST', `${V}/servers/${id}/action`, { forceDelete: null })
    if (s === 'ERROR') await call('DELETE', `${V}/servers/${id}`)
  }

  /** An active image: public, or private to a project. */
  async function makeImage(owner?: string): Promise<string> {
    const img = await w.ok('POST', '/image/v2/images', {
      name: w.name('matrix-cirros'),
      disk_format: 'raw',
      container_format: 'bare',
      visibility: owner ? 'private' : 'public',
      ...(owner ? { owner } : {}),
    })
    const up = await w.app.inject({
      method: 'PUT',
      url: `/image/v2/images/${img.id}/file`,
      headers: { 'x-auth-token': w.adminToken, 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(1024, 7),
    })
    if (up.statusCode !== 204) throw new Error(`image upload: ${up.statusCode} ${up.body}`)
    return img.id as string
  }

  async function makeFlavor(access?: string): Promise<string> {
    const f = await ok('POST', `${V}/flavors`, {
      flavor: {
        name: w.name('flavor'),
        ram: 64,
        vcpus: 1,
        disk: 1,
        ...(access ? { 'os-flavor-access:is_public': false } : {}),
      },
    })
    const id = f.flavor.id as string
    if (access) await ok('POST', `${V}/flavors/${id}/action`, { addTenantAccess: { tenant: access } })
    await ok('POST', `${V}/flavors/${id}/os-extra_specs`, { extra_specs: { 'matrix:key': 'v' } })
    return id
  }

  async function makeGroup(proj: ProjectRef): Promise<string> {
    const g = await ok(
      'POST',
      `${V}/os-server-groups`,
      { server_group: { name: w.name('sg'), policy: 'anti-affinity' } },
      { token: await tokenOf(proj) },
    )
    return g.server_group.id as string
  }

  async function makeAggregate(host?: string): Promise<string> {
    const a = await ok('POST', `${V}/os-aggregates`, { aggregate: { name: w.name('agg') } })
    const id = String(a.aggregate.id)
    if (host) await ok('POST', `${V}/os-aggregates/${id}/action`, { add_host: { host } })
    return id
  }
  async function removeAggregate(id: string) {
    const a = await call('GET', `${V}/os-aggregates/${id}`)
    if (a.status === 404) return
    for (const host of (a.json.aggregate.hosts ?? []) as string[])
      await call('POST', `${V}/os-aggregates/${id}/action`, { remove_host: { host } })
    await call('DELETE', `${V}/os-aggregates/${id}`)
  }

  const keypairName = (userId: string, fresh = false) =>
    fresh ? `mkp-${userId}-${w.name('x')}` : `mkp-${userId}`
  async function makeKeypair(userId: string, name: string) {
    await ok('POST', `${V}/os-keypairs`, { keypair: { name, public_key: publicKey, user_id: userId } })
  }

  async function setup() {
    for (const proj of projects) await ok('PUT', `${V}/os-quota-sets/${proj.id}`, { quota_set: unlimited })
    fx.imageId = await makeImage()
    fx.publicFlavor = await makeFlavor()
    for (const proj of projects) {
      fx.privateImage.set(proj.id, await makeImage(proj.id))
      fx.privateFlavor.set(proj.id, await makeFlavor(proj.id))
      const id = await boot(proj)
      const actions = await ok('GET', `${V}/servers/${id}/os-instance-actions`)
      fx.server.set(proj.id, {
        id,
        userId: proj.user.id,
        requestId: actions.instanceActions[0].request_id as string,
      })
      const gone = await boot(proj)
      await softDelete(gone)
      fx.softDeleted.set(proj.id, gone)
      fx.group.set(proj.id, await makeGroup(proj))
    }
    fx.aggregate = await makeAggregate()
    const services = (await ok('GET', `${V}/os-services?binary=nova-compute`)).services as Array<{
      id: string
      host: string
    }>
    fx.computeHost = services[0]!.host
    fx.computeService = services[0]!.id
    const hypervisors = (await ok('GET', `${V}/os-hypervisors`)).hypervisors as Array<{
      id: string
      hypervisor_hostname: string
    }>
    fx.hypervisor = hypervisors[0]!.id
    fx.hypervisorName = hypervisors[0]!.hypervisor_hostname
  }

  // --- owners, from the caller's point of view
  const userOf = (p: WorldPersona, owner: Owner): string =>
    owner === 'ours' ? p.userId : owner === 'colleague' ? p.home.ours.user.id : w.projectOf(p, owner).user.id
  const flavorOf = (p: WorldPersona, owner: Owner): { id: string; access?: string } => {
    if (owner === 'public') return { id: fx.publicFlavor }
    const access = w.projectOf(p, owner).id
    return { id: fx.privateFlavor.get(access)!, access }
  }
  /** Nova: a private flavor is hidden from a caller without access that is no admin. */
  const flavorVisible = (p: WorldPersona, f: { access?: string }) =>
    !f.access || isAdmin(p) || f.access === p.creds.project_id

  const basePath = (route: MatrixRoute) => route.path.replace(/ \(.*\)$/, '')
  const actionOf = (route: MatrixRoute) => /\((.*)\)$/.exec(route.path)?.[1]

  return {
    name: 'compute',
    serviceType: 'compute',
    prefix: '/compute',
    routes: computeRoutes(routes),
    enforcer,
    allowList,
    setup,
    owners(route): readonly Owner[] {
      const path = basePath(route)
      if (path.includes(':flavor_id'))
        return path.includes('os-flavor-access') || path.endsWith('/action')
          ? ['ours', 'other']
          : ['public', 'ours', 'other']
      if (path.startsWith(`${V}/os-keypairs`)) return ['ours', 'colleague', 'other', 'far']
      if (path.includes(':group_id') || path.includes(':server_id') || path.includes(':project_id'))
        return ['ours', 'other', 'far']
      if (path === `${V}/limits`) return ['ours', 'other', 'far']
      if (route.path.endsWith('(key_name)')) return ['ours', 'colleague', 'other']
      if (route.path.endsWith('(flavorRef)') || route.path.endsWith('(imageRef)'))
        return ['ours', 'other', 'far']
      if (
        route.method === 'GET' &&
        [`${V}/os-server-groups`, `${V}/servers`, `${V}/servers/detail`].includes(path)
      )
        return ['ours', 'other']
      return ['none']
    },
    async prepare(route, owner, persona): Promise<Prepared | { skip: string }> {
      const p = persona as WorldPersona
      const path = basePath(route)
      const action = actionOf(route)
      const key = `${route.method} ${path.slice(V.length)}`
      let rule = typeof route.policy === 'string' ? route.policy : undefined
      let url = path
      let target: Target = {}
      let denied: number[] = [403]
      let hidden = false
      let body: unknown
      const extra: Partial<Prepared> = {}
      const own = { project_id: p.creds.project_id }
      // The deprecated volume proxies judge the caller's own project (the block storage
      // service then applies its own rules to the caller's token).
      if (path.startsWith(`${V}/os-volumes`) || path.startsWith(`${V}/os-snapshots`)) target = own
      // A hypothetical request: the explanation boots and claims nothing.
      if (key === 'POST /cloudlet-scheduler/explain') body = { request: { flavorRef: '1' } }
      /** Whether the defaults allow the call as prepared so far (access rules included). */
      const allows = () =>
        !hidden &&
        (!p.accessRules || accessRuleAllows(p.accessRules, 'compute', route.method, url)) &&
        (rule === undefined || enforcer.check(rule, target, p.creds))

      if (path.includes(':flavor_id')) {
        // --- flavors, their access lists and extra specs
        const f = flavorOf(p, owner)
        url = url.replace(':flavor_id', f.id)
        hidden = !flavorVisible(p, f)
        // Admin rules are checked before the flavor is read: 403 or 404.
        denied = [403, 404]
        if (path.includes('os-extra_specs') && route.method === 'GET') target = own
        if (key === 'DELETE /flavors/:flavor_id') {
          const fresh = await makeFlavor(f.access)
          url = `${V}/flavors/${fresh}`
          extra.tookEffect = async () =>
            (await call('GET', url)).status === 404 ? 'the flavor is gone' : undefined
          extra.after = async () => void (await call('DELETE', url))
        }
        if (key === 'PUT /flavors/:flavor_id') body = { flavor: { description: 'matrix' } }
        if (key === 'POST /flavors/:flavor_id/os-extra_specs') body = { extra_specs: { 'matrix:more': 'v' } }
        if (path.endsWith('/os-extra_specs/:key')) {
          if (route.method === 'DELETE') {
            const k = `matrix:${w.name('gone')}`
            await ok('POST', `${V}/flavors/${f.id}/os-extra_specs`, { extra_specs: { [k]: 'v' } })
            url = url.replace(':key', encodeURIComponent(k))
            extra.tookEffect = async () =>
              (await call('GET', url)).status === 404 ? 'the extra spec is gone' : undefined
            extra.after = async () => void (await call('DELETE', url))
          } else url = url.replace(':key', 'matrix:key')
          if (route.method === 'PUT') body = { 'matrix:key': 'w' }
        }
        if (action === 'addTenantAccess') {
          const tenant = p.home.far.id
          body = { addTenantAccess: { tenant } }
          extra.after = async () => void (await call('POST', url, { removeTenantAccess: { tenant } }))
        }
        if (action === 'removeTenantAccess') {
          const tenant = p.home.far.id
          await ok('POST', url, { addTenantAccess: { tenant } })
          body = { removeTenantAccess: { tenant } }
          extra.tookEffect = async () => {
            const list = await ok('GET', `${V}/flavors/${f.id}/os-flavor-access`)
            return (list.flavor_access as Array<{ tenant_id: string }>).some((a) => a.tenant_id === tenant)
              ? undefined
              : 'the access was removed'
          }
          extra.after = async () => void (await call('POST', url, { removeTenantAccess: { tenant } }))
        }
      } else if (path === `${V}/flavors` || path === `${V}/flavors/detail`) {
        if (route.method === 'POST') {
          body = { flavor: { name: w.name('flavor'), ram: 64, vcpus: 1, disk: 0 } }
          extra.cleanup = async (_s, json) => {
            const id = (json as { flavor?: { id?: string } })?.flavor?.id
            if (id) await call('DELETE', `${V}/flavors/${id}`)
          }
        } else
          extra.inspect = (json) => {
            const rows = (json as { flavors: Array<{ id: string }> }).flavors
            const hiddenRows = rows.filter((r) => {
              const access = [...fx.privateFlavor].find(([, id]) => id === r.id)?.[0]
              return access && !flavorVisible(p, { access })
            })
            return hiddenRows.length
              ? `${hiddenRows.length} private flavors without access in the list`
              : undefined
          }
      } else if (path.startsWith(`${V}/os-keypairs`)) {
        // --- key pairs: a user's own; `user_id` names another user (2.10)
        const user = userOf(p, owner)
        target = { user_id: user }
        const query = owner === 'ours' ? '' : `?user_id=${user}`
        if (route.method === 'POST') {
          const name = keypairName(user, true)
          body = {
            keypair: { name, public_key: publicKey, ...(owner === 'ours' ? {} : { user_id: user }) },
          }
          extra.after = async () => void (await call('DELETE', `${V}/os-keypairs/${name}?user_id=${user}`))
        } else if (path.endsWith(':keypair_name')) {
          let name = keypairName(user)
          if (route.method === 'DELETE') {
            name = keypairName(user, true)
            await makeKeypair(user, name)
            extra.tookEffect = async () =>
              (await call('GET', `${V}/os-keypairs/${name}?user_id=${user}`)).status === 404
                ? 'the key pair is gone'
                : undefined
            extra.after = async () => void (await call('DELETE', `${V}/os-keypairs/${name}?user_id=${user}`))
          } else if (!fx.keypairs.has(user)) {
            await makeKeypair(user, name)
            fx.keypairs.add(user)
          }
          url = `${url.replace(':keypair_name', name)}${query}`
        } else {
          url = `${url}${query}`
          if (!fx.keypairs.has(user)) {
            await makeKeypair(user, keypairName(user))
            fx.keypairs.add(user)
          }
          extra.inspect = (json) => {
            const names = (json as { keypairs: Array<{ keypair: { name: string } }> }).keypairs.map(
              (k) => k.keypair.name,
            )
            const foreign = names.filter((n) => n.startsWith('mkp-') && !n.startsWith(`mkp-${user}`))
            return foreign.length ? `${foreign.length} key pairs of other users in the list` : undefined
          }
        }
      } else if (path.startsWith(`${V}/os-server-groups`)) {
        // --- server groups
        if (path.endsWith(':group_id')) {
          const proj = w.projectOf(p, owner)
          let id = fx.group.get(proj.id)!
          if (route.method === 'DELETE') {
            id = await makeGroup(proj)
            extra.tookEffect = async () =>
              (await call('GET', `${V}/os-server-groups/${id}`)).status === 404
                ? 'the group is gone'
                : undefined
            extra.after = async () => void (await call('DELETE', `${V}/os-server-groups/${id}`))
          }
          url = url.replace(':group_id', id)
          target = { project_id: proj.id }
        } else if (route.method === 'POST') {
          target = own
          body = { server_group: { name: w.name('sg'), policy: 'anti-affinity' } }
          extra.cleanup = async (_s, json) => {
            const id = (json as { server_group?: { id?: string } })?.server_group?.id
            if (id) await call('DELETE', `${V}/os-server-groups/${id}`)
          }
        } else {
          target = own
          // Nova: all_projects is heard from an admin (`context.is_admin`) only; anyone
          // else gets their own project's groups.
          const all = owner === 'other' && isAdmin(p)
          if (owner === 'other') url = `${url}?all_projects=True`
          if (all) rule = 'os_compute_api:os-server-groups:index:all_projects'
          if (!all)
            extra.inspect = (json) => {
              const rows = (json as { server_groups: Array<{ project_id: string }> }).server_groups
              const foreign = rows.filter((r) => r.project_id !== p.creds.project_id)
              return foreign.length ? `${foreign.length} groups of other projects in the list` : undefined
            }
        }
      } else if (path === `${V}/limits`) {
        if (owner !== 'ours') {
          url = `${url}?tenant_id=${w.projectOf(p, owner).id}`
          rule = 'os_compute_api:limits:other_project'
        }
      } else if (path.includes(':project_id')) {
        // --- quota sets of a project
        const proj = w.projectOf(p, owner)
        url = url.replace(':project_id', proj.id)
        target = { project_id: proj.id }
        if (route.method === 'PUT') body = { quota_set: { metadata_items: 128 } }
        if (route.method === 'PUT' || route.method === 'DELETE')
          extra.after = async () =>
            void (await ok('PUT', `${V}/os-quota-sets/${proj.id}`, { quota_set: unlimited }))
      } else if (path.includes(':class_name')) {
        url = url.replace(':class_name', 'default')
        if (route.method === 'PUT') body = { quota_class_set: { metadata_items: 128 } }
      } else if (path.startsWith(`${V}/os-aggregates`)) {
        // --- aggregates: one shared; a throwaway for what changes membership or deletes
        let id = fx.aggregate
        if (route.method === 'POST' && path === `${V}/os-aggregates`) {
          body = { aggregate: { name: w.name('agg') } }
          extra.cleanup = async (_s, json) => {
            const made = (json as { aggregate?: { id?: number } })?.aggregate?.id
            if (made !== undefined) await removeAggregate(String(made))
          }
        } else if (route.method === 'DELETE' || action === 'add_host' || action === 'remove_host') {
          id = await makeAggregate(action === 'remove_host' ? fx.computeHost : undefined)
          const fresh = id
          extra.after = () => removeAggregate(fresh)
          if (route.method === 'DELETE')
            extra.tookEffect = async () =>
              (await call('GET', `${V}/os-aggregates/${fresh}`)).status === 404
                ? 'the aggregate is gone'
                : undefined
        }
        url = url.replace(':aggregate_id', id)
        if (route.method === 'PUT') body = { aggregate: { name: w.name('agg') } }
        if (action === 'add_host') body = { add_host: { host: fx.computeHost } }
        if (action === 'remove_host') body = { remove_host: { host: fx.computeHost } }
        if (action === 'set_metadata') body = { set_metadata: { metadata: { matrix: 'x' } } }
        if (path.endsWith('/images')) body = { cache: [{ id: fx.imageId }] }
      } else if (path.includes(':server_id')) {
        // --- a server and what hangs off it
        const proj = w.projectOf(p, owner)
        const server = fx.server.get(proj.id)!
        target = { project_id: proj.id, user_id: server.userId }
        const visible = isAdmin(p) || proj.id === p.creds.project_id
        hidden = !visible
        denied = visible ? [403] : [404]
        const destroys = route.method === 'DELETE' && path.endsWith(':server_id')
        let id = action === 'forceDelete' || action === 'restore' ? fx.softDeleted.get(proj.id)! : server.id
        if (action === undefined && path.endsWith('/action')) return { skip: 'no action' }
        const deferred = action === 'forceDelete' || action === 'restore'
        if (action && !deferred && !(action in ACTION_BODIES))
          return { skip: `${action}: checked inside other actions, no body of its own` }
        if ((destroys || action) && allows()) {
          // What the defaults allow would change the shared server: one of its own.
          id = await boot(proj)
          if (deferred) await softDelete(id)
          const fresh = id
          extra.after = () => purge(fresh)
        }
        url = url.replace(':server_id', id).replace(':migration_id', '0')
        if (destroys)
          extra.tookEffect = async () => {
            const s = await serverStatus(id)
            return s === 'DELETED' || s === 'SOFT_DELETED' ? `the server is ${s}` : undefined
          }
        if (action === 'forceDelete') {
          body = { forceDelete: null }
          extra.tookEffect = async () =>
            (await serverStatus(id)) === 'DELETED' ? 'the server is gone' : undefined
        }
        if (action === 'restore') {
          body = { restore: null }
          extra.tookEffect = async () => {
            const s = await serverStatus(id)
            return s !== 'SOFT_DELETED' ? `the server is ${s}` : undefined
          }
        }
        if (action && action in ACTION_BODIES) body = { [action]: ACTION_BODIES[action] }
        if (key === 'PUT /servers/:server_id') body = { server: { name: w.name('vm-renamed') } }
        if (key === 'PUT /servers/:server_id/metadata') body = { metadata: { matrix: 'x' } }
        if (key === 'POST /servers/:server_id/metadata') body = { metadata: { more: 'y' } }
        if (path.endsWith('/metadata/:key')) {
          let k = 'matrix'
          if (route.method === 'DELETE') {
            k = 'gone'
            await ok('PUT', `${V}/servers/${id}/metadata/${k}`, { meta: { [k]: 'y' } })
            extra.tookEffect = async () =>
              (await call('GET', `${V}/servers/${id}/metadata/${k}`)).status === 404
                ? 'the key is gone'
                : undefined
          }
          if (route.method === 'PUT') body = { meta: { matrix: 'x' } }
          url = url.replace(':key', k)
        }
        if (key === 'PUT /servers/:server_id/tags') body = { tags: ['matrix-tag'] }
        if (key === 'DELETE /servers/:server_id/tags') {
          extra.tookEffect = async () =>
            ((await ok('GET', `${V}/servers/${id}/tags`)).tags as string[]).length === 0
              ? 'the tags are gone'
              : undefined
          extra.after = async () =>
            void (await ok('PUT', `${V}/servers/${id}/tags`, { tags: ['matrix-tag'] }))
        }
        if (path.endsWith('/tags/:tag')) {
          let tag = route.method === 'PUT' ? 'new-tag' : 'matrix-tag'
          if (route.method === 'DELETE') {
            tag = 'gone-tag'
            await ok('PUT', `${V}/servers/${id}/tags/${tag}`)
            extra.tookEffect = async () =>
              (await call('GET', `${V}/servers/${id}/tags/${tag}`)).status === 404
                ? 'the tag is gone'
                : undefined
          }
          url = url.replace(':tag', tag)
        }
        if (path.endsWith('/ips/:network')) {
          if (allows())
            return {
              skip: 'servers boot with no network here: every network label of an allowed call is a 404',
            }
          url = url.replace(':network', 'private')
        }
        if (path.endsWith(':request_id')) url = url.replace(':request_id', server.requestId)
      } else if (path === `${V}/servers` || path === `${V}/servers/detail`) {
        target = own
        if (route.method === 'POST') {
          const server: Record<string, unknown> = {
            name: w.name('vm'),
            imageRef: fx.imageId,
            flavorRef: '1',
            networks: 'none',
          }
          if (action === 'flavorRef' || action === 'imageRef') {
            // A project's private flavor or image: its members' and admins' to use.
            const proj = w.projectOf(p, owner)
            if (action === 'flavorRef') server.flavorRef = fx.privateFlavor.get(proj.id)
            else server.imageRef = fx.privateImage.get(proj.id)
            hidden = !(isAdmin(p) || proj.id === p.creds.project_id)
          }
          if (action === 'key_name') {
            // Only the caller's own key pair, an admin's included: another user's name
            // is a key pair the caller does not have.
            const user = userOf(p, owner)
            if (!fx.keypairs.has(user)) {
              await makeKeypair(user, keypairName(user))
              fx.keypairs.add(user)
            }
            server.key_name = keypairName(user)
            hidden = owner !== 'ours'
          }
          // A body naming what the caller may not use is a 400 (after the rule's 403).
          if (action) denied = [400, 403]
          body = { server }
          extra.cleanup = async (_s, json) => {
            const id = (json as { server?: { id?: string } })?.server?.id
            if (id) {
              fx.serverProject.set(id, String(p.creds.project_id))
              await purge(id)
            }
          }
        } else {
          if (owner === 'other') {
            url = `${url}?all_tenants=1`
            rule = path.endsWith('/detail')
              ? 'os_compute_api:servers:detail:get_all_tenants'
              : 'os_compute_api:servers:index:get_all_tenants'
          } else
            extra.inspect = (json) => {
              const rows = (json as { servers: Array<{ id: string }> }).servers
              const foreign = rows.filter((r) => {
                const proj = fx.serverProject.get(r.id)
                return proj !== undefined && proj !== p.creds.project_id
              })
              return foreign.length ? `${foreign.length} servers of other projects in the list` : undefined
            }
        }
      } else if (path === `${V}/os-server-external-events`) {
        body = {
          events: [{ name: 'network-changed', server_uuid: fx.server.get(p.home.ours.id)!.id }],
        }
      } else if (path.startsWith(`${V}/os-services`)) {
        if (route.method === 'PUT' && route.max) {
          url = `${V}/os-services/enable`
          body = { host: fx.computeHost, binary: 'nova-compute' }
        } else if (route.method === 'PUT') {
          url = url.replace(':service_id', fx.computeService)
          body = { status: 'enabled' }
        } else if (route.method === 'DELETE') {
          const s = await registry.register({
            host: w.name('gone-host'),
            binary: 'nova-scheduler',
            topic: 'scheduler',
          })
          url = url.replace(':service_id', s.id)
          extra.tookEffect = async () => ((await registry.get(s.id)) ? undefined : 'the service is gone')
          extra.after = async () => void (await registry.delete(s.id))
        }
      } else if (path.startsWith(`${V}/os-hosts`)) {
        // os-hosts (to 2.42): a simulated host; enabling an enabled host changes nothing.
        // The power actions name a host that does not exist: on a real one the simulated
        // driver answers 501 (no host power management), which the matrix counts as a
        // server error; the rule is asked before the host is looked up either way.
        url = url.replace(
          ':host_name',
          /\/(startup|shutdown|reboot)$/.test(path) ? 'matrix-no-such-host' : fx.computeHost,
        )
        if (route.method === 'PUT') body = { status: 'enable' }
      } else if (path === `${V}/os-instance_usage_audit_log/:before_timestamp`) {
        url = url.replace(':before_timestamp', encodeURIComponent('2026-01-01 00:00:00'))
      } else if (path === `${V}/extensions/:alias`) {
        url = url.replace(':alias', 'os-hosts')
      } else if (path.startsWith(`${V}/os-hypervisors`)) {
        url = url.replace(':hypervisor_id', fx.hypervisor).replace(':pattern', fx.hypervisorName)
      } else if (NETWORK_PROXIES.some((p) => path.startsWith(`${V}${p}`))) {
        // The network proxies (before 2.36) answer for the caller's own project.
        target = own
      }

      return {
        method: route.method,
        url,
        ...(body !== undefined ? { body } : {}),
        headers: { 'openstack-api-version': `compute ${route.max ?? LATEST}` },
        ...(rule ? { rule } : {}),
        target,
        ...(hidden ? { hidden } : {}),
        denied,
        ...extra,
      }
    },
  }
}
