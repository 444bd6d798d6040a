/**
 * The small stand-alone resources: policy blobs (/v3/policies) and OAuth1 consumers
 * (/v3/OS-OAUTH1/consumers).
 */
import { randomBytes } from 'node:crypto'
import { ResourceNotFound } from '../errors.js'
import type { Row } from '../storage/table.repo.js'
import { newId, parseJson, type ResourceDeps } from './common.js'

export interface PolicyBlob {
  id: string
  type: string
  blob: string
  extra: Record<string, unknown>
}

export interface Consumer {
  id: string
  description: string | null
  extra: Record<string, unknown>
  /** Only on create. */
  secret?: string
}

const toPolicy = (r: Row<'identity_policy'>): PolicyBlob => ({
  id: r.id,
  type: r.type,
  blob: r.blob,
  extra: parseJson(r.extra, {}),
})
const toConsumer = (r: Row<'identity_consumer'>): Consumer => ({
  id: r.id,
  description: r.description,
  extra: parseJson(r.extra, {}),
})

export class Extras {
  constructor(private readonly deps: ResourceDeps) {}

  private get repos() {
    return this.deps.repos
  }

  async getPolicy(id: string): Promise<PolicyBlob> {
    const r = await this.repos.identity_policy.get({ id })
    if (!r) throw new ResourceNotFound('policy', id)
    return toPolicy(r)
  }

  async listPolicies(f: { type?: string }): Promise<PolicyBlob[]> {
    return (await this.repos.identity_policy.list(f)).map(toPolicy)
  }

  async createPolicy(input: {
    type: string
    blob: string
    extra?: Record<string, unknown>
  }): Promise<PolicyBlob> {
    const id = newId()
    await this.repos.identity_policy.insert({
      id,
      type: input.type,
      blob: input.blob,
      extra: JSON.stringify(input.extra ?? {}),
    })
    return this.getPolicy(id)
  }

  async updatePolicy(id: string, patch: { type?: string; blob?: string; extra?: Record<string, unknown> }) {
    const cur = await this.getPolicy(id)
    const set: Partial<Row<'identity_policy'>> = {}
    if (patch.type !== undefined) set.type = patch.type
    if (patch.blob !== undefined) set.blob = patch.blob
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    await this.repos.identity_policy.update({ id }, set)
    return this.getPolicy(id)
  }

  async deletePolicy(id: string): Promise<void> {
    await this.getPolicy(id)
    await this.repos.transaction(async (tx) => {
      await tx.identity_policy_association.delete({ policy_id: id })
      await tx.identity_policy.delete({ id })
    })
  }

  async getConsumer(id: string): Promise<Consumer> {
    const r = await this.repos.identity_consumer.get({ id })
    if (!r) throw new ResourceNotFound('consumer', id)
    return toConsumer(r)
  }

  async listConsumers(): Promise<Consumer[]> {
    return (await this.repos.identity_consumer.list()).map(toConsumer)
  }

  async createConsumer(input: {
    description?: string | null
    extra?: Record<string, unknown>
  }): Promise<Consumer> {
    const id = newId()
    const secret = randomBytes(24).toString('base64url')
    await this.repos.identity_consumer.insert({
      id,
      description: input.description ?? null,
      secret,
      extra: JSON.stringify(input.extra ?? {}),
    })
    return { ...(await this.getConsumer(id)), secret }
  }

  async updateConsumer(id: string, patch: { description?: string | null; extra?: Record<string, unknown> }) {
    const cur = await this.getConsumer(id)
    const set: Partial<Row<'identity_consumer'>> = {}
    if (patch.description !== undefined) set.description = patch.description
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    await this.repos.identity_consumer.update({ id }, set)
    return this.getConsumer(id)
  }

  async deleteConsumer(id: string): Promise<void> {
    await this.getConsumer(id)
    await this.repos.identity_consumer.delete({ id })
  }
}
