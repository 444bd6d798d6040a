/**
 * A server's networking routes: os-interface (list, show, attach, detach), the
 * addFixedIp/removeFixedIp and addFloatingIp/removeFloatingIp (before 2.44) and addSecurityGroup/removeSecurityGroup actions, a
 * server's os-security-groups, and the actions' hook for server-actions.ts. The work is
 * domain/server-networks.ts's; the network service answers the rest.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { NetworkPort } from '../clients/network.js'
import { ComputeBadRequest } from '../errors.js'
import { NET } from '../policies/index.js'
import { bodyOf, type ComputeDeps, callerOf, params } from './common.js'
import { securityGroupView } from './network-proxies.js'
import { loadServer } from './servers.js'

function interfaceView(req: FastifyRequest, p: NetworkPort) {
  return {
    net_id: p.network_id,
    port_id: p.id,
    mac_addr: p.mac_address,
    port_state: p.status,
    fixed_ips: p.fixed_ips.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
    ...(req.version.gte('2.70') ? { tag: null } : {}),
  }
}

export async function listInterfaces(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, NET.INTERFACE_LIST)
  const ports = await deps.serverNetworks.interfaces(s, req.id)
  return { interfaceAttachments: ports.map((p) => interfaceView(req, p)) }
}

export async function showInterface(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, NET.INTERFACE_SHOW)
  const port = await deps.serverNetworks.interface(s, params(req).port_id!, req.id)
  return { interfaceAttachment: interfaceView(req, port) }
}

export async function attachInterface(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, NET.INTERFACE_CREATE)
  const a =
    ((bodyOf(req) ?? {}) as { interfaceAttachment?: Record<string, unknown> }).interfaceAttachment ?? {}
  const fixed = (a.fixed_ips as { ip_address?: string }[] | undefined)?.[0]?.ip_address
  const port = await deps.serverNetworks.attach(
    callerOf(req),
    s,
    {
      ...(typeof a.net_id === 'string' && a.net_id ? { netId: a.net_id } : {}),
      ...(typeof a.port_id === 'string' && a.port_id ? { portId: a.port_id } : {}),
      ...(fixed ? { fixedIp: fixed } : {}),
    },
    req.id,
  )
  return { interfaceAttachment: interfaceView(req, port) }
}

export async function detachInterface(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, NET.INTERFACE_DELETE)
  await deps.serverNetworks.detach(callerOf(req), s, params(req).port_id!, req.id)
  return reply.code(202).send()
}

export async function listServerSecurityGroups(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, NET.SG_LIST_SERVER)
  const groups = await deps.serverNetworks.securityGroups(s, req.id)
  return { security_groups: groups.map((g) => securityGroupView(g)) }
}

/**
 * The networking actions of POST /servers/{id}/action; undefined when the body's
 * action is not one of them (server-actions.ts goes on).
 */
export async function networkingAction(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: ComputeDeps,
  action: string,
  body: Record<string, unknown>,
): Promise<FastifyReply | undefined> {
  const arg = (body[action] ?? {}) as Record<string, unknown>
  switch (action) {
    case 'addFloatingIp':
    case 'removeFloatingIp': {
      if (req.version.gte('2.44')) return undefined
      const s = await loadServer(req, deps, action === 'addFloatingIp' ? NET.FIP_ADD : NET.FIP_REMOVE)
      const address = arg.address
      if (typeof address !== 'string' || !address)
        throw new ComputeBadRequest(
          `Invalid input for field/attribute ${action}. Value: ${JSON.stringify(arg)}. 'address' is a required property`,
        )
      if (action === 'addFloatingIp') {
        const fixed = typeof arg.fixed_address === 'string' ? arg.fixed_address : undefined
        await deps.serverNetworks.addFloatingIp(s, address, fixed, req.id)
      } else await deps.serverNetworks.removeFloatingIp(s, address, req.id)
      return reply.code(202).send()
    }
    case 'addFixedIp':
    case 'removeFixedIp': {
      if (req.version.gte('2.44')) return undefined
      const s = await loadServer(req, deps, action === 'addFixedIp' ? NET.FIXED_IP_ADD : NET.FIXED_IP_REMOVE)
      const key = action === 'addFixedIp' ? 'networkId' : 'address'
      const value = arg[key]
      if ((typeof value !== 'string' && typeof value !== 'number') || value === '')
        throw new ComputeBadRequest(
          `Invalid input for field/attribute ${action}. Value: ${JSON.stringify(arg)}. '${key}' is a required property`,
        )
      if (action === 'addFixedIp') await deps.serverNetworks.addFixedIp(s, String(value), req.id)
      else await deps.serverNetworks.removeFixedIp(s, String(value), req.id)
      return reply.code(202).send()
    }
    case 'addSecurityGroup':
    case 'removeSecurityGroup': {
      const s = await loadServer(req, deps, action === 'addSecurityGroup' ? NET.SG_ADD : NET.SG_REMOVE)
      const name = arg.name
      if (typeof name !== 'string' || !name.trim())
        throw new ComputeBadRequest('Security group name cannot be empty')
      if (action === 'addSecurityGroup') await deps.serverNetworks.addSecurityGroup(s, name, req.id)
      else await deps.serverNetworks.removeSecurityGroup(s, name, req.id)
      return reply.code(202).send()
    }
  }
  return undefined
}
