/**
 * Volume types: create (name unique), update, delete (not while volumes use it, never
 * the default type), extra specs, private types and their project access, and which
 * type a volume gets when it names none (the project's default type, 3.62, else
 * `[DEFAULT] default_volume_type`).
 */
import { randomUUID } from 'node:crypto'
import { DomainError } from '../../../kernel/errors/index.js'
import {
  InvalidInput,
  InvalidVolumeType,
  VolumeBadRequest,
  VolumeTypeAccessExists,
  VolumeTypeAccessNotFound,
  VolumeTypeExists,
  VolumeTypeExtraSpecsNotFound,
  VolumeTypeInUse,
  VolumeTypeNotFound,
  VolumeTypeNotFoundByName,
} from '../errors.js'
import type { EncryptionRow, TypeRecord, TypeRepo } from '../storage/type.repo.js'
import type { VolumeRepo } from '../storage/volume.repo.js'
import type { Caller } from './caller.js'

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

export class VolumeTypes {
  constructor(
    private readonly repo: TypeRepo,
    private readonly volumes: VolumeRepo,
    private readonly defaultName: string,
  ) {}

  /** Types the caller sees; `isPublic` filters (admins only, else public and own private types). */
  async list(caller: Caller, isPublic: boolean | undefined): Promise<TypeRecord[]> {
    if (caller.isAdmin) return this.repo.list(isPublic === undefined ? {} : { isPublic })
    return this.repo.list({ projectId: caller.projectId })
  }

  /** By id, or by name (as Cinder's get_volume_type_by_name_or_id); hidden private types are not found. */
  async get(caller: Caller, idOrName: string): Promise<TypeRecord> {
    const t = (await this.repo.get(idOrName)) ?? (await this.repo.byName(idOrName))
    if (!t || !(await this.visible(caller, t))) throw new VolumeTypeNotFound(idOrName)
    return t
  }

  /** For a volume create: by id or name; a name that matches nothing says so. */
  async forCreate(caller: Caller, idOrName: string): Promise<TypeRecord> {
    const t = (await this.repo.get(idOrName)) ?? (await this.repo.byName(idOrName))
    if (!t || !(await this.visible(caller, t)))
      throw UUID.test(idOrName) ? new VolumeTypeNotFound(idOrName) : new VolumeTypeNotFoundByName(idOrName)
    return t
  }

  async byId(id: string): Promise<TypeRecord | undefined> {
    return this.repo.get(id)
  }

  /** The type of a volume that names none. */
  async defaultFor(projectId: string): Promise<TypeRecord> {
    const own = await this.repo.projectDefault(projectId)
    const t = (own && (await this.repo.get(own))) || (await this.repo.byName(this.defaultName))
    if (!t) throw new VolumeTypeNotFoundByName(this.defaultName)
    return t
  }

  /** The configured default type (the one that cannot be deleted). */
  async configuredDefault(): Promise<TypeRecord | undefined> {
    return this.repo.byName(this.defaultName)
  }

  private async visible(caller: Caller, t: TypeRecord): Promise<boolean> {
    if (caller.isAdmin || t.is_public) return true
    return (await this.repo.projects(t.id)).includes(caller.projectId)
  }

  async create(input: {
    name: string
    description?: string | null
    isPublic?: boolean
    extraSpecs?: Record<string, string>
  }): Promise<TypeRecord> {
    const name = input.name.trim()
    if (!name) throw new InvalidVolumeType('Volume type name can not be empty.')
    const id = randomUUID()
    const ok = await this.repo.create(
      {
        id,
        name,
        description: input.description ?? null,
        is_public: input.isPublic === false ? 0 : 1,
        qos_specs_id: null,
        created_at: new Date().toISOString(),
        updated_at: null,
      },
      input.extraSpecs ?? {},
    )
    if (!ok) throw new VolumeTypeExists(name)
    return (await this.repo.get(id))!
  }

  async update(
    id: string,
    input: { name?: string; description?: string | null; isPublic?: boolean },
  ): Promise<TypeRecord> {
    const t = await this.repo.get(id)
    if (!t) throw new VolumeTypeNotFound(id)
    const set: Record<string, unknown> = {}
    if (input.name !== undefined) {
      const name = input.name.trim()
      if (!name) throw new InvalidVolumeType('Volume type name can not be empty.')
      if (t.name === this.defaultName && name !== t.name)
        throw new VolumeBadRequest('The default volume type cannot be renamed.')
      set.name = name
    }
    if (input.description !== undefined) set.description = input.description
    if (input.isPublic !== undefined) set.is_public = input.isPublic ? 1 : 0
    if (!(await this.repo.update(id, set))) throw new VolumeTypeExists(String(set.name))
    return (await this.repo.get(id))!
  }

  async delete(id: string): Promise<void> {
    const t = await this.repo.get(id)
    if (!t) throw new VolumeTypeNotFound(id)
    if (t.name === this.defaultName)
      throw new VolumeBadRequest(
        'Target volume type is still in use. The default volume type can not be deleted.',
      )
    if ((await this.volumes.countByType(id)) > 0) throw new VolumeTypeInUse(id)
    await this.repo.delete(id)
  }

  /** Extra specs change only while no volume has the type (as Cinder's _allow_update). */
  async setSpecs(id: string, specs: Record<string, string>): Promise<Record<string, string>> {
    if ((await this.volumes.countByType(id)) > 0)
      throw new VolumeBadRequest('Volume Type is currently in use.')
    if (!(await this.repo.get(id))) throw new VolumeTypeNotFound(id)
    await this.repo.setSpecs(id, specs)
    return specs
  }

