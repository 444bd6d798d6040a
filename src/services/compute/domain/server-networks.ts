/**
 * A server's networking as the compute API shows and changes it, over the network
 * service (clients/network.ts):
 *
 *   resolve      a create's `networks`: `auto` (or none given) becomes the project's one
 *                network, else the one shared network (409 when several fit, as
 *                upstream's NetworkAmbiguous), else for an explicit `auto` the project's
 *                auto-allocated topology; a requested port must be free
 *   addresses    `addresses` of the views and /ips: each port's fixed IPs, then the
 *                floating IPs on them, under the network's name
 *   interfaces   os-interface list/show/attach/detach (attach creates or takes a port
 *                bound to the server's host; detach gives it back)
 *   floating IPs addFloatingIp / removeFloatingIp
 *   groups       addSecurityGroup / removeSecurityGroup on every port of the server
 */
import { isIP } from 'node:net'
import type { FloatingIpInfo, NetworkPort, NetworkPorts, SecurityGroupInfo } from '../clients/network.js'
import { NetworkCallRefused } from '../clients/network.js'
import type { RequestedNetwork, ServerNetworking } from '../conductor/networking.js'
import {
  ComputeBadRequest,
  InterfaceNotFound,
  ServerInvalidState,
  ServerLocked,
  ServerNetworkConflict,
  ServerNetworkNotFound,
  ServerNetworkRefused,
} from '../errors.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { InstancePortRepo } from '../storage/instance-port.repo.js'
import type { Caller } from './caller.js'
import type { Server } from './servers.js'

export interface AddressEntry {
  version: 4 | 6
  addr: string
  'OS-EXT-IPS:type': 'fixed' | 'floating'
  'OS-EXT-IPS-MAC:mac_addr': string
}

/** What the views show of a server's ports. */
export interface ServerNetworkView {
  addresses: Record<string, AddressEntry[]>
  securityGroups: string[]
}

export interface ServerNetworksDeps {
  network: NetworkPorts
  ports: InstancePortRepo
  networking: ServerNetworking
  actions: ActionRepo
  defaultZone: string
}

/** The vm_states an interface may be attached or detached in (task state none). */
const INTERFACE_STATES = ['active', 'paused', 'stopped']

export class ServerNetworks {
  constructor(private readonly d: ServerNetworksDeps) {}

  /**
   * A create's `networks` as the conductor builds it: explicit entries checked (a port
   * in use is a 409, one port for several servers a 400), `auto` resolved to one network.
   */
  async resolve(
    projectId: string,
    networks: 'none' | 'auto' | unknown[],
    maxCount: number,
    requestId?: string,
    /** `auto` was asked for (2.37), not implied by an omitted `networks`. */
    opts: { allocate?: boolean } = {},
  ): Promise<'none' | RequestedNetwork[]> {
    if (networks === 'none') return 'none'
    if (Array.isArray(networks)) {
      const wanted = networks as RequestedNetwork[]
      for (const n of wanted) {
        if (n.fixed_ip && maxCount > 1)
          throw new ComputeBadRequest(
            'Unable to launch multiple instances with a single configured fixed IP. Please launch your instance one by one with different fixed IPs.',
          )
        if (!n.port) continue
        if (maxCount > 1)
          throw new ComputeBadRequest(
            'Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.',
          )
        const port = await this.d.network.getPort(n.port, requestId)
        if (port?.device_id) throw new ServerNetworkConflict(`Port ${n.port} is still in use.`)
      }
      return wanted
    }
    const net = await this.pickNetwork(projectId, requestId)
    if (net) return [{ uuid: net }]
    if (!opts.allocate) return []
    // NOTE: an explicit `auto` with no network to use asks the network service for the
    // project's auto-allocated topology, as upstream's compute does (once for all the
    // servers of a multi-create, so they share it).
    const allocated = await this.d.network.autoAllocatedNetwork(projectId, requestId)
    if (!allocated)
      throw new ComputeBadRequest(`Unable to automatically allocate a network for project ${projectId}`)
    return [{ uuid: allocated }]
  }

  /** The project's own network, else the shared one; undefined when there is none. */
  private async pickNetwork(projectId: string, requestId?: string): Promise<string | undefined> {
    const usable = (nets: { id: string; 'router:external'?: boolean }[]) =>
      nets.filter((n) => !n['router:external']).map((n) => n.id)
    for (const q of [{ project_id: projectId }, { shared: 'true' }]) {
      const ids = [...new Set(usable(await this.d.network.listNetworks(q, requestId)))]
      if (ids.length > 1)
        throw new ServerNetworkConflict(
          'Multiple possible networks found, use a Network ID to be more specific.',
        )
      if (ids.length === 1) return ids[0]
    }
    return undefined
  }

