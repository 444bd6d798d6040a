/**
 * QoS specs: named sets of limits for the front end (the hypervisor), the back end, or
 * both, associated with volume types. A spec in use by a type is deleted only with force.
 */
import { randomUUID } from 'node:crypto'
import { DomainError } from '../../../kernel/errors/index.js'
import { InvalidInput, VolumeTypeNotFound } from '../errors.js'
import type { QosRecord, QosRepo } from '../storage/qos.repo.js'
import type { TypeRepo } from '../storage/type.repo.js'

export const CONSUMERS = ['front-end', 'back-end', 'both'] as const

export class QosSpecsNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.qos.not_found', `No such QoS spec ${id}.`)
  }
}

export class QosSpecsExists extends DomainError {
  constructor(name: string) {
    super('conflict', 'volume.qos.exists', `QoS Specs ${name} already exists.`)
  }
}

class QosSpecsInUse extends DomainError {
  constructor(id: string) {
    super('bad_request', 'volume.qos.in_use', `QoS Specs ${id} is still associated with entities.`)
  }
}

class QosAssociateFailed extends DomainError {
  constructor(id: string, typeId: string) {
    super(
      'bad_request',
      'volume.qos.associate_failed',
      `Failed to associate qos_specs: ${id} with type ${typeId}: the type already has QoS specs.`,
    )
  }
}

export class QosSpecs {
  constructor(
    private readonly repo: QosRepo,
    private readonly types: TypeRepo,
  ) {}

  async create(name: string, consumer: string, specs: Record<string, string>): Promise<QosRecord> {
    if (!CONSUMERS.includes(consumer as (typeof CONSUMERS)[number]))
      throw new InvalidInput(`Valid consumer of QoS specs are: ${CONSUMERS.join(', ')}`)
    const id = randomUUID()
    if (!(await this.repo.create({ id, name, consumer, created_at: new Date().toISOString() }, specs)))
      throw new QosSpecsExists(name)
    return (await this.repo.get(id))!
  }

  list() {
    return this.repo.list()
  }

  async get(id: string): Promise<QosRecord> {
    const q = await this.repo.get(id)
    if (!q) throw new QosSpecsNotFound(id)
    return q
  }

  async setKeys(id: string, specs: Record<string, string>): Promise<Record<string, string>> {
    await this.get(id)
    if ('consumer' in specs) {
      const { consumer: _c, ...rest } = specs
      void _c
      await this.repo.setKeys(id, rest)
      return specs
    }
    await this.repo.setKeys(id, specs)
    return specs
  }

  async deleteKeys(id: string, keys: readonly string[]): Promise<void> {
    const q = await this.get(id)
    const missing = keys.filter((k) => !(k in q.specs))
    if (missing.length) throw new DomainErrorNotFound(`QoS spec ${id} has no key ${missing[0]}.`)
    await this.repo.deleteKeys(id, keys)
  }

  async delete(id: string, force: boolean): Promise<void> {
    await this.get(id)
    if (!force && (await this.repo.types(id)).length) throw new QosSpecsInUse(id)
    await this.repo.delete(id)
  }

  async associations(id: string) {
    await this.get(id)
    return (await this.repo.types(id)).map((t) => ({
      association_type: 'volume_type',
      id: t.id,
      name: t.name,
    }))
  }

  async associate(id: string, typeId: string): Promise<void> {
    await this.get(id)
    const t = await this.types.get(typeId)
    if (!t) throw new VolumeTypeNotFound(typeId)
    if (t.qos_specs_id === id) return
    if (!(await this.repo.setTypeQos(typeId, id, null))) throw new QosAssociateFailed(id, typeId)
  }

  async disassociate(id: string, typeId: string): Promise<void> {
    await this.get(id)
    if (!(await this.types.get(typeId))) throw new VolumeTypeNotFound(typeId)
    await this.repo.setTypeQos(typeId, null, id)
  }

  async disassociateAll(id: string): Promise<void> {
    await this.get(id)
    for (const t of await this.repo.types(id)) await this.repo.setTypeQos(t.id, null, id)
  }
}

class DomainErrorNotFound extends DomainError {
  constructor(message: string) {
    super('not_found', 'volume.qos.key_not_found', message)
  }
}
