/**
 * Simulated agents: the DHCP, L3, Open vSwitch and metadata agents a node running the
 * network service would have, recorded once per host and always alive (their heartbeat
 * is the service itself answering). Admins list and show them, turn them off
 * (`admin_state_up`), describe and delete them, as upstream's agent extension.
 */
import { typed } from '../errors.js'
import { AGENT } from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import type { ListQuery } from './query.js'
import { type Caller, type Kind, newDoc, now, ResourceDomain, type ViewPlan } from './resource.js'

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

const L2 = KINDS[2]

export class Agents extends ResourceDomain {
  readonly kind: Kind = { resource: 'agent', collection: 'agents', attrs: AGENT }
  private synced = 0

  constructor(
    store: NetworkStore,
    /** The compute hosts the cloud's registry knows (empty without compute). */
    private readonly computeHosts: () => Promise<string[]> = async () => [],
  ) {
    super(store)
  }

  /**
   * Every compute host has an L2 agent, as a node running nova-compute runs the Open
   * vSwitch agent: hosts compute's registry knows get one (checked at most every 10 s).
   */
  private async syncComputeHosts(): Promise<void> {
    if (Date.now() - this.synced < 10_000) return
    this.synced = Date.now()
    const hosts = await this.computeHosts().catch(() => [] as string[])
    if (!hosts.length) return
    const existing = await this.store.agents.find()
    for (const host of hosts) {
      const name = `${L2.binary}@${host}`
      if (existing.some((a) => a.name === name)) continue
      await this.insertAgent(L2, host)
    }
  }

  private async insertAgent(k: (typeof KINDS)[number], host: string) {
    const at = agentTime(now())
    const doc = newDoc(
      '',
      {
        ...k,
        name: `${k.binary}@${host}`,
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
    await this.store.agents.insert(doc).catch(() => {})
  }

  override async list(caller: Caller, q: ListQuery) {
    if (caller.isAdmin) await this.syncComputeHosts()
    return super.list(caller, q)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.agents
  }

  /** Records this host's agents (once). */
  async register(host: string): Promise<void> {
    const existing = await this.store.agents.find()
    for (const k of KINDS) {
      if (existing.some((a) => a.name === `${k.binary}@${host}`)) continue
      await this.insertAgent(k, host)
    }
  }

  protected override candidates(): Promise<Doc[]> {
    return this.store.agents.find()
  }

  override view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = super.view(caller, doc, target, plan)
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

  // --- dhcp_agent_scheduler: which DHCP agents serve a network. A network with a
  // DHCP-enabled subnet is served by every DHCP agent until an admin says otherwise
  // (`_dhcp_agents` on the network then lists them).

  private async dhcpAgentsOf(network: Doc): Promise<string[]> {
    const explicit = network._dhcp_agents as string[] | undefined
    if (explicit) return explicit
    const subnets = await this.store.subnets.find({ network_id: network.id })
    if (!subnets.some((s) => s.enable_dhcp)) return []
    return (await this.store.agents.find()).filter((a) => a.agent_type === 'DHCP agent').map((a) => a.id)
  }

  async agentsHosting(caller: Caller, network: Doc): Promise<Doc[]> {
    caller.can('get_dhcp-agents', {})
    const ids = await this.dhcpAgentsOf(network)
    const agents = await this.store.agents.find({ id: ids })
    return Promise.all(agents.map(async (a) => this.view(caller, a, await this.target(a))))
  }

  async networksHosted(caller: Caller, agentId: string): Promise<Doc[]> {
    caller.can('get_dhcp-networks', {})
    await this.load(caller, agentId)
    const out: Doc[] = []
    for (const n of await this.store.networks.find())
      if ((await this.dhcpAgentsOf(n)).includes(agentId)) out.push(n)
    return out
  }

  async host(caller: Caller, agentId: string, networkId: string, add: boolean): Promise<void> {
    caller.can(add ? 'create_dhcp-network' : 'delete_dhcp-network', {})
    const agent = await this.load(caller, agentId)
    if (agent.agent_type !== 'DHCP agent')
      throw typed(
        'not_found',
        'network.agent.not_dhcp',
        'AgentNotFoundByTypeHost',
        `Agent ${agentId} is not a DHCP agent.`,
      )
    const net = await this.store.networks.get(networkId)
    if (!net)
      throw typed(
        'not_found',
        'network.network.not_found',
        'NetworkNotFound',
        `Network ${networkId} could not be found.`,
      )
    const current = await this.dhcpAgentsOf(net)
    if (add && current.includes(agentId))
      throw typed(
        'conflict',
        'network.agent.already_hosting',
        'NetworkHostedByDHCPAgent',
        `The network ${networkId} has been already hosted by the DHCP Agent ${agentId}.`,
      )
    if (!add && !current.includes(agentId))
      throw typed(
        'conflict',
        'network.agent.not_hosting',
        'NetworkNotHostedByDhcpAgent',
        `The network ${networkId} is not hosted by the DHCP agent ${agentId}.`,
      )
    const next = add ? [...current, agentId] : current.filter((a) => a !== agentId)
    for (let attempt = 0; attempt < 5; attempt++) {
      const fresh = await this.store.networks.get(networkId)
      if (!fresh) return
      if (await this.store.networks.update({ ...fresh, _dhcp_agents: next }, Number(fresh.revision_number)))
        return
    }
  }
}
