/**
 * Credentials (/v3/credentials: opaque blobs owned by a user, e.g. TOTP or EC2 keys)
 * and the EC2 view of them (/v3/users/{id}/credentials/OS-EC2).
 */
import { createHash, randomUUID } from 'node:crypto'
import { ResourceConflict, ResourceNotFound, ValidationFailed } from '../errors.js'
import type { Row } from '../storage/table.repo.js'
import { DuplicateRow } from '../storage/table.repo.js'
import { newId, parseJson, type ResourceDeps } from './common.js'
import type { Projects } from './projects.js'
import type { Users } from './users.js'

export interface Credential {
  id: string
  user_id: string
  project_id: string | null
  type: string
  blob: string
  extra: Record<string, unknown>
}

export interface Ec2Credential {
  user_id: string
  tenant_id: string | null
  access: string
  secret: string
  trust_id: string | null
}

const toCredential = (r: Row<'identity_credential'>): Credential => ({
  id: r.id,
  user_id: r.user_id,
  project_id: r.project_id,
  type: r.type,
  blob: r.blob,
  extra: parseJson(r.extra, {}),
})

/** Blob keys that scope an ec2 credential; an update must keep them. */
const EC2_SCOPE_KEYS = ['trust_id', 'app_cred_id', 'access_token_id', 'access_id'] as const

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

export class Credentials {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly users: Users,
    private readonly projects: Projects,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  async get(id: string): Promise<Credential> {
    const r = await this.repos.identity_credential.get({ id })
    if (!r) throw new ResourceNotFound('credential', id)
    return toCredential(r)
  }

  async list(f: { user_id?: string; type?: string }): Promise<Credential[]> {
    return (await this.repos.identity_credential.list(f)).map(toCredential)
  }

  private ec2Access(blob: string): string {
    const parsed = parseJson<Record<string, unknown> | null>(blob, null)
    if (!parsed || typeof parsed.access !== 'string') {
      throw new ValidationFailed(
        'Invalid blob in credential: an ec2 credential blob must be JSON with an access key.',
      )
    }
    return parsed.access
  }

  /**
   * As Keystone: the access and secret of an ec2 credential may change (its id stays), but
   * not what scopes it (trust, application credential, OAuth access token, access id).
   */
  private checkEc2Scope(oldBlob: string, newBlob: string): void {
    this.ec2Access(newBlob)
    const before = parseJson<Record<string, unknown>>(oldBlob, {})
    const after = parseJson<Record<string, unknown>>(newBlob, {})
    for (const key of EC2_SCOPE_KEYS) {
      if (JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)) {
        throw new ValidationFailed(`${key} can not be updated for credential`)
      }
    }
  }

  async create(input: {
    user_id: string
    type: string
    blob: string
    project_id?: string | null
    extra?: Record<string, unknown>
  }): Promise<Credential> {
    await this.users.get(input.user_id)
    let id = newId()
    let keyHash: string | null = null
    if (input.type === 'ec2') {
      if (!input.project_id)
        throw new ValidationFailed("Invalid input for field 'project_id': required for ec2 credentials.")
      const access = this.ec2Access(input.blob)
      id = sha256(access)
      keyHash = id
    }
    try {
      await this.repos.identity_credential.insert({
        id,
        user_id: input.user_id,
        project_id: input.project_id ?? null,
        type: input.type,
        key_hash: keyHash,
        blob: input.blob,
        extra: JSON.stringify(input.extra ?? {}),
      })
    } catch (e) {
      if (e instanceof DuplicateRow) throw new ResourceConflict('credential', `Duplicate ID, ${id}.`)
      throw e
    }
    return this.get(id)
  }

  async update(
    id: string,
    patch: {
      user_id?: string
      type?: string
      blob?: string
      project_id?: string | null
      extra?: Record<string, unknown>
    },
  ): Promise<Credential> {
    const cur = await this.get(id)
    if (patch.user_id !== undefined) await this.users.get(patch.user_id)
    if (cur.type.toLowerCase() === 'ec2') this.checkEc2Scope(cur.blob, patch.blob ?? cur.blob)
    const set: Partial<Row<'identity_credential'>> = {}
    if (patch.user_id !== undefined) set.user_id = patch.user_id
    if (patch.type !== undefined) set.type = patch.type
    if (patch.blob !== undefined) set.blob = patch.blob
    if (patch.project_id !== undefined) set.project_id = patch.project_id
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    await this.repos.identity_credential.update({ id }, set)
    return this.get(id)
  }

  async delete(id: string): Promise<void> {
    await this.get(id)
    await this.repos.identity_credential.delete({ id })
  }

  // OS-EC2
  private toEc2(c: Credential): Ec2Credential {
    const b = parseJson<Record<string, unknown>>(c.blob, {})
    return {
      user_id: c.user_id,
      tenant_id: c.project_id,
      access: String(b.access ?? ''),
      secret: String(b.secret ?? ''),
      trust_id: (b.trust_id as string | null | undefined) ?? null,
    }
  }

  async createEc2(userId: string, tenantId: string): Promise<Ec2Credential> {
    await this.users.get(userId)
    // A domain is a project here too (GET /v3/projects/default answers), as upstream looks it up.
    await this.projects.getAny(tenantId)
    const access = randomUUID().replace(/-/g, '')
    const secret = randomUUID().replace(/-/g, '')
    const c = await this.create({
      user_id: userId,
      type: 'ec2',
      project_id: tenantId,
      blob: JSON.stringify({ access, secret, trust_id: null, app_cred_id: null, access_token_id: null }),
    })
    return this.toEc2(c)
  }

  async listEc2(userId: string): Promise<Ec2Credential[]> {
    await this.users.get(userId)
    return (await this.list({ user_id: userId, type: 'ec2' })).map((c) => this.toEc2(c))
  }

  /**
   * The EC2 credential of an access key, whoever owns it (Keystone's OS-EC2 calls look
   * the key up alone; the policy then sees its owner).
   */
  async getEc2(access: string): Promise<Ec2Credential> {
    const r = await this.repos.identity_credential.get({ id: sha256(access), type: 'ec2' })
    if (!r) throw new ResourceNotFound('credential', access)
    return this.toEc2(toCredential(r))
  }

  /** The stored EC2 credential of an access key, with what scopes it; undefined when there is none. */
  async findEc2ByAccess(
    access: string,
  ): Promise<(Ec2Credential & { app_cred_id: string | null; access_token_id: string | null }) | undefined> {
    const r = await this.repos.identity_credential.get({ id: sha256(access) })
    if (r?.type !== 'ec2') return undefined
    const c = toCredential(r)
    const b = parseJson<Record<string, unknown>>(c.blob, {})
    return {
      ...this.toEc2(c),
      app_cred_id: (b.app_cred_id as string | null | undefined) ?? null,
      access_token_id: (b.access_token_id as string | null | undefined) ?? null,
    }
  }

  async deleteEc2(access: string): Promise<void> {
    await this.getEc2(access)
    await this.repos.identity_credential.delete({ id: sha256(access) })
  }
}