  /**
   * The views' addresses and groups of many servers, in a few calls: only servers that
   * hold ports (instance_ports) are asked about, so a page of servers without networks
   * costs one local query.
   */
  async views(servers: readonly Server[], requestId?: string): Promise<Map<string, ServerNetworkView>> {
    const out = new Map<string, ServerNetworkView>()
    const held = await this.d.ports.ofInstances(servers.map((s) => s.uuid))
    if (held.length === 0) return out
    const ports: NetworkPort[] = []
    for (let i = 0; i < held.length; i += 40) {
      const ids = held.slice(i, i + 40).map((r) => r.port_id)
      ports.push(...(await this.d.network.listPorts({ id: ids }, requestId)))
    }
    const order = new Map(held.map((r, i) => [r.port_id, i]))
    ports.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
    const uuids = new Set(servers.map((s) => s.uuid))
    const mine = ports.filter((p) => uuids.has(p.device_id))
    if (mine.length === 0) return out
    const [networks, floating, groups] = await Promise.all([
      this.d.network.listNetworks({ id: [...new Set(mine.map((p) => p.network_id))] }, requestId),
      this.d.network.listFloatingIps({ port_id: mine.map((p) => p.id) }, requestId),
      this.groupsById([...new Set(mine.flatMap((p) => p.security_groups ?? []))], requestId),
    ])
    const names = new Map(networks.map((n) => [n.id, n.name]))
    for (const p of mine) {
      const view = out.get(p.device_id) ?? { addresses: {}, securityGroups: [] }
      const label = names.get(p.network_id) ?? p.network_id
      const list = view.addresses[label] ?? []
      view.addresses[label] = list
      for (const ip of p.fixed_ips) list.push(entry(ip.ip_address, 'fixed', p.mac_address))
      for (const f of floating.filter((x) => x.port_id === p.id))
        list.push(entry(f.floating_ip_address, 'floating', p.mac_address))
      for (const g of p.security_groups ?? []) {
        const name = groups.get(g)?.name ?? g
        if (!view.securityGroups.includes(name)) view.securityGroups.push(name)
      }
      out.set(p.device_id, view)
    }
    return out
  }

  /** GET /servers/{id}/ips/{network_label}: 404 when the server has no address there. */
  async addressesOn(server: Server, label: string, requestId?: string): Promise<AddressEntry[]> {
    const view = (await this.views([server], requestId)).get(server.uuid)
    const list = view?.addresses[label]
    if (!list) throw new ServerNetworkNotFound()
    return list
  }

  private async groupsById(ids: string[], requestId?: string): Promise<Map<string, SecurityGroupInfo>> {
    if (ids.length === 0) return new Map()
    const found = await this.d.network.listSecurityGroups({ id: ids }, requestId)
    return new Map(found.map((g) => [g.id, g]))
  }

  // --- os-interface

  async interfaces(server: Server, requestId?: string): Promise<NetworkPort[]> {
    return this.d.network.listPorts({ device_id: server.uuid }, requestId)
  }

  async interface(server: Server, portId: string, requestId?: string): Promise<NetworkPort> {
    const port = await this.d.network.getPort(portId, requestId)
    if (!port) throw new ServerNetworkRefused('not_found', `Port ${portId} could not be found.`)
    if (port.device_id !== server.uuid)
      throw new ServerNetworkRefused(
        'not_found',
        `Instance ${server.uuid} does not have a port with id ${portId}`,
      )
    return port
  }

  /** Attaches a port (given, or created on a network) to the server on its host. */
  async attach(
    caller: Caller,
    server: Server,
    req: { netId?: string; portId?: string; fixedIp?: string },
    requestId: string,
  ): Promise<NetworkPort> {
    if (req.netId && req.portId) throw new ComputeBadRequest('Must not input both network_id and port_id')
    if (req.fixedIp && !req.netId)
      throw new ComputeBadRequest('Must input network_id when request IP address')
    this.checkState(caller, server, 'attach_interface')
    const action = await this.d.actions.start({
      action: 'attach_interface',
      instance_uuid: server.uuid,
      request_id: requestId,
      user_id: caller.userId,
      project_id: caller.projectId,
      start_time: new Date().toISOString(),
    })
    try {
      const binding = {
        device_id: server.uuid,
        device_owner: `compute:${server.availability_zone ?? this.d.defaultZone}`,
        'binding:host_id': server.host ?? '',
      }
      if (req.portId) {
        const port = await this.d.network.getPort(req.portId, requestId)
        // NOTE: compute reads as a service; another project's port does not exist for the caller.
        if (!port || !visible(caller, server, port))
          throw new ServerNetworkRefused('not_found', `Port ${req.portId} could not be found.`)
        if (port.device_id) throw new ServerNetworkConflict(`Port ${req.portId} is still in use.`)
        await this.d.ports.add(server.uuid, port.id, true)
        return await this.d.network.updatePort(port.id, binding, requestId)
      }
      const netId = req.netId ?? (await this.pickNetwork(server.project_id, requestId))
      if (!netId)
        throw new ComputeBadRequest('No network was available for the interface; give net_id or port_id.')
      const net = await this.d.network.getNetwork(netId, requestId)
      if (!net || !(net.shared || visible(caller, server, net)))
        throw new ServerNetworkRefused('not_found', `Network ${netId} could not be found.`)
      const port = await this.d.network.createPort(
        {
          network_id: netId,
          project_id: server.project_id,
          ...binding,
          ...(req.fixedIp ? { fixed_ips: [{ ip_address: req.fixedIp }] } : {}),
        },
        requestId,
      )
      await this.d.ports.add(server.uuid, port.id, false)
      return port
    } catch (e) {
      throw refusal(e)
    } finally {
      await this.d.actions.finish(action)
    }
  }

