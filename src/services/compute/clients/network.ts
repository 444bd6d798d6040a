/**
 * What compute asks the network service when a create names networks, ports or
 * security groups: whether each exists for the caller. Without a network service in
 * the cloud (none in this process and no endpoint configured) each answer is
 * `undefined`, and the create refuses what it cannot give, as upstream would find
 * nothing; a network service that exists but cannot be reached is a 503.
 */
import { ServiceCallFailed, type ServiceClient } from '../../../kernel/host/index.js'

export class NetworkApi {
  constructor(private readonly client: ServiceClient) {}

  /** Whether the network exists (undefined: there is no network service). */
  networkExists(id: string, requestId?: string, userToken?: string) {
    return this.exists(`/v2.0/networks/${encodeURIComponent(id)}`, requestId, userToken)
  }

  portExists(id: string, requestId?: string, userToken?: string) {
    return this.exists(`/v2.0/ports/${encodeURIComponent(id)}`, requestId, userToken)
  }

  /** A security group by name (in the project) or id. */
  async securityGroupExists(
    nameOrId: string,
    projectId: string,
    requestId?: string,
    userToken?: string,
  ): Promise<boolean | undefined> {
    const q = new URLSearchParams({ name: nameOrId, project_id: projectId }).toString()
    try {
      const res = await this.client.request(
        { method: 'GET', path: `/v2.0/security-groups?${q}` },
        { ...(requestId ? { requestId } : {}), ...(userToken ? { userToken } : {}) },
      )
      const found = (res.body as { security_groups?: unknown[] }).security_groups ?? []
      if (found.length > 0) return true
    } catch (e) {
      if (noService(e)) return undefined
      throw e
    }
    return this.exists(`/v2.0/security-groups/${encodeURIComponent(nameOrId)}`, requestId, userToken)
  }

  private async exists(path: string, requestId?: string, userToken?: string): Promise<boolean | undefined> {
    try {
      const res = await this.client.request(
        { method: 'GET', path },
        { accept: [404], ...(requestId ? { requestId } : {}), ...(userToken ? { userToken } : {}) },
      )
      return res.status === 200
    } catch (e) {
      if (noService(e)) return undefined
      throw e
    }
  }
}

/** The kernel's answer when no process serves the type and no endpoint is configured. */
function noService(e: unknown): boolean {
  return (
    e instanceof ServiceCallFailed &&
    e.answered === undefined &&
    typeof e.body === 'string' &&
    e.body.startsWith(`no ${e.serviceType} service`)
  )
}

/** A port as compute reads it. */
export interface NetworkPort {
  id: string
  network_id: string
  project_id: string
  mac_address: string
  fixed_ips: { subnet_id: string; ip_address: string }[]
  device_id: string
  device_owner: string
  'binding:host_id'?: string
  status: string
  security_groups?: string[]
  port_security_enabled?: boolean
}

export interface NetworkInfo {
  id: string
  name: string
  project_id: string
  shared: boolean
  'router:external'?: boolean
  subnets?: string[]
}

export interface FloatingIpInfo {
  id: string
  floating_ip_address: string
  fixed_ip_address: string | null
  port_id: string | null
  floating_network_id: string
  project_id: string
  status?: string
}

export interface SecurityGroupInfo {
  id: string
  name: string
  description: string
  project_id: string
  security_group_rules?: Record<string, unknown>[]
}

/** The network service refused a call; `status` and `message` are its own. */
export class NetworkCallRefused extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message)
  }
}

type Query = Record<string, string | string[] | undefined>

/**
 * The calls the build flow, the server views and os-interface make with the service's
 * own token (compute acts for the server's project, as upstream's admin client does when
 * it binds ports). Without a network service every read is empty.
 */
export class NetworkPorts {
  constructor(private readonly client: ServiceClient) {}

  async listPorts(q: Query, requestId?: string): Promise<NetworkPort[]> {
    return (await this.list<NetworkPort>('ports', q, requestId)) ?? []
  }

  async getPort(id: string, requestId?: string): Promise<NetworkPort | undefined> {
    return this.one<NetworkPort>(`ports/${encodeURIComponent(id)}`, 'port', requestId)
  }

  async createPort(port: Record<string, unknown>, requestId?: string): Promise<NetworkPort> {
    return (await this.write('POST', 'ports', { port }, requestId)).port as NetworkPort
  }