  async spec(id: string, key: string): Promise<string> {
    const t = await this.repo.get(id)
    if (!t) throw new VolumeTypeNotFound(id)
    const v = t.extra_specs[key]
    if (v === undefined) throw new VolumeTypeExtraSpecsNotFound(id, key)
    return v
  }

  async deleteSpec(id: string, key: string): Promise<void> {
    if ((await this.volumes.countByType(id)) > 0)
      throw new VolumeBadRequest('Volume Type is currently in use.')
    if (!(await this.repo.get(id))) throw new VolumeTypeNotFound(id)
    if (!(await this.repo.deleteSpec(id, key))) throw new VolumeTypeExtraSpecsNotFound(id, key)
  }

  async access(id: string): Promise<string[]> {
    const t = await this.repo.get(id)
    if (!t) throw new VolumeTypeNotFound(id)
    if (t.is_public) throw new AccessListOfPublicType()
    return this.repo.projects(id)
  }

  async addAccess(id: string, projectId: string): Promise<void> {
    const t = await this.repo.get(id)
    if (!t) throw new VolumeTypeNotFound(id)
    if (t.is_public) throw new InvalidInput('Cannot add access to a public volume type.')
    if (!(await this.repo.addProject(id, projectId))) throw new VolumeTypeAccessExists(id, projectId)
  }

  async removeAccess(id: string, projectId: string): Promise<void> {
    if (!(await this.repo.get(id))) throw new VolumeTypeNotFound(id)
    if (!(await this.repo.removeProject(id, projectId))) throw new VolumeTypeAccessNotFound(id, projectId)
  }

  async projectDefault(projectId: string): Promise<string | undefined> {
    return this.repo.projectDefault(projectId)
  }

  async defaults() {
    return this.repo.defaults()
  }

  async setProjectDefault(projectId: string, idOrName: string): Promise<TypeRecord> {
    const t = (await this.repo.get(idOrName)) ?? (await this.repo.byName(idOrName))
    if (!t) throw new VolumeTypeNotFound(idOrName)
    await this.repo.setProjectDefault(projectId, t.id)
    return t
  }

  async unsetProjectDefault(projectId: string): Promise<boolean> {
    return this.repo.unsetProjectDefault(projectId)
  }
}

/** Encryption of a type: provider, cipher, key size and where it happens. */
export interface EncryptionInput {
  provider?: string
  cipher?: string | null
  key_size?: number | null
  control_location?: string
}

class EncryptionExists extends DomainError {
  constructor(typeId: string) {
    super(
      'bad_request',
      'volume.type_encryption.exists',
      `Volume type encryption for type ${typeId} already exists.`,
    )
  }
}

class EncryptionNotFound extends DomainError {
  constructor(typeId: string) {
    super(
      'not_found',
      'volume.type_encryption.not_found',
      `Volume type encryption for type ${typeId} does not exist.`,
    )
  }
}

export class TypeEncryption {
  constructor(
    private readonly repo: TypeRepo,
    private readonly volumes: VolumeRepo,
  ) {}

  private async type(id: string) {
    const t = await this.repo.get(id)
    if (!t) throw new VolumeTypeNotFound(id)
    return t
  }

  async get(typeId: string): Promise<EncryptionRow | undefined> {
    await this.type(typeId)
    return this.repo.encryption(typeId)
  }

  async create(typeId: string, input: EncryptionInput): Promise<EncryptionRow> {
    await this.type(typeId)
    if ((await this.volumes.countByType(typeId)) > 0)
      throw new VolumeBadRequest('Cannot create encryption specs. Volume type in use.')
    const location = input.control_location ?? 'front-end'
    if (!['front-end', 'back-end'].includes(location))
      throw new InvalidInput(`Valid control location are: front-end, back-end`)
    if (!input.provider) throw new InvalidInput('provider must be defined')
    const row: EncryptionRow = {
      volume_type_id: typeId,
      encryption_id: randomUUID(),
      provider: input.provider,
      cipher: input.cipher ?? null,
      key_size: input.key_size ?? null,
      control_location: location,
      created_at: new Date().toISOString(),
      updated_at: null,
    }
    if (!(await this.repo.createEncryption(row))) throw new EncryptionExists(typeId)
    return row
  }

  async update(typeId: string, input: EncryptionInput): Promise<void> {
    await this.type(typeId)
    if (!(await this.repo.encryption(typeId))) throw new EncryptionNotFound(typeId)
    if ((await this.volumes.countByType(typeId)) > 0)
      throw new VolumeBadRequest('Cannot update encryption specs. Volume type in use.')
    if (input.control_location !== undefined && !['front-end', 'back-end'].includes(input.control_location))
      throw new InvalidInput(`Valid control location are: front-end, back-end`)
    await this.repo.updateEncryption(typeId, {
      ...(input.provider !== undefined ? { provider: input.provider } : {}),
      ...(input.cipher !== undefined ? { cipher: input.cipher } : {}),
      ...(input.key_size !== undefined ? { key_size: input.key_size } : {}),
      ...(input.control_location !== undefined ? { control_location: input.control_location } : {}),
    })
  }

  async delete(typeId: string): Promise<void> {
    await this.type(typeId)
    if ((await this.volumes.countByType(typeId)) > 0)
      throw new VolumeBadRequest('Cannot delete encryption specs. Volume type in use.')
    if (!(await this.repo.deleteEncryption(typeId))) throw new EncryptionNotFound(typeId)
  }
}

/** Cinder answers the access list of a public type with 404. */
class AccessListOfPublicType extends DomainError {
  constructor() {
    super('not_found', 'volume.type_access.public', 'Access list not available for public volume types.')
  }
}