  /** Detaches a port: a port compute created is deleted, the user's is unbound. */
  async detach(caller: Caller, server: Server, portId: string, requestId: string): Promise<void> {
    this.checkState(caller, server, 'detach_interface')
    const port = await this.d.network.getPort(portId, requestId)
    if (port?.device_id !== server.uuid) throw new InterfaceNotFound(server.uuid, portId)
    const action = await this.d.actions.start({
      action: 'detach_interface',
      instance_uuid: server.uuid,
      request_id: requestId,
      user_id: caller.userId,
      project_id: caller.projectId,
      start_time: new Date().toISOString(),
    })
    try {
      const recorded = (await this.d.ports.ofInstance(server.uuid)).find((r) => r.port_id === portId)
      // NOTE: a port bound outside compute (no row) is the user's: given back, not deleted.
      await this.d.networking.release(
        server.uuid,
        portId,
        recorded ? recorded.preserve_on_delete === 1 : true,
        requestId,
      )
      await this.d.ports.remove(server.uuid, portId)
    } finally {
      await this.d.actions.finish(action)
    }
  }

  private checkState(caller: Caller, server: Server, what: string): void {
    if (server.locked && !caller.isAdmin) throw new ServerLocked(server.uuid)
    if (!INTERFACE_STATES.includes(server.vm_state))
      throw new ServerInvalidState(what, server.uuid, 'vm_state', server.vm_state)
    if (server.task_state) throw new ServerInvalidState(what, server.uuid, 'task_state', server.task_state)
  }

  // --- fixed IPs (addFixedIp / removeFixedIp, before 2.44)

  /** One more address from the network on the server's port there. */
  async addFixedIp(server: Server, networkId: string, requestId?: string): Promise<void> {
    const port = (await this.interfaces(server, requestId)).find((p) => p.network_id === networkId)
    const net = port ? await this.d.network.getNetwork(networkId, requestId) : undefined
    const subnet = net?.subnets?.[0]
    if (!port || !subnet)
      throw new ComputeBadRequest(`Network ${networkId} is not valid for instance ${server.uuid}.`)
    try {
      await this.d.network.updatePort(
        port.id,
        { fixed_ips: [...port.fixed_ips.map((ip) => ({ ...ip })), { subnet_id: subnet }] },
        requestId,
      )
    } catch (e) {
      if (e instanceof NetworkCallRefused) throw new ComputeBadRequest(e.message)
      throw e
    }
  }

  /** An address taken off the server's port that holds it. */
  async removeFixedIp(server: Server, address: string, requestId?: string): Promise<void> {
    const port = (await this.interfaces(server, requestId)).find((p) =>
      p.fixed_ips.some((ip) => ip.ip_address === address),
    )
    if (!port)
      throw new ComputeBadRequest(`Unable to remove fixed IP ${address} from instance ${server.uuid}.`)
    await this.d.network.updatePort(
      port.id,
      { fixed_ips: port.fixed_ips.filter((ip) => ip.ip_address !== address) },
      requestId,
    )
  }

  // --- floating IPs (addFloatingIp / removeFloatingIp, before 2.44)

  async addFloatingIp(server: Server, address: string, fixedAddress?: string, requestId?: string) {
    const fip = await this.floatingIp(server, address, requestId)
    const ports = await this.interfaces(server, requestId)
    const target = fixedAddress
      ? ports.find((p) => p.fixed_ips.some((ip) => ip.ip_address === fixedAddress))
      : ports.find((p) => p.fixed_ips.some((ip) => isIP(ip.ip_address) === 4))
    if (!target)
      throw new ComputeBadRequest(
        fixedAddress
          ? `Specified fixed address not assigned to instance`
          : `Unable to associate floating IP ${address} to any fixed IPs for instance ${server.uuid}. Instance has no fixed IPv4 addresses to associate.`,
      )
    const fixed =
      fixedAddress ?? target.fixed_ips.find((ip) => isIP(ip.ip_address) === 4)?.ip_address ?? undefined
    try {
      await this.d.network.updateFloatingIp(
        fip.id,
        { port_id: target.id, ...(fixed ? { fixed_ip_address: fixed } : {}) },
        requestId,
      )
    } catch (e) {
      if (e instanceof NetworkCallRefused)
        throw new ComputeBadRequest(
          `Unable to associate floating IP ${address} to fixed IP ${fixed} for instance ${server.uuid}. Error: ${e.message}`,
        )
      throw e
    }
  }

