/**
 * The volume backends this process runs (`[DEFAULT] enabled_backends`), each a file
 * driver over its own directory. A volume's file lives in the directory of the backend
 * its host names (`host@<backend>#pool`), and its snapshots beside it. Creates name the
 * backend; every other call finds the file where it is (a stat per directory). A move
 * between backends copies into the destination (through `.part`), and the caller
 * removes the source only once the database names the destination: a crash in between
 * leaves the file the database does not name, which `sweep` removes at the next start.
 */
import { existsSync } from 'node:fs'
import { readdir, rename, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { FileDriver } from './file-driver.js'

/** The drivers a backend section names (`volume_driver`), as upstream spells them. */
export type DriverKind = 'file' | 'rbd'

export interface BackendSpec {
  /** The backend's section (its item in enabled_backends), e.g. `file`. */
  section: string
  /** volume_backend_name. */
  backendName: string
  /** The pool: the backend name for a file backend, one of `rbd_pools` for an RBD one. */
  pool: string
  /**
   * Where the pool's files are as other code names it: the section for a backend of one
   * pool, `<section>#<pool>` for a pool of a pool-based backend.
   */
  key: string
  kind: DriverKind
  dir: string
  reservedPercentage: number
  maxOverSubscriptionRatio: number
  totalCapacityGb?: number
  filterFunction?: string
  goodnessFunction?: string
}

export interface Backend extends BackendSpec {
  driver: FileDriver
}

/**
 * The location part of a volume host `host@backend#pool`: `backend#pool` (or `backend`
 * without a pool); undefined without `@`. `FileBackends.of` resolves it to a pool.
 */
export function sectionOfHost(host: string | null | undefined): string | undefined {
  const at = host?.split('@')[1]
  return at || undefined
}

export class FileBackends {
  /** Every pool of every backend, in enabled_backends order. */
  readonly list: readonly Backend[]

  constructor(specs: readonly BackendSpec[]) {
    if (!specs.length) throw new Error('no volume backend')
    this.list = specs.map((s) => ({ ...s, driver: new FileDriver(s.dir) }))
  }

  get primary(): Backend {
    return this.list[0]!
  }

  /** The backend sections, each once. */
  get sections(): string[] {
    return [...new Set(this.list.map((b) => b.section))]
  }

  /**
   * The pool a location names (a key, `section#pool` or a bare section: its first pool);
   * undefined when none does.
   */
  find(location: string | undefined): Backend | undefined {
    if (!location) return undefined
    const section = location.split('#')[0]
    return (
      this.list.find((b) => b.key === location) ??
      this.list.find((b) => `${b.section}#${b.pool}` === location) ??
      this.list.find((b) => b.section === section)
    )
  }

  /** The pool of a location; the first one for an unknown or missing location. */
  of(location: string | undefined): Backend {
    return this.find(location) ?? this.primary
  }

  async start(): Promise<void> {
    for (const b of this.list) await b.driver.start()
  }

  /** The driver holding a file named `name` (`volume-<id>`, `snapshot-<id>`); the first one when none does. */
  private holding(name: string): FileDriver {
    for (const b of this.list) if (existsSync(join(b.dir, name))) return b.driver
    return this.primary.driver
  }

  volumePath(id: string): string {
    return this.holding(`volume-${id}`).volumePath(id)
  }

  snapshotPath(id: string): string {
    return this.holding(`snapshot-${id}`).snapshotPath(id)
  }

  createVolume(id: string, sizeGb: number, section?: string): Promise<void> {
    return this.of(section).driver.createVolume(id, sizeGb)
  }

  createWith(
    id: string,
    data: AsyncIterable<Buffer | Uint8Array>,
    sizeGb: number,
    section?: string,
  ): Promise<void> {
    return this.of(section).driver.createWith(id, data, sizeGb)
  }

  /** A new volume in `section` (else where a volume of this id already is) holding `source`'s bytes. */
  createFrom(id: string, source: string, sizeGb: number, section?: string): Promise<void> {
    const driver = section ? this.of(section).driver : this.holding(`volume-${id}`)
    return driver.createFrom(id, source, sizeGb)
  }

  /** A snapshot beside its volume. */
  snapshot(volumeId: string, snapshotId: string): Promise<void> {
    return this.holding(`volume-${volumeId}`).snapshot(volumeId, snapshotId)
  }

  revert(volumeId: string, snapshotId: string): Promise<void> {
    return this.holding(`volume-${volumeId}`).revert(volumeId, snapshotId)
  }

  extend(id: string, sizeGb: number): Promise<void> {
    return this.holding(`volume-${id}`).extend(id, sizeGb)
  }

  async deleteVolume(id: string): Promise<void> {
    for (const b of this.list) await b.driver.deleteVolume(id)
  }

  async deleteSnapshot(id: string): Promise<void> {
    for (const b of this.list) await b.driver.deleteSnapshot(id)
  }

  /** Removes the volume's file from every pool but `keep`'s (the end of a move). */
  async deleteVolumeExcept(id: string, keep: string): Promise<void> {
    const kept = this.of(keep)
    for (const b of this.list) if (b !== kept) await b.driver.deleteVolume(id)
  }

  /**
   * Renames a file of a backend's directory (manage and unmanage keep the bytes where
   * they are); refuses to overwrite.
   */
  async renameIn(section: string | undefined, from: string, to: string): Promise<void> {
    const dir = this.of(section).dir
    if (basename(from) !== from || basename(to) !== to) throw new Error('not a file of the backend')
    if (existsSync(join(dir, to))) throw new Error(`${to} exists`)
    await rename(join(dir, from), join(dir, to))
  }

  /** Files directly in a backend's directory with their sizes in bytes (no `.part`). */
  async files(section: string | undefined): Promise<{ name: string; size: number }[]> {
    const b = this.of(section)
    const out: { name: string; size: number }[] = []
    for (const name of (await readdir(b.dir)).sort()) {
      if (name.endsWith('.part')) continue
      const st = await stat(join(b.dir, name)).catch(() => undefined)
      if (st?.isFile()) out.push({ name, size: st.size })
    }
    return out
  }

  /**
   * Per backend: files of volumes and snapshots its database rows do not place there,
   * and unfinished copies, removed (`owner` maps an id to its backend's section; files
   * in `keep` are unmanaged files an admin left on the backend).
   */
  async sweep(known: {
    volumes: ReadonlyMap<string, string>
    snapshots: ReadonlyMap<string, string>
    keep?: ReadonlySet<string>
  }): Promise<string[]> {
    const removed: string[] = []
    for (const b of this.list) {
      const here = (m: ReadonlyMap<string, string>) =>
        new Set([...m].filter(([, s]) => this.of(s) === b).map(([id]) => id))
      const gone = await b.driver.sweep({
        volumes: here(known.volumes),
        snapshots: here(known.snapshots),
        keep: new Set(
          [...(known.keep ?? [])]
            .filter((k) => k.startsWith(`${b.key}/`))
            .map((k) => k.slice(b.key.length + 1)),
        ),
      })
      removed.push(...gone.map((n) => (this.list.length > 1 ? `${b.key}/${n}` : n)))
    }
    return removed
  }

  capacity(section?: string): Promise<{ total: number; free: number }> {
    const b = this.of(section)
    return b.driver.capacity(b.totalCapacityGb)
  }

  /**
   * A pool's space as a thin pool reports it: provisioned (the sizes of its volume and
   * snapshot files, as Ceph's image sizes) and used (the blocks they hold), in GiB.
   */
  usage(location: string): Promise<{ provisionedGb: number; usedGb: number }> {
    return this.of(location).driver.usage()
  }
}
