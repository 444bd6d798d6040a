/**
 * The image a shelve leaves behind (`<server name>-shelved`, owned by the server's
 * project, carrying the server's image properties), and its removal once the server is
 * unshelved, as upstream's shelve snapshot. The record is made here; the conductor
 * uploads the guest's disk to it (SnapshotImages); unshelve boots from the server's own
 * image.
 */
import type { ServiceClient } from '../../../kernel/host/index.js'
import type { InstanceImage } from '../domain/servers.js'

export class ShelvedImages {
  constructor(private readonly client: ServiceClient) {}

  /** Creates the record; its id. */
  async create(server: {
    uuid: string
    name: string
    projectId: string
    image: InstanceImage
  }): Promise<string> {
    const props: Record<string, string> = {}
    for (const [k, v] of Object.entries(server.image.properties))
      if (!k.startsWith('os_') && !['owner', 'visibility', 'name'].includes(k)) props[k] = v
    const res = await this.client.request({
      method: 'POST',
      path: '/v2/images',
      body: {
        ...props,
        name: `${server.name}-shelved`,
        owner: server.projectId,
        visibility: 'private',
        disk_format: server.image.disk_format ?? 'raw',
        container_format: 'bare',
        instance_uuid: server.uuid,
        image_type: 'snapshot',
        base_image_ref: server.image.id,
      },
    })
    return String((res.body as { id: string }).id)
  }

  async delete(id: string): Promise<void> {
    await this.client.request(
      { method: 'DELETE', path: `/v2/images/${encodeURIComponent(id)}` },
      { accept: [404] },
    )
  }
}