  async removeFloatingIp(server: Server, address: string, requestId?: string) {
    const fip = await this.floatingIp(server, address, requestId)
    const ports = await this.interfaces(server, requestId)
    if (!fip.port_id || !ports.some((p) => p.id === fip.port_id))
      throw new ServerNetworkConflict(
        `Floating IP ${address} is not associated with instance ${server.uuid}.`,
      )
    await this.d.network.updateFloatingIp(fip.id, { port_id: null }, requestId)
  }

  /** A floating IP of the server's project by address (another project's is not found). */
  private async floatingIp(server: Server, address: string, requestId?: string): Promise<FloatingIpInfo> {
    const [fip] = isIP(address)
      ? await this.d.network.listFloatingIps(
          { floating_ip_address: address, project_id: server.project_id },
          requestId,
        )
      : []
    if (!fip) throw new ServerNetworkRefused('not_found', 'floating IP not found')
    return fip
  }

  // --- security groups of a server

  /** The groups on the server's ports (os-security-groups of a server). */
  async securityGroups(server: Server, requestId?: string): Promise<SecurityGroupInfo[]> {
    const ports = await this.interfaces(server, requestId)
    const ids = [...new Set(ports.flatMap((p) => p.security_groups ?? []))]
    return [...(await this.groupsById(ids, requestId)).values()]
  }

  async addSecurityGroup(server: Server, name: string, requestId?: string): Promise<void> {
    const group = await this.group(server, name, requestId)
    const ports = await this.interfaces(server, requestId)
    if (ports.length === 0)
      throw new ComputeBadRequest(`Unable to add security group to instance ${server.uuid}: it has no port.`)
    for (const p of ports) {
      if (p.port_security_enabled === false)
        throw new ComputeBadRequest(
          'Port security must be enabled and port must have an IP address in order to use security groups.',
        )
      const current = p.security_groups ?? []
      if (current.includes(group.id)) continue
      await this.d.network.updatePort(p.id, { security_groups: [...current, group.id] }, requestId)
    }
  }

  async removeSecurityGroup(server: Server, name: string, requestId?: string): Promise<void> {
    const group = await this.group(server, name, requestId)
    const ports = await this.interfaces(server, requestId)
    if (!ports.some((p) => (p.security_groups ?? []).includes(group.id)))
      throw new ComputeBadRequest(`Security group ${name} not associated with the instance ${server.uuid}`)
    for (const p of ports) {
      const current = p.security_groups ?? []
      if (!current.includes(group.id)) continue
      await this.d.network.updatePort(
        p.id,
        { security_groups: current.filter((g) => g !== group.id) },
        requestId,
      )
    }
  }

  /** A group by name in the server's project, or by id; 404 as upstream. */
  private async group(server: Server, name: string, requestId?: string): Promise<SecurityGroupInfo> {
    const byName = await this.d.network.listSecurityGroups({ name, project_id: server.project_id }, requestId)
    if (byName.length > 1)
      throw new ServerNetworkConflict(
        `Multiple security_group matches found for name '${name}', use an ID to be more specific.`,
      )
    const found =
      byName[0] ??
      (await this.d.network.listSecurityGroups({ id: name, project_id: server.project_id }, requestId))[0]
    if (!found) throw new ServerNetworkRefused('not_found', `Security group ${name} not found.`)
    return found
  }
}

/** Whether a port or network the service token read belongs where the caller may use it. */
function visible(caller: Caller, server: Server, thing: { project_id: string }): boolean {
  return caller.isAdmin || thing.project_id === server.project_id
}

function entry(addr: string, type: 'fixed' | 'floating', mac: string): AddressEntry {
  return { version: isIP(addr) === 6 ? 6 : 4, addr, 'OS-EXT-IPS:type': type, 'OS-EXT-IPS-MAC:mac_addr': mac }
}

/** The network service's refusal in Nova's terms for an interface attach. */
function refusal(e: unknown): unknown {
  if (!(e instanceof NetworkCallRefused)) return e
  if (e.status === 404) return new ServerNetworkRefused('not_found', e.message)
  if (e.status === 409 && /InUse/.test(e.type)) return new ServerNetworkConflict(e.message)
  if (e.status === 403) return new ServerNetworkRefused('forbidden', e.message)
  return new ServerNetworkRefused('bad_request', e.message)
}
