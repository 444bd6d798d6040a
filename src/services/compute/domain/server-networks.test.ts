/**
 * What a create's `networks` becomes before the build (ServerNetworks.resolve), over a
 * network service stand-in: `auto` picks the project's one network, else the one shared
 * network, several are ambiguous (409); a requested port in use is a 409, one port for
 * several servers a 400; `none` stays none.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { NetworkInfo, NetworkPort, NetworkPorts } from '../clients/network.js'
import type { ServerNetworking } from '../conductor/networking.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { InstancePortRepo } from '../storage/instance-port.repo.js'
import { ServerNetworks } from './server-networks.js'

function net(id: string, project: string, extra: Partial<NetworkInfo> = {}): NetworkInfo {
  return { id, name: id, project_id: project, shared: false, ...extra }
}

function networksOver(nets: NetworkInfo[], ports: Partial<NetworkPort>[] = []): ServerNetworks {
  const network = {
    async listNetworks(q: Record<string, string>) {
      if (q.project_id) return nets.filter((n) => n.project_id === q.project_id)
      if (q.shared) return nets.filter((n) => n.shared)
      return nets
    },
    async getPort(id: string) {
      return ports.find((p) => p.id === id) as NetworkPort | undefined
    },
  } as unknown as NetworkPorts
  return new ServerNetworks({
    network,
    ports: {} as InstancePortRepo,
    networking: {} as ServerNetworking,
    actions: {} as ActionRepo,
    defaultZone: 'nova',
  })
}

describe('resolving a create networks', () => {
  it('takes the project network before the shared one and leaves external ones out', async () => {
    const n = networksOver([
      net('own', 'p1'),
      net('ext', 'p1', { 'router:external': true }),
      net('shared', 'admin', { shared: true }),
    ])
    assert.deepEqual(await n.resolve('p1', 'auto', 1), [{ uuid: 'own' }])
    assert.deepEqual(await n.resolve('p2', 'auto', 1), [{ uuid: 'shared' }])
  })

  it('refuses to guess between several networks (409) and gives no port when none fits', async () => {
    const n = networksOver([net('a', 'p1'), net('b', 'p1')])
    await assert.rejects(n.resolve('p1', 'auto', 1), /Multiple possible networks found/)
    assert.deepEqual(await n.resolve('p2', 'auto', 1), [])
    assert.equal(await n.resolve('p1', 'none', 1), 'none')
  })

  it('checks requested ports: in use 409, one port for several servers 400', async () => {
    const n = networksOver(
      [],
      [
        { id: 'free', device_id: '' },
        { id: 'busy', device_id: 'srv' },
      ],
    )
    assert.deepEqual(await n.resolve('p1', [{ port: 'free' }], 1), [{ port: 'free' }])
    await assert.rejects(n.resolve('p1', [{ port: 'busy' }], 1), { status: 409 })
    await assert.rejects(n.resolve('p1', [{ port: 'free' }], 2), { status: 400 })
  })
})

describe('the networking policy rules', () => {
  it('documents every rule the networking routes and actions check', async () => {
    const { NET, SERVER_NETWORKING_RULES } = await import('../policies/server-networking.js')
    const names = new Set(SERVER_NETWORKING_RULES.map((r) => r.name))
    assert.deepEqual(
      Object.values(NET).filter((n) => !names.has(n)),
      [],
    )
  })
})
