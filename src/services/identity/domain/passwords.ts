/**
 * Password and secret hashing: bcrypt at `[identity] password_hash_rounds` (Keystone's
 * default), or scrypt (`$scrypt$<log2N>$<salt>$<hash>`), both verified in constant time.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'

// NOTE: the bcrypt package ships no types; we describe the two calls we use.
const bcrypt = createRequire(import.meta.url)('bcrypt') as {
  hash(data: string, rounds: number): Promise<string>
  compare(data: string, hash: string): Promise<boolean>
}

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>

export interface Hasher {
  hash(secret: string): Promise<string>
  verify(secret: string, hash: string): Promise<boolean>
}

/** NOTE: bcrypt looks only at the first 72 bytes; longer secrets are pre-hashed so no byte is ignored. */
function bcryptInput(secret: string): string {
  return Buffer.byteLength(secret) > 72
    ? `sha256:${createHash('sha256').update(secret).digest('base64')}`
    : secret
}

export function createHasher(algorithm: 'bcrypt' | 'scrypt', rounds: number): Hasher {
  return {
    async hash(secret) {
      if (algorithm === 'bcrypt') return bcrypt.hash(bcryptInput(secret), rounds)
      const logN = Math.min(Math.max(rounds, 10), 20)
      const salt = randomBytes(16)
      const key = await scrypt(secret, salt, 32, {
        N: 2 ** logN,
        r: 8,
        p: 1,
        maxmem: 256 * 2 ** logN * 8 * 2,
      })
      return `$scrypt$${logN}$${salt.toString('base64')}$${key.toString('base64')}`
    },
    async verify(secret, hash) {
      if (hash.startsWith('$scrypt$')) {
        const [, , logN, salt, key] = hash.split('$')
        const n = Number(logN)
        const expected = Buffer.from(key ?? '', 'base64')
        const got = await scrypt(secret, Buffer.from(salt ?? '', 'base64'), expected.length || 32, {
          N: 2 ** n,
          r: 8,
          p: 1,
          maxmem: 256 * 2 ** n * 8 * 2,
        })
        return got.length === expected.length && timingSafeEqual(got, expected)
      }
      try {
        return await bcrypt.compare(bcryptInput(secret), hash)
      } catch {
        return false
      }
    },
  }
}
