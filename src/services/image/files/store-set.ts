/**
 * The image stores: Glance's `[DEFAULT] enabled_backends` (`id:type`, each file store in
 * its own directory: its section's `filesystem_store_datadir`, or `<base>/<id>`), or the
 * one store `[glance_store] default_store` names when none are configured. Locations are
 * `file://` URLs; a URL says which store holds it, so a location read, removal or sweep
 * goes to the right directory. `http` locations (the read-only http store) are read
 * through the guarded fetch, never written.
 */
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { DataFileOpener } from './data-file.js'
import { FileStore } from './file-store.js'

/** One configured store: an `enabled_backends` item and what its section says. */
export interface StoreSpec {
  id: string
  type: 'file' | 'http'
  /** A file store's directory; unset: `<base>/<id>`. */
  dir?: string
  description?: string
}

export interface StoreInfo {
  id: string
  type: 'file' | 'http'
  description: string
  default: boolean
  readOnly: boolean
}

/** Reads an http(s) location (the guarded fetch), for the read-only http store. */
export type HttpReader = (url: string, range?: { start: number; end: number }) => Promise<Readable>

export class StoreSet {
  private readonly files = new Map<string, FileStore>()
  readonly infos: StoreInfo[] = []
  /** True when `enabled_backends` configured several stores (the multi-store API). */
  readonly multi: boolean

  constructor(
    parsed: readonly StoreSpec[],
    defaultBackend: string | undefined,
    singleId: string,
    baseDir: string,
    opener?: DataFileOpener,
  ) {
    this.multi = parsed.length > 0
    if (!this.multi) {
      this.files.set(singleId, new FileStore(baseDir, opener))
      this.infos.push({ id: singleId, type: 'file', description: singleId, default: true, readOnly: false })
      return
    }
    const def = defaultBackend ?? parsed.find((b) => b.type === 'file')?.id
    if (!def || !parsed.some((b) => b.id === def && b.type === 'file'))
      throw new Error(
        `[glance_store] default_backend must name a file store of [DEFAULT] enabled_backends (got ${def})`,
      )
    const dirs = new Map<string, string>()
    for (const b of parsed) {
      if (b.type !== 'file') continue
      const dir = resolve(b.dir ?? join(baseDir, b.id))
      // NOTE: a store sweeps its directory of files no location names: two stores sharing
      // one (or one inside the other) would delete each other's images.
      const clash = [...dirs].find(([, other]) => overlaps(dir, other))
      if (clash)
        throw new Error(
          `image stores ${clash[0]} and ${b.id} share a directory (${clash[1]}, ${dir}); give each its own [<id>] filesystem_store_datadir`,
        )
      dirs.set(b.id, dir)
    }
    for (const b of parsed) {
      const dir = dirs.get(b.id)
      if (dir) this.files.set(b.id, new FileStore(dir, opener))
      this.infos.push({
        id: b.id,
        type: b.type,
        description: b.description ?? `${b.type} store ${b.id}`,
        default: b.id === def,
        readOnly: b.type !== 'file',
      })
    }
  }

  get defaultId(): string {
    return this.infos.find((s) => s.default)!.id
  }

  /** Stores data can be written to, default first. */
  get writable(): string[] {
    const ids = this.infos.filter((s) => !s.readOnly).map((s) => s.id)
    return [this.defaultId, ...ids.filter((id) => id !== this.defaultId)]
  }

  has(id: string): boolean {
    return this.infos.some((s) => s.id === id)
  }

  /** A writable store by id; undefined when it does not exist or is read-only. */
  file(id: string): FileStore | undefined {
    return this.files.get(id)
  }

  get default(): FileStore {
    return this.files.get(this.defaultId)!
  }

  get all(): FileStore[] {
    return [...this.files.values()]
  }

  /** The file store a `file://` URL lies in, with its id. */
  owner(url: string): { id: string; store: FileStore } | undefined {
    if (!url.startsWith('file:')) return undefined
    let path: string
    try {
      path = fileURLToPath(url)
    } catch {
      return undefined
    }
    for (const [id, store] of this.files) if (path.startsWith(`${store.dir}/`)) return { id, store }
    return undefined
  }

  /** Opens the data at a location: a file store's file, or an http URL through `http`. */
  async read(
    url: string,
    http: HttpReader | undefined,
    range?: { start: number; end: number },
  ): Promise<Readable> {
    const owner = this.owner(url)
    if (owner) return owner.store.read(url, range)
    if (/^https?:/i.test(url) && http) return http(url, range)
    throw new Error(`no store holds ${url}`)
  }

  /** Removes a file location's data (http locations are not ours to remove). */
  async remove(url: string): Promise<void> {
    await this.owner(url)?.store.remove(url)
  }

  /** Sweeps every file store of files no live location names. */
  async sweep(live: ReadonlySet<string>, ownsTemp?: (name: string) => boolean): Promise<string[]> {
    const removed: string[] = []
    for (const store of this.files.values()) removed.push(...(await store.sweep(live, ownsTemp)))
    return removed
  }
}

/** True when one directory is the other or lies inside it. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)
}

/**
 * The image stores of `[DEFAULT] enabled_backends`: `fast:file, cheap:file` → ids and
 * types. Items without a type are the volume service's backends (Cinder's form of the
 * option) and are skipped; a type other than file or http is refused.
 */
export function parseBackends(items: readonly string[]): { id: string; type: 'file' | 'http' }[] {
  const out: { id: string; type: 'file' | 'http' }[] = []
  for (const item of items) {
    if (!item.includes(':')) continue
    const [id, type] = item.split(':').map((s) => s.trim())
    if (!id || !/^[A-Za-z0-9_-]+$/.test(id) || (type !== 'file' && type !== 'http'))
      throw new Error(`[DEFAULT] enabled_backends: "${item}" is not <id>:file or <id>:http`)
    // NOTE: a store's section is its id lowercased, as section headers are.
    if (out.some((b) => b.id.toLowerCase() === id.toLowerCase()))
      throw new Error(`[DEFAULT] enabled_backends: store ${id} is named twice`)
    out.push({ id, type })
  }
  return out
}
