/**
 * The scheduling decision for a hypothetical request, without booting or claiming:
 * what `cloudlet scheduler explain` and the admin route `POST
 * /v2.1/cloudlet-scheduler/explain` (Cloudlet's own, not upstream's) show. It runs what
 * the scheduler role runs for a create (src/scheduler with the same profile, the same
 * host states and the same placement query), stops before the claim, and returns the
 * library's explanation: the candidates placement returned, each filter's removals with
 * per-host reasons, and the ranked hosts with each weigher's part.
 *
 *   flavor, image, zone, hints, project ─▶ RequestSpec (placeholder server uuids)
 *        ─▶ host outline ─▶ request filters ─▶ GET /allocation_candidates
 *        ─▶ host states ─▶ filters, weighers, pick ─▶ explain()   (no claim)
 */
import { randomUUID } from 'node:crypto'
import { type Explanation, explain } from '../../../scheduler/explain.js'
import type { Profile } from '../../../scheduler/profiles.js'
import {
  allocationCandidatesQuery,
  buildPlacementQuery,
  type RequestSpec,
  type ServerGroup,
} from '../../../scheduler/request-spec.js'
import { type Candidate, prepare, select } from '../../../scheduler/runtime.js'
import type { ImageApi } from '../clients/image.js'
import type { PlacementApi } from '../clients/placement.js'
import type { HostStates } from '../conductor/host-states.js'
import { ComputeBadRequest } from '../errors.js'
import type { ServerRepo } from '../storage/server.repo.js'
import type { Caller } from './caller.js'
import type { Flavors } from './flavors.js'
import type { ServerGroups } from './server-groups.js'
import { parseZone } from './servers.js'

export interface ExplainRequest {
  flavorRef: string
  imageRef?: string
  /** The project the request is made for. @default the caller's */
  projectId?: string
  /** `zone`, `zone:host` or `zone:host:node`, as server create takes it. */
  availabilityZone?: string
  hints: Record<string, string | string[]>
  /** How many servers the request asks for (min_count). @default 1 */
  count: number
}

export interface ExplainResult {
  /** Compute hosts the scheduler knows (the snapshot). */
  hosts: number
  explanation: Explanation
}

export interface ExplainDeps {
  /** The scheduler's pipeline, built on first use. */
  profile: () => Profile
  hostStates: HostStates
  placement: PlacementApi
  flavors: Flavors
  images: ImageApi
  groups: ServerGroups
  servers: ServerRepo
  maxPlacementResults: number
}

export class SchedulerExplainer {
  private built: Profile | undefined

  constructor(private readonly d: ExplainDeps) {}

  private get profile(): Profile {
    this.built ??= this.d.profile()
    return this.built
  }

  async explain(caller: Caller, req: ExplainRequest, requestId?: string): Promise<ExplainResult> {
    const d = this.d
    const flavor = await d.flavors.get(caller, req.flavorRef).catch(() => {
      throw new ComputeBadRequest(`Flavor ${req.flavorRef} could not be found.`)
    })
    const extraSpecs = await d.flavors.extraSpecs(flavor)
    let image: RequestSpec['image'] = { properties: {} }
    if (req.imageRef !== undefined) {
      const found = await d.images.find(req.imageRef, caller.projectId, caller.isAdmin, {
        ...(requestId ? { requestId } : {}),
      })
      if (!found) throw new ComputeBadRequest(`Image ${req.imageRef} could not be found.`)
      image = {
        id: found.id,
        ...(found.disk_format ? { diskFormat: found.disk_format } : {}),
        properties: found.properties,
      }
    }
    const f = {
      name: flavor.name,
      vcpus: flavor.vcpus,
      memoryMb: flavor.memory_mb,
      rootGb: flavor.root_gb,
      ephemeralGb: flavor.ephemeral_gb,
      swap: flavor.swap,
      extraSpecs,
    }
    const zone = req.availabilityZone ? parseZone(req.availabilityZone) : {}
    const destination = zone.host || zone.node ? { ...zone } : undefined
    let group: ServerGroup | undefined
    const groupHint = req.hints.group
    const groupUuid = Array.isArray(groupHint) ? groupHint[0] : groupHint
    if (groupUuid !== undefined) {
      const g = await d.groups.get(groupUuid).catch(() => {
        throw new ComputeBadRequest(`Invalid server group ${groupUuid} provided.`)
      })
      const members = await d.servers.rows(g.members)
      group = {
        uuid: g.uuid,
        policy: g.policy as ServerGroup['policy'],
        rules: g.max_server_per_host === null ? {} : { maxServerPerHost: g.max_server_per_host },
        members: g.members,
        hosts: [...new Set(members.filter((m) => m.host && m.deleted === 0).map((m) => m.host!))],
      }
    }
    const spec: RequestSpec = {
      instanceUuids: Array.from({ length: req.count }, () => randomUUID()),
      projectId: req.projectId ?? caller.projectId,
      userId: caller.userId,
      flavor: f,
      image,
      ...(zone.zone ? { availabilityZone: zone.zone } : {}),
      hints: req.hints,
      ...(group ? { group } : {}),
      ...(destination ? { requestedDestination: destination } : {}),
      placement: { ...buildPlacementQuery(f, image), limit: d.maxPlacementResults },
    }
    const outline = await d.hostStates.outline(Date.now() / 1000)
    const prepared = prepare(this.profile, outline, spec)
    let candidates: Candidate[] = []
    let snapshot = outline
    if (!prepared.status.isRejection()) {
      const reply = await d.placement.candidates(
        allocationCandidatesQuery(prepared.request.placement),
        requestId,
      )
      const roots = new Set(outline.hosts.map((h) => h.uuid))
      candidates = reply.allocation_requests.flatMap((ar) => {
        const root = Object.keys(ar.allocations).find((rp) => roots.has(rp))
        return root ? [{ rootProviderUuid: root, allocationRequest: ar }] : []
      })
      snapshot = d.hostStates.complete(outline, reply.provider_summaries)
    }
    const result = select(this.profile, { ...prepared, ctx: { snapshot, now: snapshot.now } }, candidates)
    return { hosts: snapshot.hosts.length, explanation: explain(result, snapshot) }
  }
}
