/**
 * Placement in the persona matrix. Placement's objects belong to no project: providers,
 * inventories, traits, resource classes and allocations are the cloud's, and every rule
 * but two is `admin_or_service_api` (a project-scoped admin or service); the reshaper is
 * the service's alone, and `GET /usages?project_id=` is also open to a reader of that
 * project. So routes are called with owner `none`, except `/usages`, called for the
 * caller's project, another project of its domain and a project of another domain.
 *
 * Reads use one provider made once: inventory of a custom resource class (so the compute
 * scheduler never picks it), a trait, an aggregate and one consumer's allocation. Every
 * write gets a throwaway provider, consumer, trait or class of its own, removed after
 * the call, so the cells do not depend on their order. A refused call is 403 (placement
 * checks the rule before it looks anything up, and before it reads the body).
 */
import { randomUUID } from 'node:crypto'
import type { Enforcer, Target } from '../../../src/kernel/policy/index.js'
import type { AllowEntry, MatrixRoute, MatrixService, Owner, Prepared } from './engine.js'
import type { World, WorldPersona } from './world.js'

const LATEST = '1.39'
const RC = 'CUSTOM_PERSONA_MATRIX'
const TRAIT = 'CUSTOM_PERSONA_MATRIX'

interface Provider {
  uuid: string
  aggregate: string
}

