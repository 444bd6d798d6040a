/**
 * Private signing keys on local disk (Keystone's `jws_private_key_repository`): one
 * JWK file per key id, readable by the owner only. Only processes that issue tokens
 * need them; the public halves live in the database.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const SUFFIX = '.private.jwk'

export class TokenPrivateKeysRepo {
  constructor(private readonly dir: string) {}

  async save(kid: string, jwk: object): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await writeFile(join(this.dir, `${safe(kid)}${SUFFIX}`), JSON.stringify(jwk), { mode: 0o600 })
  }

  async load(kid: string): Promise<object | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, `${safe(kid)}${SUFFIX}`), 'utf8')) as object
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw e
    }
  }

  async kids(): Promise<string[]> {
    try {
      return (await readdir(this.dir))
        .filter((f) => f.endsWith(SUFFIX))
        .map((f) => f.slice(0, -SUFFIX.length))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw e
    }
  }

  async remove(kid: string): Promise<void> {
    await rm(join(this.dir, `${safe(kid)}${SUFFIX}`), { force: true })
  }
}

function safe(kid: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(kid)) throw new Error(`invalid key id ${kid}`)
  return kid
}
