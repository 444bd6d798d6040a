/**
 * Simulated agents: the DHCP, L3, Open vSwitch and metadata agents a node running the
 * network service would have, recorded once per host and always alive (their heartbeat
 * is the service itself answering). Admins list and show them, turn them off
 * (`admin_state_up`), describe and delete them, as upstream's agent extension.
 */
import { AGENT } from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { type Caller, type Kind, newDoc, now, ResourceDomain } from './resource.js'

const KINDS = [
  { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', availability_zone: 'nova' },
  { agent_type: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', availability_zone: 'nova' },
  {
    agent_type: 'Open vSwitch agent',
    binary: 'neutron-openvswitch-agent',
    topic: 'N/A',
    availability_zone: null,
  },
  { agent_type: 'Metadata agent', binary: 'neutron-metadata-agent', topic: 'N/A', availability_zone: null },
] as const

/** oslo's agent timestamp form: `YYYY-MM-DD HH:MM:SS`. */
const agentTime = (iso: string) => iso.replace('T', ' ').replace('Z', '')

export class Agents extends ResourceDomain {
  readonly kind: Kind = { resource: 'agent', collection: 'agents', attrs: AGENT }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.agents
  }

  /** Records this host's agents (once). */
  async register(host: string): Promise<void> {
    const existing = await this.store.agents.find()
    for (const k of KINDS) {
      const name = `${k.binary}@${host}`
      if (existing.some((a) => a.name === name)) continue
      const at = agentTime(now())
      const doc = newDoc(
        '',
        {
          ...k,
          name,
          host,
          admin_state_up: true,
          started_at: at,
          configurations: {},
          description: null,
          resources_synced: null,
          resource_versions: {},
        },
        false,
      )
      doc.created_at = at
      await this.store.agents.insert(doc)
    }
  }

  protected override candidates(): Promise<Doc[]> {
    return this.store.agents.find()
  }

  override view(caller: Caller, doc: Doc, target: Record<string, unknown>): Doc {
    const out = super.view(caller, doc, target)
    for (const k of ['name', 'project_id', 'tenant_id', 'revision_number', 'updated_at']) delete out[k]
    out.heartbeat_timestamp = agentTime(now())
    out.alive = true
    return out
  }

  async update(caller: Caller, id: string, attrs: Record<string, unknown>): Promise<Doc> {
    const doc = await this.load(caller, id)
    caller.can('update_agent', await this.target(doc))
    const saved = await this.modify(id, (d) => {
      for (const k of ['admin_state_up', 'description']) if (k in attrs) d[k] = attrs[k]
      return d
    })
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const doc = await this.load(caller, id)
    caller.can('delete_agent', await this.target(doc))
    await this.store.agents.delete(id)
  }
}
