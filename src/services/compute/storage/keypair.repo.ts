/** Key pairs, one namespace of names per user: the only SQL on `key_pairs`. */
import type { Kysely } from 'kysely'
import { type Dialect, isUniqueViolation } from '../../../kernel/db/index.js'
import { insertId } from './insert-id.js'
import type { ComputeDatabase, KeyPairsTable } from './schema.js'

export type KeypairRow = Omit<KeyPairsTable, 'id'> & { id: number }
export type NewKeypairRow = Omit<KeypairRow, 'id' | 'updated_at'>

export class KeypairRepo {
  constructor(
    private readonly db: Kysely<ComputeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  /** A user's key pairs by name. */
  async list(userId: string): Promise<KeypairRow[]> {
    return this.db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).orderBy('name').execute()
  }

  async get(userId: string, name: string): Promise<KeypairRow | undefined> {
    return this.db
      .selectFrom('key_pairs')
      .selectAll()
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .executeTakeFirst()
  }

  /** Undefined when the user already has a key pair of that name. */
  async create(row: NewKeypairRow): Promise<KeypairRow | undefined> {
    try {
      const id = await insertId(
        this.dialect,
        this.db.insertInto('key_pairs').values({ ...row, updated_at: null }),
      )
      return { ...row, id, updated_at: null }
    } catch (e) {
      if (isUniqueViolation(e)) return undefined
      throw e
    }
  }

  async delete(userId: string, name: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('key_pairs')
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async countByUser(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('key_pairs')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }
}
