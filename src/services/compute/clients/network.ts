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
