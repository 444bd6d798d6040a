/**
 * Volume transfers: the owner offers an available volume (it then awaits the transfer);
 * another project accepts it with the auth key, which is shown once and kept only as a
 * salted hash; the volume, and its snapshots unless `no_snapshots` (3.55), change project.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { DomainError } from '../../../kernel/errors/index.js'
import { InvalidVolume, VolumeNotFound } from '../errors.js'
import type { SnapshotRepo } from '../storage/snapshot.repo.js'
import type { TransferRepo, TransferRow } from '../storage/transfer.repo.js'
import { type Caller, sees } from './caller.js'
import type { Quotas } from './quotas.js'
import type { Volumes } from './volumes.js'

export class TransferNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.transfer.not_found', `Transfer ${id} could not be found.`)
  }
}

export class InvalidAuthKey extends DomainError {
  constructor() {
    super(
      'bad_request',
      'volume.transfer.invalid_auth_key',
      'Invalid auth key: Attempt to transfer volume with invalid auth key.',
    )
  }
}

const hash = (salt: string, key: string) => createHash('sha256').update(`${salt}${key}`).digest('hex')

export class Transfers {
  constructor(
    private readonly repo: TransferRepo,
    private readonly volumes: Volumes,
    private readonly snapshots: SnapshotRepo,
    private readonly quotas: Quotas,
  ) {}

  async create(
    caller: Caller,
    input: { volumeId: string; name?: string | null; noSnapshots: boolean },
  ): Promise<TransferRow & { auth_key: string }> {
    const vol = await this.volumes.get(caller, input.volumeId)
    if (vol.status !== 'available')
      throw new InvalidVolume(`Status must be available to transfer; volume ${vol.id} is ${vol.status}.`)
    const authKey = randomBytes(8).toString('hex')
    const salt = randomBytes(8).toString('hex')
    const row: TransferRow = {
      id: randomUUID(),
      volume_id: vol.id,
      display_name: input.name ?? null,
      salt,
      crypt_hash: hash(salt, authKey),
      source_project_id: vol.project_id,
      destination_project_id: null,
      accepted: 0,
      no_snapshots: input.noSnapshots ? 1 : 0,
      created_at: new Date().toISOString(),
      updated_at: null,
    }
    if (!(await this.repo.create(row)))
      throw new InvalidVolume(`Status must be available to transfer; volume ${vol.id} changed.`)
    return { ...row, auth_key: authKey }
  }

  /** A transfer the caller's project offered (admins: any). */
  async get(caller: Caller, id: string): Promise<TransferRow> {
    const t = await this.repo.get(id)
    if (!t || !sees(caller, t.source_project_id)) throw new TransferNotFound(id)
    return t
  }

  async list(caller: Caller, allProjects: boolean): Promise<TransferRow[]> {
    return this.repo.list(caller.isAdmin && allProjects ? undefined : caller.projectId)
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.repo.delete(await this.get(caller, id))
  }

  /** Accepts a transfer for the caller's project: the key decides, not the project. */
  async accept(caller: Caller, id: string, authKey: string): Promise<TransferRow> {
    const t = await this.repo.get(id)
    if (!t) throw new TransferNotFound(id)
    const given = Buffer.from(hash(t.salt, authKey))
    const expected = Buffer.from(t.crypt_hash)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidAuthKey()
    const vol = await this.volumes.repo.getRow(t.volume_id)
    if (!vol) throw new VolumeNotFound(t.volume_id)
    const snaps = t.no_snapshots ? [] : await this.snapshots.ofVolume(vol.id)
    const check = await this.quotas.checker(caller.projectId)
    const ok = await this.repo.accept(t, { projectId: caller.projectId, userId: caller.userId }, (usage) => {
      check(usage, { typeId: vol.volume_type_id, volumes: 1, gigabytes: vol.size })
      if (snaps.length)
        check(usage, {
          typeId: vol.volume_type_id,
          snapshots: snaps.length,
          gigabytes: vol.size + snaps.reduce((n, s) => n + s.volume_size, 0),
        })
    })
    if (!ok) throw new TransferNotFound(id)
    return t
  }
}
