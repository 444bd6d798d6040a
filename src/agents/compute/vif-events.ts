/**
 * How a compute agent tells the compute API that a guest's VIFs are plugged: one
 * `network-vif-plugged` event per port (tag = port id) through
 * `POST /os-server-external-events`, the route the network service uses upstream once
 * its agent wires the port. The datapath here is simulated, so the agent reports the
 * plug itself right after the driver spawned the guest.
 */
import type { ServiceClient } from '../../kernel/host/index.js'
import type { VifMessage } from './rpc.js'

export type VifEventSink = (instanceUuid: string, vifs: readonly VifMessage[]) => Promise<void>

/** Posts the events with the process's service token (the route is admin/service only). */
export function vifEventsTo(compute: () => ServiceClient): VifEventSink {
  return async (instanceUuid, vifs) => {
    if (vifs.length === 0) return
    await compute().request(
      {
        method: 'POST',
        path: '/v2.1/os-server-external-events',
        body: {
          events: vifs.map((v) => ({
            name: 'network-vif-plugged',
            server_uuid: instanceUuid,
            tag: v.id,
            status: 'completed',
          })),
        },
      },
      { accept: [207, 404] },
    )
  }
}
