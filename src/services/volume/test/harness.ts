/**
 * The block storage test host: the volume module on a real host with fake tokens,
 * called as personas at a microversion, and a poll for a volume or snapshot to reach a
 * status (creates and deletes finish in the background, as in Cinder).
 */
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { volumeModule } from '../module.js'

export type { TestHost }

export async function startVolume(config?: Record<string, Record<string, string | number | boolean>>) {
  return startTestHost({ modules: [volumeModule], ...(config ? { config } : {}) })
}

export const ADMIN = 'project-admin'
export const MEMBER = 'project-member'
export const READER = 'project-reader'
export const OTHER = 'other-project-member'
export const V = '/volume/v3'

/** Polls until the resource has `status` (or is gone, for 'deleted'); returns its last view. */
export async function waitFor(
  t: TestHost,
  kind: 'volumes' | 'snapshots' | 'groups' | 'group_snapshots',
  id: string,
  status: string,
  as = ADMIN,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const grouped = kind.startsWith('group')
    const res = await t.call('GET', `${V}/${kind}/${id}`, { as, ...(grouped ? { version: '3.20' } : {}) })
    if (status === 'deleted' && res.status === 404) return {}
    const item = res.body?.[kind.replace(/s$/, '')]
    if (item?.status === status) return item
    // NOTE: a volume gone to error will not come back by itself: fail now, not at the deadline.
    if (item?.status === 'error' && status !== 'error' && status !== 'deleted')
      throw new Error(`${kind} ${id} went to error waiting for ${status}: ${JSON.stringify(res.body)}`)
    if (Date.now() > deadline)
      throw new Error(`${kind} ${id} did not reach ${status}: ${JSON.stringify(res.body)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Creates a volume as `as` and waits until it is available. */
export async function createVolume(
  t: TestHost,
  body: Record<string, unknown> = {},
  as = MEMBER,
  version?: string,
  // biome-ignore lint/suspicious/noExplicitAny: tests read views by path
): Promise<Record<string, any>> {
  const res = await t.call('POST', `${V}/volumes`, {
    as,
    body: { volume: { size: 1, ...body } },
    ...(version ? { version } : {}),
  })
  if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`)
  return waitFor(t, 'volumes', res.body.volume.id, 'available', as)
}

export { serviceTokenModule } from '../../../kernel/testing/index.js'
