/**
 * Network segments (admin): the ML2 segments of each network, one more added to a network
 * with its id claimed race-free like any provider segment, and deletion refused while a
 * subnet is bound to the segment.
 */
import { typed } from '../errors.js'
import { SEGMENT } from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import type { Ml2 } from './ml2.js'
import { segmentDoc } from './networks.js'
import { type Caller, type Kind, ResourceDomain, type ViewPlan } from './resource.js'

export class Segments extends ResourceDomain {
  readonly kind: Kind = { resource: 'segment', collection: 'segments', attrs: SEGMENT }

  constructor(
    store: NetworkStore,
    private readonly ml2: Ml2,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.segments
  }

  override view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = super.view(caller, doc, target, plan)
    delete out.segment_index
    return out
  }

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    caller.can('create_segment', attrs)
    const net = await this.store.networks.get(String(attrs.network_id))
    if (!net)
      throw typed(
        'not_found',
        'network.network.not_found',
        'NetworkNotFound',
        `Network ${String(attrs.network_id)} could not be found.`,
      )
    const seg = this.ml2.validateProvider({
      network_type: attrs.network_type as string,
      physical_network: (attrs.physical_network as string | null) ?? null,
      segmentation_id: (attrs.segmentation_id as number | null) ?? null,
    })
    return this.store.tx(async (s) => {
      const reserved = await this.ml2.reserve(s, net.id, seg)
      const index = (await s.segments.find({ network_id: net.id })).length
      const doc = segmentDoc(net, reserved, index)
      doc.name = attrs.name ?? null
      doc.description = attrs.description ?? ''
      await s.segments.insert(doc)
      return doc
    })
  }

  async update(caller: Caller, id: string, attrs: Record<string, unknown>): Promise<Doc> {
    const current = await this.load(caller, id)
    caller.can('update_segment', await this.target(current))
    const saved = await this.modify(id, (d) => {
      for (const k of ['name', 'description']) if (k in attrs) d[k] = attrs[k]
      return d
    })
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const current = await this.load(caller, id)
    caller.can('delete_segment', await this.target(current))
    await this.store.tx(async (s) => {
      const subnets = await s.subnets.find({ segment_id: id })
      if (subnets.length)
        throw typed(
          'conflict',
          'network.segment.in_use',
          'SegmentInUse',
          `Segment '${id}' cannot be deleted: subnets ${subnets.map((x) => x.id).join(', ')} are bound to it.`,
        )
      const remaining = (await s.segments.find({ network_id: String(current.network_id) })).length
      if (remaining <= 1)
        throw typed(
          'conflict',
          'network.segment.last',
          'SegmentInUse',
          `Segment '${id}' is the only segment of network ${current.network_id}; delete the network instead.`,
        )
      await s.segments.delete(id)
      if (current.segmentation_id !== null || current.network_type === 'flat') {
        await s.segmentIds.release(
          String(current.network_type),
          String(current.physical_network ?? ''),
          current.network_type === 'flat' ? 0 : Number(current.segmentation_id),
        )
      }
    })
  }
}
