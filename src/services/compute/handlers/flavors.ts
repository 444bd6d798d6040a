/**
 * Flavor handlers: list (brief and detail), show, create, update (description, 2.55)
 * and delete. Views follow the microversion: description from 2.55, extra_specs from
 * 2.61 (for callers the extra-specs index rule allows), swap 0 instead of "" from 2.75.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FlavorListQuery, FlavorSortKey } from '../domain/flavors.js'
import { ComputeBadRequest } from '../errors.js'
import { FLAVOR } from '../policies/index.js'
import { LIST_FLAVORS, LIST_FLAVORS_275 } from '../schemas/flavors.js'
import { toBool } from '../schemas/types.js'
import type { FlavorRow } from '../storage/flavor.repo.js'
import {
  bodyOf,
  type ComputeDeps,
  callerOf,
  itemLinks,
  nextLink,
  pagingOf,
  params,
  queryOf,
} from './common.js'

/** Whether this request's views carry extra_specs (2.61, when policy allows it). */
function showsSpecs(req: FastifyRequest): boolean {
  return req.version.gte('2.61') && req.ctx.allows(FLAVOR.SPECS_INDEX, { project_id: req.ctx.who.project_id })
}

export function flavorView(
  req: FastifyRequest,
  deps: ComputeDeps,
  f: FlavorRow,
  specs?: Record<string, string>,
): Record<string, unknown> {
  return {
    id: f.flavorid,
    name: f.name,
    ram: f.memory_mb,
    disk: f.root_gb,
    swap: f.swap || (req.version.gte('2.75') ? 0 : ''),
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral_gb,
    'OS-FLV-DISABLED:disabled': f.disabled === 1,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.is_public === 1,
    rxtx_factor: f.rxtx_factor || '',
    links: itemLinks(req, deps, 'flavors', f.flavorid),
    ...(req.version.gte('2.55') ? { description: f.description } : {}),
    ...(specs ? { extra_specs: specs } : {}),
  }
}

function listQuery(req: FastifyRequest, isAdmin: boolean): FlavorListQuery {
  const q = queryOf(req, req.version.gte('2.75') ? LIST_FLAVORS_275 : LIST_FLAVORS)
  let isPublic: boolean | null = true
  if (isAdmin && q.is_public !== undefined) {
    if (q.is_public.toLowerCase() === 'none') isPublic = null
    else if (/^(1|t|true|on|y|yes|0|f|false|off|n|no)$/i.test(q.is_public.trim()))
      isPublic = /^(1|t|true|on|y|yes)$/i.test(q.is_public.trim())
    else throw new ComputeBadRequest(`Invalid is_public filter [${q.is_public}]`)
  }
  const int = (name: 'minRam' | 'minDisk') => {
    const v = q[name]
    if (v === undefined) return undefined
    if (!/^\s*[+-]?\d+\s*$/.test(v)) throw new ComputeBadRequest(`Invalid ${name} filter [${v}]`)
    return Number.parseInt(v, 10)
  }
  return {
    isPublic,
    minMemoryMb: int('minRam'),
    minRootGb: int('minDisk'),
    sortKey: (q.sort_key || 'flavorid') as FlavorSortKey,
    sortDir: q.sort_dir === 'desc' ? 'desc' : 'asc',
    ...pagingOf(q),
  }
}

export async function listFlavors(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const caller = callerOf(req)
  const page = await deps.flavors.list(caller, listQuery(req, caller.isAdmin))
  const description = req.version.gte('2.55')
  return {
    flavors: page.items.map((f) => ({
      id: f.flavorid,
      name: f.name,
      links: itemLinks(req, deps, 'flavors', f.flavorid),
      ...(description ? { description: f.description } : {}),
    })),
    ...(page.next ? { flavors_links: nextLink(req, deps, 'flavors', page.next) } : {}),
  }
}

export async function listFlavorDetails(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const caller = callerOf(req)
  const page = await deps.flavors.list(caller, listQuery(req, caller.isAdmin))
  const specs = showsSpecs(req) ? await deps.flavors.extraSpecsOf(page.items) : undefined
  return {
    flavors: page.items.map((f) => flavorView(req, deps, f, specs?.get(f.id))),
    ...(page.next ? { flavors_links: nextLink(req, deps, 'flavors/detail', page.next) } : {}),
  }
}

export async function showFlavor(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const flavor = await deps.flavors.get(callerOf(req), params(req).flavor_id!)
  const specs = showsSpecs(req) ? await deps.flavors.extraSpecs(flavor) : undefined
  return { flavor: flavorView(req, deps, flavor, specs) }
}

export async function createFlavor(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const f = bodyOf(req).flavor
  const id = f.id === undefined || f.id === null ? undefined : String(f.id)
  const flavor = await deps.flavors.create({
    name: f.name,
    ...(id === undefined ? {} : { flavorid: id }),
    memory_mb: Number(f.ram),
    vcpus: Number(f.vcpus),
    root_gb: Number(f.disk),
    ephemeral_gb: Number(f['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
    swap: Number(f.swap ?? 0),
    rxtx_factor: Number(f.rxtx_factor ?? 1),
    is_public: f['os-flavor-access:is_public'] === undefined ? true : toBool(f['os-flavor-access:is_public']),
    description: f.description ?? null,
  })
  return { flavor: flavorView(req, deps, flavor, showsSpecs(req) ? {} : undefined) }
}

export async function updateFlavor(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const caller = callerOf(req)
  const flavor = await deps.flavors.updateDescription(
    caller,
    params(req).flavor_id!,
    bodyOf(req).flavor.description,
  )
  const specs = showsSpecs(req) ? await deps.flavors.extraSpecs(flavor) : undefined
  return { flavor: flavorView(req, deps, flavor, specs) }
}

export async function deleteFlavor(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  await deps.flavors.delete(callerOf(req), params(req).flavor_id!)
  return reply.code(202).send()
}
