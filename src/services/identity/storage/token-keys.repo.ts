/**
 * JWS public keys in the identity database, so that every process sharing it can
 * validate tokens whichever process signed them.
 */
import type { Kysely } from 'kysely'
import type { TokenDB } from './token-schema.js'

export interface SigningKeyRow {
  kid: string
  algorithm: string
  publicJwk: string
  createdAt: number
  retiredAt: number | null
}

export class TokenKeysRepo {
  constructor(private readonly db: Kysely<TokenDB>) {}

  async add(key: { kid: string; algorithm: string; publicJwk: string; createdAt: number }): Promise<void> {
    await this.db
      .insertInto('token_signing_key')
      .values({
        kid: key.kid,
        algorithm: key.algorithm,
        public_jwk: key.publicJwk,
        created_at: key.createdAt,
        retired_at: null,
      })
      .execute()
  }

  async list(): Promise<SigningKeyRow[]> {
    const rows = await this.db.selectFrom('token_signing_key').selectAll().orderBy('created_at').execute()
    return rows.map((r) => ({
      kid: r.kid,
      algorithm: r.algorithm,
      publicJwk: r.public_jwk,
      createdAt: Number(r.created_at),
      retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    }))
  }

  async get(kid: string): Promise<SigningKeyRow | undefined> {
    return (await this.list()).find((k) => k.kid === kid)
  }

  async retire(kid: string, at: number): Promise<void> {
    await this.db
      .updateTable('token_signing_key')
      .set({ retired_at: at })
      .where('kid', '=', kid)
      .where('retired_at', 'is', null)
      .execute()
  }

  /** Deletes keys retired before `cutoff`; returns their kids. */
  async pruneRetiredBefore(cutoff: number): Promise<string[]> {
    return this.db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('token_signing_key')
        .select('kid')
        .where('retired_at', 'is not', null)
        .where('retired_at', '<', cutoff)
        .execute()
      if (old.length === 0) return []
      const kids = old.map((r) => r.kid)
      await trx.deleteFrom('token_signing_key').where('kid', 'in', kids).execute()
      return kids
    })
  }
}
