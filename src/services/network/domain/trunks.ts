/**
 * Trunks: a parent port carrying subports, each tagged with a VLAN (or inheriting its
 * network's segmentation). A port is a parent of one trunk at most and a subport of one
 * trunk at most (unique keys decide), a segmentation id is used once per trunk, and a
 * parent port cannot be deleted while its trunk exists: the refusal names the trunk.
 */
import { badRequest, notFound, typed } from '../errors.js'
import { TRUNK } from '../schemas/attributes.js'
import type { Cond, Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import type { Ports } from './ports.js'
import type { ListQuery } from './query.js'
import type { Quotas } from './quotas.js'
import {
  type Caller,
  checkRevision,
  type IfMatch,
  type Kind,
  type ListColumn,
  newDoc,
  ownerOf,
  ResourceDomain,
  STANDARD_COLUMNS,
} from './resource.js'

const TRUNK_COLUMNS: Readonly<Record<string, ListColumn>> = {
  ...STANDARD_COLUMNS,
  port_id: { col: 'port_id', text: true },
}

interface SubportRequest {
  port_id: string
  segmentation_type?: string
  segmentation_id?: number
}

export class Trunks extends ResourceDomain {
  readonly kind: Kind = { resource: 'trunk', collection: 'trunks', attrs: TRUNK, standard: true }

  constructor(
    store: NetworkStore,
    private readonly ports: Ports,
    private readonly quotas: Quotas,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.trunks
  }

  protected override candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    return caller.isAdmin
      ? this.store.trunks.find()
      : this.store.trunks.find({ project_id: caller.projectId })
  }

  /** Lists in SQL: the candidates are the caller's own trunks (all of them for admins). */
  protected override sqlScope(caller: Caller): Cond | undefined {
    return this.ownScope(caller)
  }

  protected override listColumns() {
    return TRUNK_COLUMNS
  }

  protected override async decorate(docs: Doc[]): Promise<void> {
    for (const d of docs) {
      d.sub_ports = (await this.store.subports.ofTrunk(d.id)).map((x) => ({
        port_id: x.port_id,
        segmentation_type: x.segmentation_type,
        segmentation_id: Number(x.segmentation_id),
      }))
      const parent = await this.store.ports.get(String(d.port_id))
      d.status = parent?.['binding:host_id'] ? 'ACTIVE' : 'DOWN'
    }
  }

  private parseSubports(value: unknown, removing = false): SubportRequest[] {
    if (!Array.isArray(value))
      throw badRequest('Invalid input for sub_ports. Reason: sub_ports must be a list.')
    const subs = this.parseEach(value, removing)
    const seen = new Set<string>()
    for (const sp of subs) {
      if (sp.segmentation_type !== 'vlan') continue
      const key = String(sp.segmentation_id)
      if (seen.has(key))
        throw badRequest(
          `Invalid input for sub_ports. Reason: segmentation_id ${key} is given to more than one subport.`,
        )
      seen.add(key)
    }
    return subs
  }

  private parseEach(value: unknown[], removing: boolean): SubportRequest[] {
    return value.map((x) => {
      const sp = x as Record<string, unknown>
      if (typeof sp?.port_id !== 'string')
        throw badRequest('Invalid input for sub_ports. Reason: port_id is required.')
      if (removing) return { port_id: sp.port_id }
      if (sp.segmentation_type === undefined && sp.segmentation_id !== undefined)
        throw badRequest(
          `Invalid input for sub_ports. Reason: segmentation_type is required with segmentation_id ${String(sp.segmentation_id)}.`,
        )
      const type = (sp.segmentation_type as string | undefined) ?? 'vlan'
      if (type !== 'vlan' && type !== 'inherit')
        throw badRequest(
          `Invalid input for sub_ports. Reason: segmentation_type ${type} is not one of vlan, inherit.`,
        )
      const id = sp.segmentation_id === undefined ? undefined : Number(sp.segmentation_id)
      if (type === 'vlan' && (id === undefined || !Number.isInteger(id) || id < 1 || id > 4094))
        throw badRequest(
          `Invalid input for sub_ports. Reason: segmentation_id ${String(sp.segmentation_id)} must be within 1 and 4094.`,
        )
      return {
        port_id: sp.port_id,
        segmentation_type: type,
        ...(id === undefined ? {} : { segmentation_id: id }),
      }
    })
  }

  private async addSubports(s: NetworkStore, caller: Caller, trunk: Doc, subs: SubportRequest[]) {
    for (const sp of subs) {
      if (sp.port_id === trunk.port_id)
        throw typed(
          'conflict',
          'network.trunk.parent_as_subport',
          'PortInUseAsTrunkParent',
          `Port ${sp.port_id} is currently a parent port for trunk ${trunk.id}.`,
        )
      const port = await s.ports.get(sp.port_id)
      if (!port || (!caller.isAdmin && port.project_id !== caller.projectId))
        throw notFound('port', sp.port_id)
      const parentOf = (await s.trunks.find({ port_id: sp.port_id }))[0]
      if (parentOf)
        throw typed(
          'conflict',
          'network.trunk.parent_as_subport',
          'PortInUseAsTrunkParent',
          `Port ${sp.port_id} is currently a parent port for trunk ${parentOf.id}.`,
        )
      const already = await s.subports.ofPort(sp.port_id)
      if (already)
        throw typed(
          'conflict',
          'network.trunk.port_is_subport',
          'PortInUseAsSubPort',
          `Port ${sp.port_id} is currently a subport for trunk ${already.trunk_id}.`,
        )
      // A subport's MTU cannot exceed its trunk's (the parent port's network's).
      const parent = await s.ports.get(String(trunk.port_id))
      const [parentNet, subNet] = [
        parent ? await s.networks.get(String(parent.network_id)) : undefined,
        await s.networks.get(String(port.network_id)),
      ]
      if (parentNet && subNet && Number(subNet.mtu) > Number(parentNet.mtu))
        throw typed(
          'conflict',
          'network.trunk.subport_mtu',
          'SubPortMtuGreaterThanTrunkPortMtu',
          `MTU ${String(subNet.mtu)} of subport ${sp.port_id} cannot be greater than MTU ${String(parentNet.mtu)} of trunk ${trunk.id}.`,
        )
      let segId = sp.segmentation_id
      let segType = sp.segmentation_type!
      if (segType === 'inherit') {
        // Inherit takes the subport network's VLAN; other network types have none to give.
        const seg = (await s.segments.find({ network_id: String(port.network_id) }))[0]
        if (seg?.network_type !== 'vlan')
          throw badRequest(
            `Invalid input for sub_ports. Reason: segmentation_type inherit needs a vlan network; network ${String(port.network_id)} is ${String(seg?.network_type)}.`,
          )
        segType = 'vlan'
        segId = Number(seg.segmentation_id)
      }
      const dup = (await s.subports.ofTrunk(trunk.id)).find(
        (x) => x.segmentation_type === segType && Number(x.segmentation_id) === segId,
      )
      if (dup)
        throw typed(
          'conflict',
          'network.trunk.duplicate_subport',
          'DuplicateSubPort',
          `segmentation_type ${segType} and segmentation_id ${segId} already in use on trunk ${trunk.id}.`,
        )
      await s.subports.add({
        port_id: sp.port_id,
        trunk_id: trunk.id,
        segmentation_type: segType,
        segmentation_id: segId!,
      })
      await s.ports.update(
        {
          ...port,
          device_owner: 'trunk:subport',
          device_id: trunk.id,
          revision_number: Number(port.revision_number) + 1,
        },
        Number(port.revision_number),
      )
      // A subport added to a bound trunk is bound to the parent's host at once.
      if (parent?.['binding:host_id']) await this.ports.bindSubport(s, sp.port_id, parent)
    }
  }

  async create(caller: Caller, attrs: Record<string, unknown>, _explicit: ReadonlySet<string>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    caller.can('create_trunk', { ...attrs, project_id: owner, tenant_id: owner })
    const subs = this.parseSubports(attrs.sub_ports ?? [])
    const parent = await this.ports.load(caller, String(attrs.port_id))
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'trunk', 1)
      if ((await s.trunks.find({ port_id: parent.id })).length || (await s.subports.ofPort(parent.id)))
        throw typed(
          'conflict',
          'network.trunk.parent_in_use',
          'TrunkPortInUse',
          `Port ${parent.id} is in use by another trunk.`,
        )
      const doc = newDoc(owner, {
        name: attrs.name ?? '',
        description: attrs.description ?? '',
        admin_state_up: attrs.admin_state_up ?? true,
        port_id: parent.id,
        status: 'DOWN',
        tags: attrs.tags ?? [],
      })
      await s.trunks.insert(doc)
      await this.addSubports(s, caller, doc, subs)
      return doc
    })
  }

  async update(
    caller: Caller,
    id: string,
    attrs: Record<string, unknown>,
    _e: ReadonlySet<string>,
    ifMatch?: IfMatch,
  ): Promise<Doc> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('update_trunk', await this.target(current))
    const saved = await this.modify(id, (d) => {
      for (const k of ['name', 'description', 'admin_state_up']) if (k in attrs) d[k] = attrs[k]
      return d
    })
    await this.decorate([saved])
    return this.view(caller, saved, await this.target(saved))
  }

  async changeSubports(caller: Caller, id: string, body: unknown, add: boolean): Promise<Doc> {
    const trunk = await this.load(caller, id)
    caller.can(add ? 'add_subports' : 'remove_subports', await this.target(trunk))
    refuseDisabled(trunk)
    const subs = this.parseSubports((body as { sub_ports?: unknown } | undefined)?.sub_ports, !add)
    await this.store.tx(async (s) => {
      if (add) await this.addSubports(s, caller, trunk, subs)
      else
        for (const sp of subs) {
          const row = await s.subports.ofPort(sp.port_id)
          if (!row || row.trunk_id !== id)
            throw typed(
              'not_found',
              'network.trunk.subport_not_found',
              'SubPortNotFound',
              `SubPort on trunk ${id} with parent port ${sp.port_id} could not be found.`,
            )
          await s.subports.remove(sp.port_id)
          await this.ports.bindSubport(s, sp.port_id, undefined)
          const port = await s.ports.get(sp.port_id)
          if (port)
            await s.ports.update(
              { ...port, device_owner: '', device_id: '', revision_number: Number(port.revision_number) + 1 },
              Number(port.revision_number),
            )
        }
      const t = await s.trunks.get(id)
      if (t)
        await s.trunks.update(
          { ...t, revision_number: Number(t.revision_number) + 1 },
          Number(t.revision_number),
        )
    })
    return this.show(caller, id)
  }

  async subports(caller: Caller, id: string) {
    const trunk = await this.show(caller, id)
    caller.can('get_subports', trunk)
    return trunk.sub_ports
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_trunk', await this.target(current))
    refuseDisabled(current)
    await this.store.tx(async (s) => {
      for (const sp of await s.subports.ofTrunk(id)) {
        await s.subports.remove(sp.port_id)
        const port = await s.ports.get(sp.port_id)
        if (port)
          await s.ports.update(
            { ...port, device_owner: '', device_id: '', revision_number: Number(port.revision_number) + 1 },
            Number(port.revision_number),
          )
      }
      await s.trunks.delete(id)
    })
  }
}

/** A trunk an admin turned off keeps its subports as they are, as upstream's. */
function refuseDisabled(trunk: Doc) {
  if (trunk.admin_state_up === false)
    throw typed(
      'conflict',
      'network.trunk.disabled',
      'TrunkDisabled',
      `Trunk ${trunk.id} is currently disabled.`,
    )
}
