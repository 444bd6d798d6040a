/**
 * The build flow's networking step: the ports a server gets in the network service,
 * as upstream's nova-compute allocates them for the chosen host.
 *
 *   allocate(server, host)          before the agent spawns the guest
 *     │ ports already recorded (a reschedule): rebound to the new host
 *     │ else per requested network (the API resolved `auto` to one):
 *     │   {port}      taken: device_id = server, device_owner = compute:<zone>,
 *     │               binding:host_id = host; kept on delete (preserve_on_delete)
 *     │   {uuid[, fixed_ip]}  created with the same fields, the server's project and
 *     │               the create's security groups; deleted with the server
 *     ▼ the VIFs for the agent, which plugs them and reports network-vif-plugged
 *   a refusal (no address left, address in use, port bound elsewhere) ─▶
 *     NetworkAllocationFailed: the conductor deallocates and fails the build
 *   deallocate(server)              a failed build, a delete
 *     created ports deleted; the user's ports unbound (device, owner and host cleared)
 */
import type { Logger } from 'pino'
import type { VifMessage } from '../../../agents/compute/rpc.js'
import { NetworkCallRefused, type NetworkPort, type NetworkPorts } from '../clients/network.js'
import type { InstanceRequest } from '../domain/servers.js'
import type { InstancePortRepo } from '../storage/instance-port.repo.js'
import type { InstanceRow } from '../storage/server.repo.js'

/** One entry of a create's `networks` after the API resolved it. */
export interface RequestedNetwork {
  uuid?: string
  port?: string
  fixed_ip?: string
  tag?: string
}

/** The network service refused a port the build needs; the build fails, no reschedule. */
export class NetworkAllocationFailed extends Error {}

export interface ServerNetworkingDeps {
  network: NetworkPorts
  ports: InstancePortRepo
  /** `[DEFAULT] default_availability_zone`, for a server with no zone of its own. */
  defaultZone: string
  logger: Logger
}

export class ServerNetworking {
  constructor(private readonly d: ServerNetworkingDeps) {}

  /** The server's ports bound to `host`, created or taken on the first call. */
  async allocate(row: InstanceRow, host: string, requestId?: string): Promise<VifMessage[]> {
    const request = JSON.parse(row.request) as InstanceRequest
    const wanted = Array.isArray(request.networks) ? (request.networks as RequestedNetwork[]) : []
    const binding = {
      device_id: row.uuid,
      device_owner: `compute:${row.availability_zone ?? this.d.defaultZone}`,
      'binding:host_id': host,
    }
    const vifs: VifMessage[] = []
    try {
      const recorded = await this.d.ports.ofInstance(row.uuid)
      if (recorded.length > 0) {
        for (const r of recorded)
          vifs.push(vif(await this.d.network.updatePort(r.port_id, binding, requestId)))
        return vifs
      }
      const groups = await this.securityGroupIds(request.security_groups ?? [], row.project_id, requestId)
      for (const n of wanted) {
        if (n.port) {
          const port = await this.d.network.getPort(n.port, requestId)
          if (!port) throw new NetworkAllocationFailed(`Port ${n.port} could not be found.`)
          if (port.device_id && port.device_id !== row.uuid)
            throw new NetworkAllocationFailed(`Port ${n.port} is still in use.`)
          await this.d.ports.add(row.uuid, port.id, true)
          vifs.push(vif(await this.d.network.updatePort(port.id, binding, requestId)))
          continue
        }
        if (!n.uuid) continue
        const port = await this.d.network.createPort(
          {
            network_id: n.uuid,
            project_id: row.project_id,
            ...binding,
            ...(n.fixed_ip ? { fixed_ips: [{ ip_address: n.fixed_ip }] } : {}),
            ...(groups.length ? { security_groups: groups } : {}),
          },
          requestId,
        )
        await this.d.ports.add(row.uuid, port.id, false)
        vifs.push(vif(port))
      }
      return vifs
    } catch (e) {
      if (e instanceof NetworkCallRefused) throw new NetworkAllocationFailed(e.message)
      throw e
    }
  }

  /** Gives back what the server holds: created ports go, the user's are unbound. */
  async deallocate(instanceUuid: string, requestId?: string): Promise<void> {
    for (const r of await this.d.ports.ofInstance(instanceUuid)) {
      await this.release(instanceUuid, r.port_id, r.preserve_on_delete === 1, requestId)
      await this.d.ports.remove(instanceUuid, r.port_id)
    }
  }

  /** One port given back (delete or detach). */
  async release(instanceUuid: string, portId: string, preserve: boolean, requestId?: string): Promise<void> {
    try {
      if (!preserve) await this.d.network.deletePort(portId, requestId)
      else
        await this.d.network.updatePort(
          portId,
          { device_id: '', device_owner: '', 'binding:host_id': '' },
          requestId,
        )
    } catch (err) {
      // NOTE: a port someone deleted meanwhile is given back already.
      if (!(err instanceof NetworkCallRefused && err.status === 404)) throw err
      this.d.logger.debug({ instance: instanceUuid, port: portId }, 'port already gone')
    }
  }

  /** Group names (in the server's project) or ids, as ids; `default` left to the network. */
  private async securityGroupIds(names: readonly string[], projectId: string, requestId?: string) {
    if (names.length === 0 || (names.length === 1 && names[0] === 'default')) return []
    const ids: string[] = []
    for (const name of names) {
      const byName = await this.d.network.listSecurityGroups({ name, project_id: projectId }, requestId)
      const found =
        byName[0] ??
        (await this.d.network.listSecurityGroups({ id: name, project_id: projectId }, requestId))[0]
      if (!found) throw new NetworkAllocationFailed(`Security group ${name} not found.`)
      ids.push(found.id)
    }
    return ids
  }
}

function vif(p: NetworkPort): VifMessage {
  return { id: p.id, network_id: p.network_id, mac_address: p.mac_address }
}
