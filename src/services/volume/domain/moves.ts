/**
 * Moving volumes between volume hosts without editing the database:
 *
 * - os-migrate_volume (admin): the volume's bytes are copied into a fresh file (through
 *   `.part`, as every copy) and its host becomes the destination pool; migration_status
 *   goes migrating ─▶ success (error when the copy fails, the old file kept). The
 *   destination must be a registered, enabled cinder-volume host other than the
 *   volume's own. The bytes go to the directory of the destination's backend when it
 *   is one of this process's backends (a host renamed since keeps the backend's
 *   directory); the source file is removed only once the row names the destination.
 *   A retype with migration_policy on-demand runs the same move, to the backend the new
 *   type selects (the type set with the host at the end), or in place.
 * - update-host (cinder-manage volume update_host): every volume and group on a
 *   `host@backend` is re-homed on another registered one, keeping its pool.
 */
import type { Logger } from 'pino'
import { InvalidInput, InvalidVolume } from '../errors.js'
import { type FileBackends, sectionOfHost } from '../files/backends.js'
import type { ServiceRepo } from '../storage/service.repo.js'
import type { SnapshotRepo } from '../storage/snapshot.repo.js'
import type { TypeRecord } from '../storage/type.repo.js'
import type { VolumeRecord, VolumeRepo } from '../storage/volume.repo.js'
import type { Spawner } from './in-flight.js'
import type { Placement } from './volumes.js'

export class VolumeMoves {
  constructor(
    private readonly repo: VolumeRepo,
    private readonly snapshots: SnapshotRepo,
    private readonly services: ServiceRepo,
    private readonly driver: FileBackends,
    private readonly tasks: Spawner,
    private readonly logger: Logger,
  ) {}

  /** `host@backend` of the registered cinder-volume services that are enabled. */
  private async volumeHosts(): Promise<string[]> {
    return (await this.services.list({ binary: 'cinder-volume' }))
      .filter((s) => !s.disabled)
      .map((s) => s.host)
  }

  async migrate(vol: VolumeRecord, host: string): Promise<void> {
    const [backendHost, pool] = host.split('#')
    const known = await this.volumeHosts()
    if (!backendHost || !known.includes(backendHost))
      throw new InvalidInput(`No valid host was found: ${host} is not an enabled volume host.`)
    const destination = `${backendHost}#${pool ?? vol.host?.split('#')[1] ?? backendHost.split('@')[1]}`
    if (vol.host === destination || vol.host?.split('#')[0] === backendHost)
      throw new InvalidVolume('Destination host must be different than the current host.')
    if (vol.status !== 'available')
      throw new InvalidVolume(`Volume status must be available to migrate, but is ${vol.status}.`)
    if (vol.migration_status === 'migrating' || vol.migration_status === 'starting')
      throw new InvalidVolume('Volume is already part of an active migration.')
    if ((await this.snapshots.ofVolume(vol.id)).length)
      throw new InvalidVolume('Volume cannot have snapshots to be migrated.')
    if (vol.group_id) throw new InvalidVolume('Volume is part of a group; it cannot be migrated.')
    if (
      !(await this.repo.update(
        vol.id,
        { status: 'maintenance', previous_status: vol.status, migration_status: 'migrating' },
        ['available'],
      ))
    )
      throw new InvalidVolume('Volume status changed while the migration was starting.')
    const section = this.sectionFor(destination, vol)
    void this.tasks.spawn(`migrate ${vol.id} to ${destination}`, async () => {
      const ok = await this.copyBytes(vol, section)
      await this.repo.update(vol.id, {
        status: 'available',
        migration_status: ok ? 'success' : 'error',
        ...(ok ? { host: destination } : {}),
      })
      if (ok) await this.dropSource(vol.id, section)
    })
  }

  /** The backend directory a destination host's bytes go to: its backend's, else the volume's own. */
  private sectionFor(destination: string, vol: VolumeRecord): string {
    const named = this.driver.find(sectionOfHost(destination))
    return named ? named.key : this.driver.of(sectionOfHost(vol.host)).key
  }

