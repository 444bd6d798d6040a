/**
 * The network service on the kernel's test host: SQLite in a temporary directory, fake
 * tokens for the personas, calls through inject.
 */
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { networkModule } from '../module.js'

export type { TestHost }
export const ADMIN = 'project-admin'
export const MEMBER = 'project-member'
export const READER = 'project-reader'
export const OTHER = 'other-project-member'

export const N = '/network/v2.0'

export function startNetwork(
  config: Record<string, Record<string, string | number | boolean>> = {},
): Promise<TestHost> {
  return startTestHost({ modules: [networkModule], config })
}

/** Creates a network and an IPv4 subnet as a persona; answers both. */
export async function networkWithSubnet(
  t: TestHost,
  as: string,
  cidr = '10.1.0.0/24',
  extra: Record<string, unknown> = {},
) {
  const net = await t.call('POST', `${N}/networks`, { as, body: { network: { name: 'n' } } })
  if (net.status !== 201) throw new Error(`network create: ${net.status} ${JSON.stringify(net.body)}`)
  const sub = await t.call('POST', `${N}/subnets`, {
    as,
    body: { subnet: { network_id: net.body.network.id, ip_version: 4, cidr, ...extra } },
  })
  if (sub.status !== 201) throw new Error(`subnet create: ${sub.status} ${JSON.stringify(sub.body)}`)
  return { network: net.body.network, subnet: sub.body.subnet }
}
