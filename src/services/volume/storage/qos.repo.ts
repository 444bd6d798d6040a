/** QoS specs, their keys and their volume types: the only SQL on `qos_specs*`. */
import type { Kysely, Selectable } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { QosSpecsTable, VolumeDatabase } from './schema.js'

export interface QosRecord extends Selectable<QosSpecsTable> {
  specs: Record<string, string>
}

export class QosRepo {
  constructor(private readonly db: Kysely<VolumeDatabase>) {}

  async create(row: Selectable<QosSpecsTable>, specs: Record<string, string>): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('qos_specs').values(row).execute()
        const keys = Object.entries(specs).map(([key, value]) => ({ qos_id: row.id, key, value }))
        if (keys.length) await trx.insertInto('qos_specs_keys').values(keys).execute()
      })
      return true
    } catch (e) {
      if (isUniqueViolation(e)) return false
      throw e
    }
  }

  async list(): Promise<QosRecord[]> {
    const rows = await this.db
      .selectFrom('qos_specs')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    if (!rows.length) return []
    const keys = await this.db.selectFrom('qos_specs_keys').selectAll().execute()
    return rows.map((r) => ({
      ...r,
      specs: Object.fromEntries(keys.filter((k) => k.qos_id === r.id).map((k) => [k.key, k.value])),
    }))
  }

  async get(id: string): Promise<QosRecord | undefined> {
    const row = await this.db.selectFrom('qos_specs').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) return undefined
    const keys = await this.db.selectFrom('qos_specs_keys').selectAll().where('qos_id', '=', id).execute()
    return { ...row, specs: Object.fromEntries(keys.map((k) => [k.key, k.value])) }
  }

  async setKeys(id: string, specs: Record<string, string>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const keys = Object.keys(specs)
      if (!keys.length) return
      await trx.deleteFrom('qos_specs_keys').where('qos_id', '=', id).where('key', 'in', keys).execute()
      await trx
        .insertInto('qos_specs_keys')
        .values(keys.map((key) => ({ qos_id: id, key, value: specs[key]! })))
        .execute()
    })
  }

  async deleteKeys(id: string, keys: readonly string[]): Promise<number> {
    if (!keys.length) return 0
    const r = await this.db
      .deleteFrom('qos_specs_keys')
      .where('qos_id', '=', id)
      .where('key', 'in', [...keys])
      .executeTakeFirst()
    return Number(r.numDeletedRows)
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('volume_types')
        .set({ qos_specs_id: null })
        .where('qos_specs_id', '=', id)
        .execute()
      await trx.deleteFrom('qos_specs_keys').where('qos_id', '=', id).execute()
      await trx.deleteFrom('qos_specs').where('id', '=', id).execute()
    })
  }

  async types(id: string): Promise<{ id: string; name: string }[]> {
    return this.db
      .selectFrom('volume_types')
      .select(['id', 'name'])
      .where('qos_specs_id', '=', id)
      .orderBy('name')
      .execute()
  }

  /** Sets (or clears, with null) a type's specs; only over `from` when given. */
  async setTypeQos(typeId: string, qosId: string | null, from?: string | null): Promise<boolean> {
    let q = this.db.updateTable('volume_types').set({ qos_specs_id: qosId }).where('id', '=', typeId)
    if (from !== undefined)
      q = from === null ? q.where('qos_specs_id', 'is', null) : q.where('qos_specs_id', '=', from)
    return Number((await q.executeTakeFirst()).numUpdatedRows) > 0
  }
}
