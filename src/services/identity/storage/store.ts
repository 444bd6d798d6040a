/**
 * The resource half's storage entry point: one typed repository per table, and
 * transactions that hand the same set of repositories bound to one connection.
 */
import type { Kysely, Transaction } from 'kysely'
import type { IdentityDB } from './schema.js'
import { type TableName, TableRepo } from './table.repo.js'

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
