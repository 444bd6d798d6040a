/**
 * The resource half's repositories: one small shape for every identity table (get by
 * key, list by equality filters, insert, update, delete) and `Repos`, the set of them,
 * whose `transaction` hands the same set bound to one connection. The resource half's
 * tables are simple rows whose relations the domain layer walks itself (hierarchies,
 * effective roles), so one generic repository, typed per table, serves them all.
 *
 * NOTE: Kysely's builders do not type-check over a generic table name, so the
 * implementation talks to an untyped Kysely; the public surface stays typed by
 * `IdentityDB[T]`.
 */
import { type Kysely, sql, type Transaction } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { IdentityDB } from './schema.js'

export type TableName = keyof IdentityDB
export type Row<T extends TableName> = IdentityDB[T]
/** Equality filters; an array value means `IN (...)`; `null` means `IS NULL`. */
export type Where<T extends TableName> = { [K in keyof Row<T>]?: Row<T>[K] | readonly Row<T>[K][] | null }

export interface ListOptions<T extends TableName> {
  orderBy?: keyof Row<T> & string
  /** Case-sensitive substring/prefix filters on string columns (`LIKE`). */
  like?: { [K in keyof Row<T>]?: string }
}

/** Thrown by insert/update when a unique key is already taken. */
export class DuplicateRow extends Error {
  constructor(readonly table: string) {
    super(`duplicate row in ${table}`)
  }
}

export class TableRepo<T extends TableName> {
  // biome-ignore lint/suspicious/noExplicitAny: see the NOTE above.
  private readonly db: any

  constructor(
    db: Kysely<any> | Transaction<any>,
    readonly table: T,
  ) {
    this.db = db
  }

  // biome-ignore lint/suspicious/noExplicitAny: see the NOTE above.
  private filtered(q: any, where: Where<T>): any {
    for (const [col, value] of Object.entries(where)) {
      if (value === undefined) continue
      if (value === null) q = q.where(col, 'is', null)
      else if (Array.isArray(value)) {
        if (value.length === 0) q = q.where(sql<boolean>`1 = 0`)
        else q = q.where(col, 'in', value)
      } else q = q.where(col, '=', value)
    }
    return q
  }

  async get(where: Where<T>): Promise<Row<T> | undefined> {
    const q = this.filtered(this.db.selectFrom(this.table).selectAll(), where)
    return (await q.executeTakeFirst()) as Row<T> | undefined
  }

  async list(where: Where<T> = {}, options: ListOptions<T> = {}): Promise<Row<T>[]> {
    let q: any = this.filtered(this.db.selectFrom(this.table).selectAll(), where)
    for (const [col, pattern] of Object.entries(options.like ?? {})) {
      if (pattern !== undefined) q = q.where(col, 'like', pattern)
    }
    if (options.orderBy) q = q.orderBy(options.orderBy)
    return (await q.execute()) as Row<T>[]
  }

  async count(where: Where<T> = {}): Promise<number> {
    const q = this.filtered(
      this.db.selectFrom(this.table).select((eb: any) => eb.fn.countAll().as('n')),
      where,
    )
    const r = (await q.executeTakeFirst()) as { n: number | string | bigint } | undefined
    return Number(r?.n ?? 0)
  }

  async insert(row: Row<T>): Promise<void> {
    try {
      await this.db
        .insertInto(this.table)
        .values(row as any)
        .execute()
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateRow(this.table)
      throw e
    }
  }

  /** Inserts unless a row with the same key exists (idempotent grants, tags, members). */
  async insertIgnoringDuplicate(row: Row<T>): Promise<boolean> {
    try {
      await this.insert(row)
      return true
    } catch (e) {
      if (e instanceof DuplicateRow) return false
      throw e
    }
  }

  /** Returns the number of rows updated. */
  async update(where: Where<T>, patch: Partial<Row<T>>): Promise<number> {
    if (Object.keys(patch).length === 0) return this.count(where)
    try {
      const q = this.filtered(this.db.updateTable(this.table).set(patch as any), where)
      const r = await q.executeTakeFirst()
      return Number((r as { numUpdatedRows?: bigint }).numUpdatedRows ?? 0)
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateRow(this.table)
      throw e
    }
  }

  /** Returns the number of rows deleted. */
  async delete(where: Where<T>): Promise<number> {
    const q = this.filtered(this.db.deleteFrom(this.table), where)
    const r = await q.executeTakeFirst()
    return Number((r as { numDeletedRows?: bigint }).numDeletedRows ?? 0)
  }
}

export type Repos = { readonly [T in TableName]: TableRepo<T> } & {
  /** Runs `fn` in one transaction (or inside the current one). */
  transaction<R>(fn: (tx: Repos) => Promise<R>): Promise<R>
}

const TABLES: readonly TableName[] = [
  'identity_project',
  'identity_project_tag',
  'identity_user',
  'identity_password',
  'identity_group',
  'identity_membership',
  'identity_role',
  'identity_implied_role',
  'identity_assignment',
  'identity_region',
  'identity_service',
  'identity_endpoint',
  'identity_endpoint_group',
  'identity_project_endpoint_group',
  'identity_project_endpoint',
  'identity_credential',
  'identity_app_cred',
  'identity_app_cred_role',
  'identity_access_rule',
  'identity_app_cred_access_rule',
  'identity_policy',
  'identity_consumer',
  'identity_trust',
  'identity_trust_role',
  'identity_domain_config',
  'identity_registered_limit',
  'identity_limit',
  'identity_idp',
  'identity_idp_remote_id',
  'identity_mapping',
  'identity_federation_protocol',
  'identity_service_provider',
  'identity_federated_user',
  'identity_oauth_request_token',
  'identity_oauth_access_token',
  'identity_policy_association',
]

export function createRepos(db: Kysely<IdentityDB> | Transaction<IdentityDB>, inTx = false): Repos {
  const repos: Record<string, unknown> = {}
  for (const t of TABLES) repos[t] = new TableRepo(db as Kysely<any>, t)
  repos.transaction = async <R>(fn: (tx: Repos) => Promise<R>): Promise<R> => {
    if (inTx) return fn(repos as Repos)
    return (db as Kysely<IdentityDB>).transaction().execute((trx) => fn(createRepos(trx, true)))
  }
  return repos as Repos
}