  /** After a move, the copies in other backends' directories go (the row names the destination). */
  private async dropSource(id: string, section: string): Promise<void> {
    await this.driver
      .deleteVolumeExcept(id, section)
      .catch((err) => this.logger.warn({ err, volume: id }, 'the source of a moved volume was not removed'))
  }

  /**
   * A retype with migration_policy on-demand: the volume (available) goes `retyping`
   * while its bytes move into a fresh file (in `to`'s backend, which then gets the new
   * type and host with the status), then back; migration_status tells how it went.
   */
  async moveForRetype(vol: VolumeRecord, to?: { type: TypeRecord; destination: Placement }): Promise<void> {
    if (
      !(await this.repo.update(
        vol.id,
        { status: 'retyping', previous_status: vol.status, migration_status: 'migrating' },
        ['available'],
      ))
    )
      return
    const section = to ? to.destination.section : this.driver.of(sectionOfHost(vol.host)).key
    void this.tasks.spawn(`retype move ${vol.id}`, async () => {
      const ok = await this.copyBytes(vol, section)
      const moved =
        ok && to
          ? {
              host: to.destination.host,
              volume_type_id: to.type.id,
              multiattach: /^(<is>\s*)?true$/i.test(to.type.extra_specs.multiattach?.trim() ?? '')
                ? 1
                : vol.multiattach,
            }
          : {}
      await this.repo.update(
        vol.id,
        { status: 'available', migration_status: ok ? 'success' : 'error', ...moved },
        ['retyping'],
      )
      if (ok) await this.dropSource(vol.id, section)
    })
  }

  /**
   * Copies a volume's bytes into a fresh file of `section`'s directory (replacing the
   * old one when that is where it is); false (logged) on failure.
   */
  async copyBytes(vol: VolumeRecord, section: string): Promise<boolean> {
    try {
      await this.driver.createFrom(vol.id, this.driver.volumePath(vol.id), vol.size, section)
      return true
    } catch (err) {
      this.logger.error({ err, volume: vol.id }, 'volume migration copy failed')
      return false
    }
  }

  /**
   * os-migrate_volume_completion: the migration of `vol` to `newVolume` ends; with
   * `error`, the new volume is left and the source stays. Upstream's manager swaps the
   * two volumes' identities; here the source keeps its id, takes the new volume's bytes
   * and host, and the new volume goes. The id kept is returned.
   */
  async complete(vol: VolumeRecord, newVolume: VolumeRecord, error: boolean): Promise<string> {
    if (error) {
      await this.repo.update(vol.id, { migration_status: 'error' })
      return vol.id
    }
    if (newVolume.id === vol.id) throw new InvalidVolume('The new volume must differ from the source.')
    if (newVolume.attachments.length) throw new InvalidVolume('The new volume is attached; detach it first.')
    const section = this.sectionFor(newVolume.host ?? '', vol)
    await this.driver.createFrom(vol.id, this.driver.volumePath(newVolume.id), newVolume.size, section)
    await this.repo.update(vol.id, {
      migration_status: 'success',
      size: newVolume.size,
      host: newVolume.host,
    })
    await this.dropSource(vol.id, section)
    await this.driver.deleteVolume(newVolume.id)
    await this.repo.delete(newVolume.id)
    return vol.id
  }

  /** cinder-manage volume update_host; how many volumes moved. */
  async updateHost(from: string, to: string): Promise<number> {
    if (!from || !to) throw new InvalidInput('currenthost and newhost must both be given.')
    if (from.includes('#') || to.includes('#'))
      throw new InvalidInput('Hosts are given as host@backend, without a pool.')
    if (!(await this.volumeHosts()).includes(to))
      throw new InvalidInput(`The new host ${to} is not an enabled volume service (cinder-volume) host.`)
    return this.repo.moveHost(from, to)
  }
}