export function placementMatrix(
  routes: readonly MatrixRoute[],
  enforcer: Enforcer,
  w: World,
  allowList: readonly AllowEntry[],
): MatrixService & { setup(): Promise<void> } {
  const api = async (method: string, url: string, body?: unknown, version = LATEST) => {
    const res = await w.app.inject({
      method: method as 'GET',
      url: `/placement${url}`,
      headers: {
        'x-auth-token': w.adminToken,
        'openstack-api-version': `placement ${version}`,
        accept: 'application/json',
      },
      ...(body !== undefined ? { payload: body as object } : {}),
    })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.body ? JSON.parse(res.body) : undefined
  }
  const status = async (url: string) =>
    (
      await w.app.inject({
        method: 'GET',
        url: `/placement${url}`,
        headers: { 'x-auth-token': w.adminToken, 'openstack-api-version': `placement ${LATEST}` },
      })
    ).statusCode
  const fresh = (prefix: string) =>
    `${prefix}_${w
      .name('m')
      .replace(/[^A-Za-z0-9]/g, '_')
      .toUpperCase()}`

  const generation = async (uuid: string) =>
    (await api('GET', `/resource_providers/${uuid}`)).generation as number

  /** A provider with an inventory of the matrix's class, its trait and an aggregate. */
  async function makeProvider(): Promise<Provider> {
    const uuid = randomUUID()
    const aggregate = randomUUID()
    await api('POST', '/resource_providers', { name: w.name('rp'), uuid })
    await api('PUT', `/resource_providers/${uuid}/inventories`, {
      resource_provider_generation: await generation(uuid),
      inventories: { [RC]: { total: 64 } },
    })
    await api('PUT', `/resource_providers/${uuid}/traits`, {
      resource_provider_generation: await generation(uuid),
      traits: [TRAIT],
    })
    await api('PUT', `/resource_providers/${uuid}/aggregates`, {
      resource_provider_generation: await generation(uuid),
      aggregates: [aggregate],
    })
    return { uuid, aggregate }
  }

  async function removeProvider(uuid: string) {
    if ((await status(`/resource_providers/${uuid}`)) !== 200) return
    const allocs = (await api('GET', `/resource_providers/${uuid}/allocations`)).allocations as Record<
      string,
      unknown
    >
    for (const consumer of Object.keys(allocs)) await api('DELETE', `/allocations/${consumer}`)
    await api('DELETE', `/resource_providers/${uuid}`)
  }

  /** An allocation of one unit of the matrix's class on `rp` for a new consumer of P. */
  async function allocate(rp: string): Promise<string> {
    const consumer = randomUUID()
    const owner = w.projects.P
    await api('PUT', `/allocations/${consumer}`, {
      allocations: { [rp]: { resources: { [RC]: 1 } } },
      project_id: owner.id,
      user_id: owner.user.id,
      consumer_generation: null,
      consumer_type: 'INSTANCE',
    })
    return consumer
  }

  const shared = { rp: { uuid: '', aggregate: '' }, consumer: '' }

  async function setup() {
    await api('PUT', `/resource_classes/${RC}`)
    await api('PUT', `/traits/${TRAIT}`)
    shared.rp = await makeProvider()
    shared.consumer = await allocate(shared.rp.uuid)
  }

  const versionOf = (route: MatrixRoute) => route.max ?? LATEST

  return {
    name: 'placement',
    serviceType: 'placement',
    prefix: '/placement',
    routes,
    enforcer,
    allowList,
    setup,
    owners(route): readonly Owner[] {
      return route.path === '/usages' ? ['ours', 'other', 'far'] : ['none']
    },
    async prepare(route, owner, persona): Promise<Prepared | { skip: string }> {
      const p = persona as WorldPersona
      const rule = typeof route.policy === 'string' ? route.policy : route.policy?.[0]
      const name = `${route.method} ${route.path}`
      const write = route.method !== 'GET'
      const extra: Partial<Prepared> = {}
      let url = route.path
      let target: Target = {}
      let body: unknown

      // The provider a call names: the shared one for reads, a throwaway for writes.
      if (url.includes(':uuid')) {
        const rp = write ? await makeProvider() : shared.rp
        url = url.replace(':uuid', rp.uuid)
        if (write) extra.after = () => removeProvider(rp.uuid)
        const gen = write ? await generation(rp.uuid) : 0
        switch (name) {
          case 'PUT /resource_providers/:uuid':
            body = { name: w.name('rp-renamed') }
            break
          case 'DELETE /resource_providers/:uuid':
            extra.tookEffect = async () =>
              (await status(`/resource_providers/${rp.uuid}`)) === 404 ? 'the provider is gone' : undefined
            break
          case 'POST /resource_providers/:uuid/inventories':
            body = { resource_class: 'MEMORY_MB', total: 1024 }
            break
          case 'PUT /resource_providers/:uuid/inventories':
            body = { resource_provider_generation: gen, inventories: { [RC]: { total: 32 } } }
            break
          case 'DELETE /resource_providers/:uuid/inventories':
          case 'DELETE /resource_providers/:uuid/inventories/:resource_class':
            extra.tookEffect = async () =>
              (await status(`/resource_providers/${rp.uuid}/inventories/${RC}`)) === 404
                ? 'the inventory is gone'
                : undefined
            break
          case 'PUT /resource_providers/:uuid/inventories/:resource_class':
            body = { resource_provider_generation: gen, total: 16 }
            break
          case 'PUT /resource_providers/:uuid/aggregates':
            body = { resource_provider_generation: gen, aggregates: [randomUUID()] }
            break
          case 'PUT /resource_providers/:uuid/traits':
            body = { resource_provider_generation: gen, traits: [TRAIT, 'HW_CPU_X86_AVX'] }
            break
          case 'DELETE /resource_providers/:uuid/traits':
            extra.tookEffect = async () => {
              const t = await api('GET', `/resource_providers/${rp.uuid}/traits`)
              return (t.traits as string[]).length === 0 ? 'the traits are gone' : undefined
            }
            break
        }
        url = url.replace(':resource_class', RC)
      } else if (route.path === '/usages') {
        // A reader of the project named in the query, or an admin or service.
        const project = w.projectOf(p, owner)
        url = `/usages?project_id=${project.id}`
        target = { project_id: project.id }
      } else if (route.path === '/traits/:name') {
        if (route.method === 'GET') url = `/traits/${TRAIT}`
        else {
          const trait = fresh('CUSTOM')
          if (route.method === 'DELETE') {
            await api('PUT', `/traits/${trait}`)
            extra.tookEffect = async () =>
              (await status(`/traits/${trait}`)) === 404 ? 'the trait is gone' : undefined
          }
          url = `/traits/${trait}`
          extra.after = async () => {
            if ((await status(`/traits/${trait}`)) === 204) await api('DELETE', `/traits/${trait}`)
          }
        }
      } else if (route.path === '/resource_classes/:name') {
        if (route.method === 'GET') url = `/resource_classes/${RC}`
        else {
          const rc = fresh('CUSTOM')
          const made: string[] = [rc]
          // Before 1.7, PUT renames a class; from 1.7 it makes one; DELETE removes one.
          if (route.method === 'DELETE' || route.max) await api('POST', '/resource_classes', { name: rc })
          if (route.max) {
            const renamed = fresh('CUSTOM')
            made.push(renamed)
            body = { name: renamed }
          }
          if (route.method === 'DELETE')
            extra.tookEffect = async () =>
              (await status(`/resource_classes/${rc}`)) === 404 ? 'the class is gone' : undefined
          url = `/resource_classes/${rc}`
          extra.after = async () => {
            for (const c of made)
              if ((await status(`/resource_classes/${c}`)) === 200)
                await api('DELETE', `/resource_classes/${c}`)
          }
        }
      } else if (route.path === '/resource_classes' && route.method === 'POST') {
        const rc = fresh('CUSTOM')
        body = { name: rc }
        extra.after = async () => {
          if ((await status(`/resource_classes/${rc}`)) === 200)
            await api('DELETE', `/resource_classes/${rc}`)
        }
      } else if (route.path === '/resource_providers' && route.method === 'POST') {
        const uuid = randomUUID()
        body = { name: w.name('rp'), uuid }
        extra.after = async () => {
          if ((await status(`/resource_providers/${uuid}`)) === 200) await removeProvider(uuid)
        }
      } else if (route.path === '/allocations/:consumer_uuid') {
        const project = p.home.ours
        if (route.method === 'GET') url = `/allocations/${shared.consumer}`
        else if (route.method === 'PUT') {
          const consumer = randomUUID()
          url = `/allocations/${consumer}`
          body = {
            allocations: { [shared.rp.uuid]: { resources: { [RC]: 1 } } },
            project_id: project.id,
            user_id: p.userId,
            consumer_generation: null,
            consumer_type: 'INSTANCE',
          }
          extra.after = async () => void (await api('DELETE', `/allocations/${consumer}`).catch(() => {}))
        } else {
          const consumer = await allocate(shared.rp.uuid)
          url = `/allocations/${consumer}`
          extra.tookEffect = async () => {
            const a = await api('GET', `/allocations/${consumer}`)
            return Object.keys(a.allocations).length === 0 ? 'the allocations are gone' : undefined
          }
          extra.after = async () => void (await api('DELETE', `/allocations/${consumer}`).catch(() => {}))
        }
      } else if (route.path === '/allocations' && route.method === 'POST') {
        const consumer = randomUUID()
        body = {
          [consumer]: {
            allocations: { [shared.rp.uuid]: { resources: { [RC]: 1 } } },
            project_id: p.home.ours.id,
            user_id: p.userId,
            consumer_generation: null,
            consumer_type: 'INSTANCE',
          },
        }
        extra.after = async () => void (await api('DELETE', `/allocations/${consumer}`).catch(() => {}))
      } else if (route.path === '/reshaper') {
        const rp = await makeProvider()
        body = {
          inventories: {
            [rp.uuid]: {
              resource_provider_generation: await generation(rp.uuid),
              inventories: { [RC]: { total: 8 } },
            },
          },
          allocations: {},
        }
        extra.after = () => removeProvider(rp.uuid)
      } else if (route.path === '/allocation_candidates') {
        url = `/allocation_candidates?resources=${RC}:1`
      }

      return {
        method: route.method,
        url,
        ...(body !== undefined ? { body } : {}),
        headers: {
          'openstack-api-version': `placement ${versionOf(route)}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(rule ? { rule } : {}),
        target,
        denied: [403],
        ...extra,
      }
    },
  }
}
