/**
 * The scheduler role's one method, select_destinations: for the instances of one
 * create request, build the request spec from what the API recorded, run the request
 * filters over the host outline, ask placement for allocation candidates, complete the
 * host states, filter and weigh (src/scheduler), and claim the plan in placement with
 * alternates. The answer is a claimed host per instance, or the "No valid host" account
 * of why none fits.
 *
 * NOTE: decisions of one process run one at a time. Each decision reads placement
 * after the previous one claimed, so a burst of requests does not plan onto the same
 * free space and lose every claim; decisions in other processes race only through
 * placement's own capacity checks, which the alternates absorb.
 */
import { noValidHostMessage } from '../../../scheduler/explain.js'
import type { Claimer, Selection } from '../../../scheduler/framework.js'
import type { Profile } from '../../../scheduler/profiles.js'
import {
  allocationCandidatesQuery,
  buildPlacementQuery,
  type RequestSpec,
  type ServerGroup,
} from '../../../scheduler/request-spec.js'
import { type Candidate, claimPlan, prepare, select } from '../../../scheduler/runtime.js'
import type { PlacementApi } from '../clients/placement.js'
import type { ServerGroups } from '../domain/server-groups.js'
import type { InstanceFlavor, InstanceImage, InstanceRequest } from '../domain/servers.js'
import type { SelectDestinationsArgs, SelectDestinationsReply, SelectionMessage } from '../rpc.js'
import type { InstanceRow, ServerRepo } from '../storage/server.repo.js'
import type { HostStates } from './host-states.js'

export interface SelectDeps {
  profile: Profile
  hostStates: HostStates
  placement: PlacementApi
  servers: ServerRepo
  groups: ServerGroups
  maxPlacementResults: number
}

export class DestinationSelector {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly d: SelectDeps) {}

  /** Decisions one at a time (see the note above). */
  select(args: SelectDestinationsArgs): Promise<SelectDestinationsReply> {
    const run = this.queue.then(() => this.decide(args))
    this.queue = run.catch(() => {})
    return run
  }

  private async decide(args: SelectDestinationsArgs): Promise<SelectDestinationsReply> {
    const rows = await this.d.servers.rows(args.instance_uuids)
    const first = rows[0]
    if (!first)
      return { ok: false, message: 'No valid host was found. The servers no longer exist.', details: '' }
    const spec = await this.requestSpec(first, rows, args)
    const outline = await this.d.hostStates.outline(Date.now() / 1000)
    const prepared = prepare(this.d.profile, outline, spec)
    let candidates: Candidate[] = []
    let snapshot = outline
    if (!prepared.status.isRejection()) {
      const reply = await this.d.placement.candidates(allocationCandidatesQuery(prepared.request.placement))
      const roots = new Set(outline.hosts.map((h) => h.uuid))
      candidates = reply.allocation_requests.flatMap((ar) => {
        const root = Object.keys(ar.allocations).find((rp) => roots.has(rp))
        return root ? [{ rootProviderUuid: root, allocationRequest: ar }] : []
      })
      if (candidates.length < reply.allocation_requests.length) this.d.hostStates.invalidate()
      snapshot = this.d.hostStates.complete(outline, reply.provider_summaries)
    }
    const result = select(this.d.profile, { ...prepared, ctx: { snapshot, now: snapshot.now } }, candidates)
    if (!result.plan) {
      const message = noValidHostMessage(result) ?? 'No valid host was found.'
      return { ok: false, message, details: result.status.reasons.join('; ') }
    }
    const owner = { projectId: first.project_id, userId: first.user_id }
    const claimer: Claimer = {
      claim: (consumer, sel) => this.d.placement.claim(consumer, sel.allocationRequest, owner),
      release: (consumer) => this.d.placement.release(consumer),
    }
    const claimed = await claimPlan(this.d.profile, result, claimer)
    if (!claimed.status.isSuccess())
      return {
        ok: false,
        message: `No valid host was found. ${claimed.status.reasons.slice(1).join('; ')}`.trim(),
        details: claimed.status.reasons.join('; '),
      }
    return {
      ok: true,
      selections: claimed.claimed.map((p) => ({
        instance_uuid: p.instance,
        selection: toMessage(p.selection),
        alternates: p.alternates.map(toMessage),
      })),
    }
  }

  private async requestSpec(
    first: InstanceRow,
    rows: InstanceRow[],
    args: SelectDestinationsArgs,
  ): Promise<RequestSpec> {
    const ignore = args.ignore_hosts ?? []
    // NOTE: a move (resize, migration, unshelve) asks with the flavor, zone and host it
    // moves to rather than what the instance recorded at create time.
    const flavor = args.flavor ?? (JSON.parse(first.flavor) as InstanceFlavor)
    const zone = args.availability_zone === undefined ? first.availability_zone : args.availability_zone
    const image = JSON.parse(first.image) as InstanceImage
    const request = JSON.parse(first.request) as InstanceRequest
    const f = {
      name: flavor.name,
      vcpus: flavor.vcpus,
      memoryMb: flavor.memory_mb,
      // NOTE: a volume-backed server's root disk is the volume, not the host's disk.
      rootGb: request.is_bfv ? 0 : flavor.root_gb,
      ephemeralGb: flavor.ephemeral_gb,
      swap: flavor.swap,
      extraSpecs: flavor.extra_specs,
    }
    const img = {
      id: image.id,
      ...(image.disk_format ? { diskFormat: image.disk_format } : {}),
      properties: image.properties,
    }
    let group: ServerGroup | undefined
    if (request.group) {
      const g = await this.d.groups.get(request.group).catch(() => undefined)
      if (g) {
        const members = await this.d.servers.rows(g.members)
        group = {
          uuid: g.uuid,
          policy: g.policy as ServerGroup['policy'],
          rules: g.max_server_per_host === null ? {} : { maxServerPerHost: g.max_server_per_host },
          members: g.members,
          hosts: [...new Set(members.filter((m) => m.host && m.deleted === 0).map((m) => m.host!))],
        }
      }
    }
    const placement = { ...buildPlacementQuery(f, img), limit: this.d.maxPlacementResults }
    return {
      instanceUuids: rows.map((r) => r.uuid),
      projectId: first.project_id,
      userId: first.user_id,
      flavor: f,
      image: img,
      ...(zone ? { availabilityZone: zone } : {}),
      hints: request.hints,
      ...(group ? { group } : {}),
      ...(args.destination
        ? { requestedDestination: args.destination }
        : request.destination && !args.move
          ? { requestedDestination: request.destination }
          : {}),
      ...(ignore.length ? { ignoreHosts: ignore } : {}),
      placement,
    }
  }
}

function toMessage(s: Selection): SelectionMessage {
  return { host: s.host, nodename: s.nodename, allocation_request: s.allocationRequest }
}
