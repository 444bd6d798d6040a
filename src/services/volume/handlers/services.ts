/** Operator views: os-services (list, enable/disable), scheduler pools, availability zones, capabilities, hosts. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HostNotFound, InvalidInput, VolumeBadRequest, VolumeNotFound } from '../errors.js'
import { bodyOf, params, parseBool, queryOf, type VolumeDeps } from './common.js'
import { cinderTime } from './views.js'

export async function listServices(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const q = queryOf(req)
  const services = await deps.services.list({
    ...(q.host !== undefined ? { host: q.host } : {}),
    ...(q.binary !== undefined ? { binary: q.binary } : {}),
  })
  return {
    services: services.map((s) => {
      const out: Record<string, unknown> = {
        binary: s.binary,
        host: s.host,
        zone: s.availability_zone,
        status: s.disabled ? 'disabled' : 'enabled',
        state: s.up ? 'up' : 'down',
        updated_at: cinderTime(s.updated_at),
        disabled_reason: s.disabled_reason,
      }
      if (req.version.gte('3.7')) out.cluster = null
      if (s.binary === 'cinder-volume') {
        out.replication_status = 'disabled'
        out.active_backend_id = null
        out.frozen = false
        if (req.version.gte('3.49')) out.backend_state = s.up ? 'up' : 'down'
      }
      return out
    }),
  }
}

export async function updateService(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const action = params(req).action!
  const body = (bodyOf(req) ?? {}) as Record<string, unknown>
  const host = typeof body.host === 'string' ? body.host : ''
  const binary =
    typeof body.binary === 'string' ? body.binary : typeof body.service === 'string' ? body.service : ''
  switch (action) {
    case 'enable':
    case 'disable':
    case 'disable-log-reason': {
      const enabled = action === 'enable'
      const reason =
        action === 'disable-log-reason'
          ? ((body.disabled_reason as string | null | undefined) ?? null)
          : undefined
      await deps.services.setEnabled(host, binary, enabled, reason)
      const out: Record<string, unknown> = {
        disabled: !enabled,
        status: enabled ? 'enabled' : 'disabled',
        host,
        service: binary,
        binary,
      }
      if (action !== 'disable') out.disabled_reason = enabled ? null : reason
      return out
    }
    case 'freeze':
    case 'thaw':
      await deps.services.checkBackendHost(host)
      throw new VolumeBadRequest(
        `The file backend of ${host} cannot be ${action === 'freeze' ? 'frozen' : 'thawed'}.`,
      )
    default:
      throw new VolumeNotFound(action)
  }
}

export async function getPools(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const q = queryOf(req)
  const detail = q.detail !== undefined && parseBool(q.detail, 'detail')
  let pools = await deps.services.pools()
  if (req.version.gte('3.28') && q.name !== undefined) pools = pools.filter((p) => p.name === q.name)
  if (req.version.gte('3.28') && q.volume_backend_name !== undefined)
    pools = pools.filter((p) => p.capabilities.volume_backend_name === q.volume_backend_name)
  return {
    pools: pools.map((p) => (detail ? { name: p.name, capabilities: p.capabilities } : { name: p.name })),
  }
}

export async function listZones(_req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { availabilityZoneInfo: deps.services.zones() }
}

export async function showCapabilities(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const host = params(req).host_name!
  const pool = (await deps.services.pools()).find((p) => host === p.name || host === p.name.split('#')[0])
  if (!pool) throw new HostNotFound(host)
  const c = pool.capabilities
  return {
    namespace: `OS::Storage::Capabilities::${host}`,
    vendor_name: c.vendor_name,
    volume_backend_name: c.volume_backend_name,
    pool_name: c.pool_name,
    driver_version: c.driver_version,
    storage_protocol: c.storage_protocol,
    display_name: null,
    description: null,
    visibility: null,
    replication_targets: [],
    properties: {
      thin_provisioning: {
        title: 'Thin Provisioning',
        description: 'Sets thin provisioning.',
        type: 'boolean',
      },
    },
  }
}

export async function listHosts(_req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const services = await deps.services.list({})
  return {
    hosts: services.map((s) => ({
      service: s.binary,
      host_name: s.host,
      zone: s.availability_zone,
      'service-status': s.up ? 'available' : 'unavailable',
      'service-state': s.disabled ? 'disabled' : 'enabled',
      'last-update': cinderTime(s.updated_at),
    })),
  }
}

export async function showHost(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const host = params(req).host_name!
  const services = await deps.services.list({ host, binary: 'cinder-volume' })
  if (!services.length) throw new HostNotFound(host)
  const { count, size } = await deps.volumes.repo.count({})
  return {
    host: [
      {
        resource: {
          host,
          project: '(total)',
          volume_count: String(count),
          total_volume_gb: String(size),
          snapshot_count: '0',
          total_snapshot_gb: '0',
        },
      },
    ],
  }
}

/** Cloudlet's own `POST /cloudlet-volume/update-host`: cinder-manage volume update_host over the API. */
export async function updateHost(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const body = (req.body ?? {}) as Record<string, unknown>
  const from = body.currenthost
  const to = body.newhost
  if (typeof from !== 'string' || typeof to !== 'string')
    throw new InvalidInput('currenthost and newhost must be strings (host@backend).')
  return { currenthost: from, newhost: to, volumes_moved: await deps.moves.updateHost(from, to) }
}
