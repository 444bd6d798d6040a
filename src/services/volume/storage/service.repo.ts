/** The volume services (cinder-scheduler, cinder-volume per backend): the only SQL on them. */
import type { Kysely, Selectable } from 'kysely'
import type { ServicesTable, VolumeDatabase } from './schema.js'

export type ServiceRow = Selectable<ServicesTable>

export class ServiceRepo {
  constructor(private readonly db: Kysely<VolumeDatabase>) {}

  /** Records a service if it is new and marks it alive now. */
  async register(host: string, binary: string, topic: string, zone: string): Promise<void> {
    const now = new Date().toISOString()
    const r = await this.db
      .updateTable('volume_services')
      .set({ updated_at: now, availability_zone: zone })
      .where('host', '=', host)
      .where('binary', '=', binary)
      .executeTakeFirst()
    if (Number(r.numUpdatedRows) === 0)
      await this.db
        .insertInto('volume_services')
        .values({
          host,
          binary,
          topic,
          availability_zone: zone,
          disabled: 0,
          disabled_reason: null,
          created_at: now,
          updated_at: now,
        })
        .execute()
  }

  async heartbeat(hosts: readonly { host: string; binary: string }[]): Promise<void> {
    const now = new Date().toISOString()
    for (const h of hosts)
      await this.db
        .updateTable('volume_services')
        .set({ updated_at: now })
        .where('host', '=', h.host)
        .where('binary', '=', h.binary)
        .execute()
  }

  async list(filter: { host?: string; binary?: string }): Promise<ServiceRow[]> {
    let q = this.db.selectFrom('volume_services').selectAll()
    // NOTE: as Cinder, a host names its backends too (`vm` finds `vm@file`).
    const host = filter.host
    if (host !== undefined)
      q = q.where((eb) =>
        eb.or([eb('host', '=', host), eb('host', 'like', `${host.replace(/[%_\\]/g, '')}@%`)]),
      )
    if (filter.binary !== undefined) q = q.where('binary', '=', filter.binary)
    return q.orderBy('id').execute()
  }

  async setDisabled(host: string, binary: string, disabled: boolean, reason: string | null): Promise<number> {
    const r = await this.db
      .updateTable('volume_services')
      .set({ disabled: disabled ? 1 : 0, disabled_reason: reason })
      .where('host', '=', host)
      .where('binary', '=', binary)
      .executeTakeFirst()
    return Number(r.numUpdatedRows)
  }
}
