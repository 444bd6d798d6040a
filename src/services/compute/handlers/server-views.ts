/**
 * How a server looks at each microversion: the summary (id, name, links), the full
 * view with upstream's extended attributes (admins), fault, flavor (embedded from
 * 2.47), tags (2.26), description (2.19), locked (2.9, reason 2.73), host_status
 * (2.16), server_groups (2.71), hostname for everyone (2.90).
 */
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { novaTime } from '../domain/caller.js'
import type { ServerNetworkView } from '../domain/server-networks.js'
import { type InstanceFlavor, type Server, statusOf } from '../domain/servers.js'
import { SERVER } from '../policies/index.js'
import { type ComputeDeps, hostUrl, itemLinks } from './common.js'

export function serverSummary(req: FastifyRequest, deps: ComputeDeps, s: Server) {
  return { id: s.uuid, name: s.display_name, links: itemLinks(req, deps, 'servers', s.uuid) }
}

/** upstream's hostId: a digest of the project and host, so users can tell hosts apart. */
function hostId(s: Server): string {
  if (!s.host) return ''
  const key = `${s.project_id}${s.host}`
  let id = HOST_IDS.get(key)
  if (id === undefined) {
    id = createHash('sha224').update(key).digest('hex')
    if (HOST_IDS.size >= MEMO_SIZE) HOST_IDS.clear()
    HOST_IDS.set(key, id)
  }
  return id
}

/**
 * A detailed list hashes every server's project and host and parses its flavor: few
 * distinct values, computed once each (the memos are dropped whole when they fill).
 */
const MEMO_SIZE = 4096
const HOST_IDS = new Map<string, string>()
const FLAVORS = new Map<string, InstanceFlavor>()

function flavorOf(s: Server): InstanceFlavor {
  let f = FLAVORS.get(s.flavor)
  if (f === undefined) {
    f = JSON.parse(s.flavor) as InstanceFlavor
    if (FLAVORS.size >= MEMO_SIZE) FLAVORS.clear()
    FLAVORS.set(s.flavor, f)
  }
  return f
}

export interface ViewContext {
  /** Host status by host (2.16), when the caller may see it. */
  hostStatus?: (host: string | null) => string
  /** Server group uuids by server (2.71). */
  groups?: (uuid: string) => string[]
  /** Addresses and security groups by server, from its ports. */
  network?: Map<string, ServerNetworkView>
}

export function serverView(req: FastifyRequest, deps: ComputeDeps, s: Server, vc: ViewContext = {}) {
  const v = req.version
  const flavor = flavorOf(s)
  const base = `${hostUrl(req, deps)}${deps.prefix}`
  const project = { project_id: s.project_id }
  const admin = req.ctx.allows(SERVER.EXTENDED_ATTRIBUTES, project)
  const status = statusOf(s.vm_state, s.task_state)
  const out: Record<string, unknown> = {
    id: s.uuid,
    name: s.display_name,
    status,
    tenant_id: s.project_id,
    user_id: s.user_id,
    metadata: s.metadata,
    hostId: hostId(s),
    image: s.image_ref
      ? { id: s.image_ref, links: [{ rel: 'bookmark', href: `${base}/images/${s.image_ref}` }] }
      : '',
    flavor: v.gte('2.47')
      ? {
          vcpus: flavor.vcpus,
          ram: flavor.memory_mb,
          disk: flavor.root_gb,
          ephemeral: flavor.ephemeral_gb,
          swap: flavor.swap,
          original_name: flavor.name,
          extra_specs: flavor.extra_specs,
        }
      : { id: flavor.flavorid, links: [{ rel: 'bookmark', href: `${base}/flavors/${flavor.flavorid}` }] },
    created: isoZ(s.created_at),
    updated: isoZ(s.updated_at),
    addresses: vc.network?.get(s.uuid)?.addresses ?? {},
    accessIPv4: s.access_ip_v4 ?? '',
    accessIPv6: s.access_ip_v6 ?? '',
    links: itemLinks(req, deps, 'servers', s.uuid),
    'OS-DCF:diskConfig': s.auto_disk_config ? 'AUTO' : 'MANUAL',
    'OS-EXT-AZ:availability_zone':
      s.availability_zone ?? (s.host ? deps.config.DEFAULT.default_availability_zone : ''),
    config_drive: s.config_drive,
    key_name: s.key_name,
    'OS-SRV-USG:launched_at': novaTime(s.launched_at),
    'OS-SRV-USG:terminated_at': novaTime(s.terminated_at),
    'OS-EXT-STS:task_state': s.task_state,
    'OS-EXT-STS:vm_state': s.vm_state,
    'OS-EXT-STS:power_state': s.power_state,
    // NOTE: delete_on_termination shows from 2.3, as upstream's extended volumes view.
    'os-extended-volumes:volumes_attached': s.volumes.map((b) =>
      v.gte('2.3') ? { id: b.id, delete_on_termination: b.delete_on_termination } : { id: b.id },
    ),
  }
  if (status === 'BUILD' || status === 'ACTIVE') out.progress = s.progress
  const groups = vc.network?.get(s.uuid)?.securityGroups
  if (groups?.length) out.security_groups = groups.map((name) => ({ name }))
  if (admin) {
    out['OS-EXT-SRV-ATTR:host'] = s.host
    out['OS-EXT-SRV-ATTR:hypervisor_hostname'] = s.node
    out['OS-EXT-SRV-ATTR:instance_name'] = `instance-${s.id.toString(16).padStart(8, '0')}`
    if (v.gte('2.3')) {
      out['OS-EXT-SRV-ATTR:reservation_id'] = s.reservation_id
      out['OS-EXT-SRV-ATTR:launch_index'] = s.launch_index
      out['OS-EXT-SRV-ATTR:hostname'] = s.hostname
      out['OS-EXT-SRV-ATTR:kernel_id'] = ''
      out['OS-EXT-SRV-ATTR:ramdisk_id'] = ''
      out['OS-EXT-SRV-ATTR:root_device_name'] = null
      out['OS-EXT-SRV-ATTR:user_data'] = s.user_data
    }
  } else if (v.gte('2.90')) out['OS-EXT-SRV-ATTR:hostname'] = s.hostname
  if (v.gte('2.9')) out.locked = Boolean(s.locked)
  if (v.gte('2.73')) out.locked_reason = s.locked_reason
  if (v.gte('2.16') && vc.hostStatus) out.host_status = vc.hostStatus(s.host)
  if (v.gte('2.19')) out.description = s.display_description
  if (v.gte('2.26')) out.tags = s.tags
  if (v.gte('2.63')) out.trusted_image_certificates = null
  if (v.gte('2.71')) out.server_groups = vc.groups?.(s.uuid) ?? []
  if (s.fault && (status === 'ERROR' || status === 'DELETED')) {
    const f = s.fault
    out.fault = {
      code: f.code,
      created: isoZ(f.created_at),
      message: f.message,
      ...(admin || f.code !== 500 ? { details: f.details ?? '' } : {}),
    }
  }
  return out
}

/** Upstream renders server timestamps as ISO 8601 with a Z and no fraction. */
export function isoZ(iso: string | null): string | null {
  if (!iso) return null
  return `${iso.slice(0, 19)}Z`
}
