/**
 * Key pairs: a user's named public keys, imported (OpenSSH keys or X.509 certificates)
 * or generated (until 2.92), each counted against the user's `key_pairs` quota with a
 * recheck so racing creates cannot exceed it.
 */
import { KeypairExists, KeypairLimitExceeded, KeypairNotFound } from '../errors.js'
import type { KeypairRepo, KeypairRow } from '../storage/keypair.repo.js'
import { nowIso } from './caller.js'
import { type Page, type PageRequest, page } from './paging.js'
import type { Quotas } from './quotas.js'
import {
  type GeneratedKey,
  generateSshKey,
  generateX509,
  sshFingerprint,
  x509Fingerprint,
} from './ssh-keys.js'

export type KeypairType = 'ssh' | 'x509'

export interface NewKeypair {
  name: string
  type: KeypairType
  /** Imported key; absent: generate one. */
  publicKey?: string
  userId: string
  projectId: string
}

export type Keypair = KeypairRow & { private_key?: string }

export class Keypairs {
  constructor(
    private readonly repo: KeypairRepo,
    private readonly quotas: Quotas,
    private readonly maxLimit: number,
  ) {}

  async create(input: NewKeypair): Promise<Keypair> {
    const over = () => new KeypairLimitExceeded()
    await this.quotas.check(input.projectId, input.userId, 'key_pairs', 1, over)
    let key: GeneratedKey | undefined
    let publicKey: string
    let fingerprint: string
    if (input.publicKey !== undefined) {
      publicKey = input.publicKey
      fingerprint = input.type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey)
    } else {
      key = input.type === 'x509' ? generateX509(input.userId) : generateSshKey()
      publicKey = key.publicKey
      fingerprint = key.fingerprint
    }
    const row = await this.repo.create({
      user_id: input.userId,
      name: input.name,
      fingerprint,
      public_key: publicKey,
      type: input.type,
      created_at: nowIso(),
    })
    if (!row) throw new KeypairExists(input.name)
    if (this.quotas.recheck) {
      try {
        await this.quotas.check(input.projectId, input.userId, 'key_pairs', 0, over)
      } catch (e) {
        await this.repo.delete(input.userId, input.name)
        throw e
      }
    }
    return key ? { ...row, private_key: key.privateKey } : row
  }

  async list(userId: string, paging: PageRequest): Promise<Page<KeypairRow>> {
    const rows = await this.repo.list(userId)
    return page(
      rows,
      paging,
      this.maxLimit,
      (k) => k.name,
      (m) => `Marker ${m} could not be found.`,
    )
  }

  async get(userId: string, name: string): Promise<KeypairRow> {
    const row = await this.repo.get(userId, name)
    if (!row) throw new KeypairNotFound(name, userId)
    return row
  }

  async delete(userId: string, name: string): Promise<void> {
    if (!(await this.repo.delete(userId, name))) throw new KeypairNotFound(name, userId)
  }
}
