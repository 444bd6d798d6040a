/**
 * The JWS key ring: ES256 key pairs, as Keystone's JWS token provider.
 *
 * - The public half of every key lives in the database, so every process sharing it
 *   validates every token. Public keys are imported once and cached by `kid`; an
 *   unknown `kid` (a key another process just made) reloads them, at most once a second.
 * - The private half stays with the process that issues tokens (a key file under the
 *   data directory). Each issuing host signs with its own current key.
 * - Rotation makes a new key the signer and retires the old one; a retired key still
 *   validates until every token it signed has expired, then it is deleted.
 * - Rotation may happen in another process on the same data directory (`cloudlet token
 *   rotate` beside a running cloud, or a sibling API worker): before signing, at most
 *   once a second, an issuer whose key was retired switches to the newest active key it
 *   holds the private half of.
 */
import { randomBytes } from 'node:crypto'
import {
  CompactSign,
  type CryptoKey,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'
import type { TokenKeysRepo } from '../storage/token-keys.repo.js'
import type { TokenPrivateKeysRepo } from '../storage/token-private-keys.repo.js'

const ALG = 'ES256'
type Key = CryptoKey | Uint8Array
const RELOAD_INTERVAL_MS = 1000
const SIGNER_CHECK_INTERVAL_MS = 1000

export interface KeyRingOptions {
  keys: TokenKeysRepo
  /** Where private keys live; without it the ring only validates. */
  privateKeys?: TokenPrivateKeysRepo
  /** Longest time a token may still validate (expiration + allow_expired_window), ms. */
  maxTokenLifeMs: number
  now?: () => number
}

export class KeyRing {
  private readonly publicKeys = new Map<string, Key>()
  private signer: { kid: string; key: Key } | undefined
  private lastLoad = 0
  private loading: Promise<void> | undefined
  private waiting: Promise<void> | undefined
  private lastSignerCheck = 0
  private checkingSigner: Promise<void> | undefined
  private readonly now: () => number

  constructor(private readonly opts: KeyRingOptions) {
    this.now = opts.now ?? Date.now
  }

  /** Loads public keys, and (for issuers) finds this host's current private key or makes one. */
  async init(): Promise<void> {
    this.lastSignerCheck = this.now()
    await this.reload()
    const store = this.opts.privateKeys
    if (!store) return
    const rows = await this.opts.keys.list()
    const active = new Set(rows.filter((r) => r.retiredAt === null).map((r) => r.kid))
    const byAge = rows.filter((r) => active.has(r.kid)).reverse()
    const local = new Set(await store.kids())
    for (const row of byAge) {
      if (!local.has(row.kid)) continue
      const jwk = await store.load(row.kid)
      if (jwk) {
        this.signer = { kid: row.kid, key: await importJWK(jwk as JWK, ALG) }
        return
      }
    }
    await this.rotate()
  }

  /** Makes a new signing key; the previous one (if any) is retired but still validates. */
  async rotate(): Promise<string> {
    const store = this.opts.privateKeys
    if (!store) throw new Error('this process holds no private key repository; it cannot sign tokens')
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true })
    const kid = randomBytes(16).toString('hex')
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' }
    await store.save(kid, { ...(await exportJWK(privateKey)), kid, alg: ALG })
    const now = this.now()
    await this.opts.keys.add({ kid, algorithm: ALG, publicJwk: JSON.stringify(publicJwk), createdAt: now })
    const previous = this.signer
    this.publicKeys.set(kid, publicKey)
    this.signer = { kid, key: privateKey }
    if (previous) await this.opts.keys.retire(previous.kid, now)
    await this.prune()
    return kid
  }

  /** Deletes keys retired longer ago than any token can live. */
  async prune(): Promise<string[]> {
    const gone = await this.opts.keys.pruneRetiredBefore(this.now() - this.opts.maxTokenLifeMs)
    for (const kid of gone) {
      this.publicKeys.delete(kid)
      await this.opts.privateKeys?.remove(kid)
    }
    return gone
  }

  get signingKid(): string | undefined {
    return this.signer?.kid
  }

  async sign(payload: object): Promise<string> {
    await this.followRotationIfDue()
    const signer = this.signer
    if (!signer) throw new Error('no signing key: this process only validates tokens')
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: signer.kid })
      .sign(signer.key)
  }

  /** Verifies the signature and returns the payload bytes; undefined for anything not ours or not intact. */
  async verify(token: string): Promise<Uint8Array | undefined> {
    let kid: string | undefined
    try {
      const header = decodeProtectedHeader(token)
      if (header.alg !== ALG || typeof header.kid !== 'string') return undefined
      kid = header.kid
    } catch {
      return undefined
    }
    let key = this.publicKeys.get(kid)
    if (!key) {
      await this.reloadIfDue()
      key = this.publicKeys.get(kid)
      if (!key) return undefined
    }
    try {
      const { payload } = await compactVerify(token, key, { algorithms: [ALG] })
      return payload
    } catch {
      return undefined
    }
  }

  /**
   * Switches to a newer key when another process rotated ours out: our signer is retired
   * (or gone) and a newer active key's private half is in our store. NOTE: checked on
   * the signing path rather than by a timer, so a process that only validates never
   * queries, and one that signs notices a rotation before its next token.
   */
  private async followRotationIfDue(): Promise<void> {
    const store = this.opts.privateKeys
    if (!store || !this.signer || this.now() - this.lastSignerCheck < SIGNER_CHECK_INTERVAL_MS) return
    this.lastSignerCheck = this.now()
    this.checkingSigner ??= (async () => {
      try {
        const rows = await this.opts.keys.list()
        const mine = rows.find((r) => r.kid === this.signer?.kid)
        if (mine && mine.retiredAt === null) return
        const local = new Set(await store.kids())
        const newest = rows.filter((r) => r.retiredAt === null && local.has(r.kid)).at(-1)
        const jwk = newest && (await store.load(newest.kid))
        if (!newest || !jwk) return
        this.publicKeys.set(
          newest.kid,
          await importJWK(JSON.parse(newest.publicJwk) as JWK, newest.algorithm),
        )
        this.signer = { kid: newest.kid, key: await importJWK(jwk as JWK, ALG) }
      } finally {
        this.checkingSigner = undefined
      }
    })()
    return this.checkingSigner
  }

  /**
   * NOTE: reloads at most once a second however many unknown kids arrive (forged
   * headers cannot hammer the database); a token from a key made a moment ago waits
   * for the next reload instead of failing.
   */
  private async reloadIfDue(): Promise<void> {
    if (this.loading) return this.loading
    const wait = this.lastLoad + RELOAD_INTERVAL_MS - this.now()
    if (wait > 0) {
      this.waiting ??= new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => {
        this.waiting = undefined
        return this.reload()
      })
      return this.waiting
    }
    return this.reload()
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.opts.keys.list()
        for (const row of rows) {
          if (this.publicKeys.has(row.kid)) continue
          this.publicKeys.set(row.kid, await importJWK(JSON.parse(row.publicJwk) as JWK, row.algorithm))
        }
        this.lastLoad = this.now()
      } finally {
        this.loading = undefined
      }
    })()
    return this.loading
  }
}
