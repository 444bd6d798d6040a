/**
 * Host aggregates: named sets of hosts with metadata, one of which
 * (`availability_zone`) puts the hosts in a zone. The rules upstream keeps: names are
 * unique, a zone name is never empty, a host is in at most one zone, an aggregate with
 * hosts cannot be deleted. Hosts are names the `ComputeHosts` seam may vouch for.
 */
import { randomUUID } from 'node:crypto'
import {
  AggregateActionInvalid,
  AggregateHostExists,
  AggregateHostNotFound,
  AggregateNameExists,
  AggregateNotFound,
  ComputeHostNotFound,
} from '../errors.js'
import type { AggregateRepo, AggregateRow } from '../storage/aggregate.repo.js'
import { nowIso } from './caller.js'
import type { ComputeHosts } from './hosts.js'

export type Aggregate = AggregateRow

export const AZ_KEY = 'availability_zone'

/**
 * Where a host's aggregate membership is mirrored: placement's aggregate of the same
 * uuid on the host's compute node provider, which the scheduler's `member_of` queries
 * (zones, tenant isolation) read.
 */
export interface AggregateMirror {
  set(host: string, aggregateUuid: string, member: boolean): Promise<void>
}

export class Aggregates {
  constructor(
    private readonly repo: AggregateRepo,
    private readonly hosts: ComputeHosts,
    private readonly mirror?: AggregateMirror,
  ) {}

  list(): Promise<Aggregate[]> {
    return this.repo.list()
  }

  async get(id: number): Promise<Aggregate> {
    const agg = await this.repo.get(id)
    if (!agg) throw new AggregateNotFound(id)
    return agg
  }

  async create(name: string, zone: string | null | undefined): Promise<Aggregate> {
    const created = await this.repo.create(
      { uuid: randomUUID(), name, metadata: zone ? { [AZ_KEY]: zone } : {} },
      nowIso(),
    )
    if (!created) throw new AggregateNameExists(name)
    return created
  }

  /** Renames and/or moves to another zone (`zone: null` leaves the zone). */
  async update(id: number, changes: { name?: string; zone?: string | null }): Promise<Aggregate> {
    const agg = await this.get(id)
    if (changes.zone !== undefined) {
      await this.checkZone(agg, { [AZ_KEY]: changes.zone }, agg.hosts, (reason) =>
        invalid(`Cannot update aggregate ${id}. Reason: ${reason}.`),
      )
    }
    if (changes.name !== undefined && !(await this.repo.rename(id, changes.name, nowIso())))
      throw new AggregateNameExists(changes.name)
    if (changes.zone !== undefined) await this.repo.updateMetadata(id, { [AZ_KEY]: changes.zone }, nowIso())
    return this.get(id)
  }

  /** Sets metadata keys; null removes a key. */
  async setMetadata(id: number, metadata: Readonly<Record<string, string | null>>): Promise<Aggregate> {
    const agg = await this.get(id)
    await this.checkZone(agg, metadata, agg.hosts, (reason) =>
      invalid(`Cannot update metadata of aggregate ${id}. Reason: ${reason}.`),
    )
    await this.repo.updateMetadata(id, metadata, nowIso())
    return this.get(id)
  }

  async addHost(id: number, host: string): Promise<Aggregate> {
    const agg = await this.get(id)
    if (this.hosts.exists && !(await this.hosts.exists(host))) throw new ComputeHostNotFound(host)
    await this.checkZone(agg, agg.metadata, [host], (reason) =>
      invalid(`Cannot add host to aggregate ${id}. Reason: ${reason}.`, 'conflict'),
    )
    if (!(await this.repo.addHost(id, host))) throw new AggregateHostExists(id, host)
    await this.mirror?.set(host, agg.uuid, true)
    return this.get(id)
  }

  async removeHost(id: number, host: string): Promise<Aggregate> {
    const agg = await this.get(id)
    if (!(await this.repo.removeHost(id, host))) throw new AggregateHostNotFound(id, host)
    await this.mirror?.set(host, agg.uuid, false)
    return this.get(id)
  }

  async delete(id: number): Promise<void> {
    const agg = await this.get(id)
    if (agg.hosts.length > 0)
      throw invalid(`Cannot remove host from aggregate ${id}. Reason: Host aggregate is not empty.`)
    await this.repo.delete(id)
  }

  /** Each host's aggregates as the scheduler sees them (uuid, name, metadata). */
  async ofHosts(
    hosts: readonly string[],
  ): Promise<Map<string, { uuid: string; name: string; metadata: Record<string, string> }[]>> {
    const out = new Map<string, { uuid: string; name: string; metadata: Record<string, string> }[]>()
    for (const agg of await this.repo.ofHosts(hosts))
      for (const h of agg.hosts) {
        const list = out.get(h) ?? []
        list.push({ uuid: agg.uuid, name: agg.name, metadata: agg.metadata })
        out.set(h, list)
      }
    return out
  }

  /** The zone each host is in, by aggregate metadata (hosts outside every zone absent). */
  async zonesOfHosts(hosts: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for (const agg of await this.repo.ofHosts(hosts)) {
      const zone = agg.metadata[AZ_KEY]
      if (zone === undefined) continue
      for (const h of agg.hosts) if (!out.has(h)) out.set(h, zone)
    }
    return out
  }

  /**
   * A change that sets a zone must name one, and may not put a host of `hosts` in a
   * second zone (another aggregate already gives it a different one).
   */
  private async checkZone(
    agg: Aggregate,
    metadata: Readonly<Record<string, string | null>>,
    hosts: readonly string[],
    fail: (reason: string) => Error,
  ): Promise<void> {
    if (!(AZ_KEY in metadata)) return
    const zone = metadata[AZ_KEY]
    if (zone === null) return
    if (!zone) throw fail(`Aggregate ${agg.name} does not support empty named availability zone`)
    const conflicting = (await this.repo.ofHosts(hosts))
      .filter((other) => other.id !== agg.id && other.metadata[AZ_KEY] !== undefined)
      .map((other) => other.metadata[AZ_KEY]!)
      .filter((z) => z !== zone)
    if (conflicting.length)
      throw fail(
        `One or more hosts already in availability zone(s) [${conflicting.map((z) => `'${z}'`).join(', ')}]`,
      )
  }
}

function invalid(message: string, kind: 'bad_request' | 'conflict' = 'bad_request'): AggregateActionInvalid {
  return new AggregateActionInvalid(message, kind)
}
