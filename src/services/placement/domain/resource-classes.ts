/**
 * Resource classes: standard ones are fixed, custom ones (CUSTOM_*) are created,
 * renamed (before 1.7) and deleted. No HTTP and no SQL here.
 */
import { STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'
import { ConcurrentUpdate, PlacementBadRequest, PlacementConflict, PlacementNotFound } from '../errors.js'
import { MAX_RETRIES, type PlacementStore } from './placement.js'

export class ResourceClasses {
  constructor(private readonly store: PlacementStore) {}

  async create(name: string) {
    const s = await this.store.state(true)
    if (s.resourceClasses.has(name))
      throw new PlacementConflict(`Conflicting resource class already exists: ${name}`)
    for (let i = 0; ; i++) {
      try {
        await this.store.repo.createResourceClass((await this.store.state(true)).nextCustomClassId(), name)
        return
      } catch (e) {
        if (!(e instanceof ConcurrentUpdate) || i >= MAX_RETRIES) throw e
      }
    }
  }

  /** Creates a custom resource class unless it exists (1.7's PUT); true if created. */
  async ensure(name: string): Promise<boolean> {
    if ((await this.store.state(true)).resourceClasses.has(name)) return false
    await this.create(name)
    return true
  }

  async update(oldName: string, name: string) {
    const s = await this.store.state(true)
    const rc = s.resourceClasses.get(oldName)
    if (!rc) throw new PlacementNotFound(`No such resource class ${oldName}.`)
    if (STANDARD_RESOURCE_CLASSES.includes(oldName))
      throw new PlacementBadRequest(`Cannot update standard resource class ${oldName}`)
    if (s.resourceClasses.has(name) && name !== oldName)
      throw new PlacementConflict(`Resource class already exists: ${name}`)
    await this.store.repo.updateResourceClass(rc.id, name)
  }

  async delete(name: string) {
    const s = await this.store.state(true)
    const rc = s.resourceClasses.get(name)
    if (!rc) throw new PlacementNotFound(`No such resource class ${name}.`)
    if (STANDARD_RESOURCE_CLASSES.includes(name))
      throw new PlacementBadRequest(`Cannot delete standard resource class ${name}`)
    await this.store.repo.deleteResourceClass(rc.id, name)
  }
}