  async updatePort(id: string, port: Record<string, unknown>, requestId?: string): Promise<NetworkPort> {
    return (await this.write('PUT', `ports/${encodeURIComponent(id)}`, { port }, requestId))
      .port as NetworkPort
  }

  /** Deletes a port; one already gone is fine. */
  async deletePort(id: string, requestId?: string): Promise<void> {
    await this.write('DELETE', `ports/${encodeURIComponent(id)}`, undefined, requestId, [404])
  }

  async getNetwork(id: string, requestId?: string): Promise<NetworkInfo | undefined> {
    return this.one<NetworkInfo>(`networks/${encodeURIComponent(id)}`, 'network', requestId)
  }

  async listNetworks(q: Query, requestId?: string): Promise<NetworkInfo[]> {
    return (await this.list<NetworkInfo>('networks', q, requestId)) ?? []
  }

  async listFloatingIps(q: Query, requestId?: string): Promise<FloatingIpInfo[]> {
    return (await this.list<FloatingIpInfo>('floatingips', q, requestId)) ?? []
  }

  async updateFloatingIp(id: string, floatingip: Record<string, unknown>, requestId?: string) {
    return (await this.write('PUT', `floatingips/${encodeURIComponent(id)}`, { floatingip }, requestId))
      .floatingip as FloatingIpInfo
  }

  async listSecurityGroups(q: Query, requestId?: string): Promise<SecurityGroupInfo[]> {
    return (await this.list<SecurityGroupInfo>('security-groups', q, requestId)) ?? []
  }

  /**
   * The project's auto-allocated network ("get me a network"), built on the first call;
   * undefined when the cloud cannot build one (no default external network or pool) or
   * has no network service.
   */
  async autoAllocatedNetwork(projectId: string, requestId?: string): Promise<string | undefined> {
    const got = await this.raw(
      'GET',
      `auto-allocated-topology/${encodeURIComponent(projectId)}`,
      undefined,
      requestId,
    )
    if (got?.status !== 200) return undefined
    return (got.body as { auto_allocated_topology?: { id?: string } }).auto_allocated_topology?.id
  }

  /** Whether the cloud has a network service at all. */
  async available(requestId?: string): Promise<boolean> {
    return (await this.list('networks', { limit: '1' }, requestId)) !== undefined
  }

  /** A GET, a POST, a PUT or a DELETE passed through for the proxy APIs. */
  async raw(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    requestId?: string,
  ): Promise<{ status: number; body: unknown } | undefined> {
    try {
      const res = await this.client.request(
        { method, path: `/v2.0/${path}`, ...(body !== undefined ? { body } : {}) },
        { accept: [400, 401, 403, 404, 409, 412, 413], ...(requestId ? { requestId } : {}) },
      )
      return { status: res.status, body: res.body }
    } catch (e) {
      if (noService(e)) return undefined
      throw e
    }
  }

  private async list<T>(collection: string, q: Query, requestId?: string): Promise<T[] | undefined> {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(q))
      for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) params.append(k, one)
    const qs = params.toString()
    try {
      const body = await this.client.get<Record<string, T[]>>(
        `/v2.0/${collection}${qs ? `?${qs}` : ''}`,
        requestId ? { requestId } : {},
      )
      return body[collection.replace(/-/g, '_')] ?? []
    } catch (e) {
      if (noService(e)) return undefined
      throw e
    }
  }

  private async one<T>(path: string, key: string, requestId?: string): Promise<T | undefined> {
    try {
      const res = await this.client.request(
        { method: 'GET', path: `/v2.0/${path}` },
        { accept: [404], ...(requestId ? { requestId } : {}) },
      )
      return res.status === 200 ? ((res.body as Record<string, T>)[key] as T) : undefined
    } catch (e) {
      if (noService(e)) return undefined
      throw e
    }
  }

  private async write(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    requestId?: string,
    accept: number[] = [],
  ): Promise<Record<string, unknown>> {
    try {
      const res = await this.client.request(
        { method, path: `/v2.0/${path}`, ...(body !== undefined ? { body } : {}) },
        { ...(accept.length ? { accept } : {}), ...(requestId ? { requestId } : {}) },
      )
      return (res.body ?? {}) as Record<string, unknown>
    } catch (e) {
      if (e instanceof ServiceCallFailed && e.answered !== undefined && e.answered < 500) {
        const err = (e.body as { NeutronError?: { type?: string; message?: string } })?.NeutronError
        throw new NetworkCallRefused(e.answered, err?.type ?? '', err?.message ?? e.message)
      }
      throw e
    }
  }
}
