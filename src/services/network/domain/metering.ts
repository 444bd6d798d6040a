/**
 * Metering labels and their rules (admin-only, as upstream): a label names traffic to
 * count, its rules say which (direction, prefix, excluded). The counting itself belongs
 * to the simulated datapath, which keeps none yet. Overlapping rules in one label and
 * direction are refused, as Neutron's MeteringLabelRuleOverlaps.
 */
import { badRequest, notFound, typed } from '../errors.js'
import { METERING_LABEL, METERING_LABEL_RULE } from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { formatCidr, overlaps, parseCidr } from './ip.js'
import type { ListQuery } from './query.js'
import { type Caller, type Kind, newDoc, ownerOf, ResourceDomain, type ViewPlan } from './resource.js'

export class MeteringLabels extends ResourceDomain {
  readonly kind: Kind = { resource: 'metering_label', collection: 'metering_labels', attrs: METERING_LABEL }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.meteringLabels
  }

  protected override candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    return caller.isAdmin
      ? this.store.meteringLabels.find()
      : this.store.meteringLabels.find({ project_id: caller.projectId })
  }

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    caller.can('create_metering_label', { ...attrs, project_id: owner, tenant_id: owner })
    const doc = newDoc(
      owner,
      { name: attrs.name, description: attrs.description, shared: attrs.shared ?? false },
      false,
    )
    await this.store.meteringLabels.insert(doc)
    return doc
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const doc = await this.load(caller, id)
    caller.can('delete_metering_label', await this.target(doc))
    await this.store.tx(async (s) => {
      for (const r of await s.meteringRules.find({ name: id })) await s.meteringRules.delete(r.id)
      await s.meteringLabels.delete(id)
    })
  }
}

export class MeteringRules extends ResourceDomain {
  readonly kind: Kind = {
    resource: 'metering_label_rule',
    collection: 'metering_label_rules',
    attrs: METERING_LABEL_RULE,
  }

  constructor(
    store: NetworkStore,
    private readonly labels: MeteringLabels,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.meteringRules
  }

  protected override candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    return caller.isAdmin
      ? this.store.meteringRules.find()
      : this.store.meteringRules.find({ project_id: caller.projectId })
  }

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    caller.can('create_metering_label_rule', { ...attrs, project_id: owner, tenant_id: owner })
    const label = await this.labels.load(caller, String(attrs.metering_label_id)).catch(() => {
      throw notFound('metering_label', String(attrs.metering_label_id), 'MeteringLabelNotFound')
    })
    const remote = attrs.remote_ip_prefix as string | null
    const source = attrs.source_ip_prefix as string | null
    const dest = attrs.destination_ip_prefix as string | null
    if (remote && (source || dest))
      throw badRequest(
        "Cannot use 'remote-ip-prefix' in conjunction with 'source-ip-prefix' or 'destination-ip-prefix'.",
      )
    if (!remote && !source && !dest)
      throw badRequest(
        "You must define at least one of the following parameters 'remote_ip_prefix', or 'source_ip_prefix' or 'destination_ip_prefix'.",
      )
    const norm = (c: string | null) => (c ? formatCidr(parseCidr(c)!) : null)
    return this.store.tx(async (s) => {
      if (remote) {
        const mine = parseCidr(remote)!
        for (const r of await s.meteringRules.find({ name: label.id })) {
          if (r.direction !== attrs.direction || !r.remote_ip_prefix) continue
          if (overlaps(parseCidr(r.remote_ip_prefix)!, mine))
            throw typed(
              'conflict',
              'network.metering.rule_overlaps',
              'MeteringLabelRuleOverlaps',
              `Metering label rule with remote_ip_prefix ${remote} overlaps another.`,
            )
        }
      }
      // NOTE: the rule's label id doubles as its row name, so a label's rules are one indexed lookup.
      const doc = newDoc(
        owner,
        {
          name: label.id,
          metering_label_id: label.id,
          direction: attrs.direction,
          excluded: attrs.excluded ?? false,
          remote_ip_prefix: norm(remote),
          source_ip_prefix: norm(source),
          destination_ip_prefix: norm(dest),
        },
        false,
      )
      await s.meteringRules.insert(doc)
      return doc
    })
  }

  override view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = super.view(caller, doc, target, plan)
    delete out.name
    return out
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const doc = await this.load(caller, id)
    caller.can('delete_metering_label_rule', await this.target(doc))
    await this.store.meteringRules.delete(id)
  }
}
