/**
 * The auth half's storage on SQLite, PostgreSQL and MariaDB: the migration, signing
 * keys, revocation events, and two processes sharing one database (a key made or an
 * event written by one is honoured by the other).
 */
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import { migrateToLatest } from '../../../kernel/db/index.js'
import { withEachDialect } from '../../../kernel/db/testing.js'
import { TokenService } from '../domain/tokens.js'
import { KeyRing } from '../domain/tokens-keys.js'
import type { TokenClaims } from '../domain/tokens-model.js'
import { RevocationList } from '../domain/tokens-revocations.js'
import { authMigrations } from '../storage/migrations/auth-0500-tokens.js'
import { TokenKeysRepo } from '../storage/token-keys.repo.js'
import { TokenPrivateKeysRepo } from '../storage/token-private-keys.repo.js'
import { TokenRevocationsRepo } from '../storage/token-revocations.repo.js'
import type { TokenDB } from '../storage/token-schema.js'

const LIFE_MS = 60_000

async function processOn(db: Kysely<TokenDB>, keyDir: string) {
  const keys = new KeyRing({
    keys: new TokenKeysRepo(db),
    privateKeys: new TokenPrivateKeysRepo(keyDir),
    maxTokenLifeMs: LIFE_MS,
  })
  await keys.init()
  const revocations = new RevocationList({ repo: new TokenRevocationsRepo(db), maxTokenLifeMs: LIFE_MS })
  await revocations.refresh(true)
  const tokens = new TokenService({ keys, revocations, expirationSeconds: 60, allowExpiredWindowSeconds: 0 })
  return { keys, revocations, tokens }
}

const draft = (sub: string, project?: string): Omit<TokenClaims, 'iat' | 'exp' | 'audit_ids'> => ({
  sub,
  methods: ['password'],
  user: { name: sub, domain: { id: 'default', name: 'Default' }, password_expires_at: null },
  ...(project
    ? {
        project: { id: project, name: project, domain: { id: 'default', name: 'Default' }, is_domain: false },
        roles: [{ id: 'r1', name: 'member' }],
      }
    : {}),
})

describe('auth storage on every dialect', () => {
  it('migrates, stores keys and events, and shares them between processes', async () => {
    await withEachDialect<TokenDB>(async (db, dialect) => {
      await migrateToLatest(db as Kysely<unknown>, 'identity', authMigrations)
      const repo = new TokenRevocationsRepo(db)
      assert.equal(await repo.stamp(), '0:0', dialect)

      // Two hosts, each with its own private key directory.
      const a = await processOn(db, mkdtempSync(join(tmpdir(), 'keys-a-')))
      const b = await processOn(db, mkdtempSync(join(tmpdir(), 'keys-b-')))
      assert.notEqual(a.keys.signingKid, b.keys.signingKid, dialect)

      const fromA = await a.tokens.issue(draft('u1', 'p1'))
      const fromB = await b.tokens.issue(draft('u2', 'p1'))
      // b learns a's key from the database (a was made first) and a learns b's on an unknown kid.
      assert.equal((await b.tokens.validate(fromA.id)).user_id, 'u1', dialect)
      assert.equal((await a.tokens.validate(fromB.id)).user_id, 'u2', dialect)

      // A revocation written by a is honoured by b once it polls.
      await a.revocations.record({
        audit_id: fromA.claims.audit_ids[0],
        issued_before: new Date(fromA.issuedAtMs).toISOString(),
      })
      await b.revocations.refresh(true)
      await assert.rejects(b.tokens.validate(fromA.id), { status: 401 }, dialect)
      await assert.rejects(b.tokens.check(fromA.id), { status: 404 }, dialect)
      assert.equal((await b.tokens.validate(fromB.id)).user_id, 'u2')

      // Project-wide event: every token on p1 issued before it dies, later ones live.
      await b.revocations.record({ project_id: 'p1', issued_before: new Date().toISOString() })
      await a.revocations.refresh(true)
      await assert.rejects(a.tokens.validate(fromB.id), { status: 401 }, dialect)
      await new Promise((r) => setTimeout(r, 5))
      const later = await a.tokens.issue(draft('u2', 'p1'))
      assert.equal((await b.tokens.validate(later.id)).project_id, 'p1', dialect)

      const events = await repo.list()
      assert.equal(events.length, 2, dialect)
      assert.equal(typeof events[0]!.issuedBefore, 'number')

      // Rotation: the new key signs, the old one still validates.
      const oldKid = a.keys.signingKid
      await a.keys.rotate()
      assert.notEqual(a.keys.signingKid, oldKid)
      const keys = await new TokenKeysRepo(db).list()
      assert.equal(keys.length, 3, dialect)
      assert.ok(keys.find((k) => k.kid === oldKid)?.retiredAt, dialect)
      const afterRotate = await a.tokens.issue(draft('u3'))
      assert.equal((await b.tokens.validate(afterRotate.id)).user_id, 'u3', dialect)
      assert.equal((await a.tokens.validate(later.id)).user_id, 'u2', dialect)

      // Pruning removes retired keys and events once no token can outlive them.
      assert.deepEqual(await new TokenKeysRepo(db).pruneRetiredBefore(Date.now() + 1), [oldKid])
      assert.equal(await repo.pruneRevokedBefore(Date.now() + 1), 2, dialect)
      assert.equal((await repo.list()).length, 0)
    })
  })
})

describe('a restarted issuer', () => {
  it('keeps signing with its key from the key directory', async () => {
    await withEachDialect<TokenDB>(
      async (db) => {
        await migrateToLatest(db as Kysely<unknown>, 'identity', authMigrations)
        const dir = mkdtempSync(join(tmpdir(), 'keys-'))
        const first = await processOn(db, dir)
        const again = await processOn(db, dir)
        assert.equal(again.keys.signingKid, first.keys.signingKid)
      },
      ['sqlite'],
    )
  })
})

describe('a rotation made by another process on the same data directory', () => {
  it('is followed by a running issuer before its next token, within a second', async () => {
    await withEachDialect<TokenDB>(
      async (db) => {
        await migrateToLatest(db as Kysely<unknown>, 'identity', authMigrations)
        const dir = mkdtempSync(join(tmpdir(), 'keys-'))
        let clock = Date.now()
        const ring = (now: () => number) =>
          new KeyRing({
            keys: new TokenKeysRepo(db),
            privateKeys: new TokenPrivateKeysRepo(dir),
            maxTokenLifeMs: LIFE_MS,
            now,
          })
        const running = ring(() => clock)
        await running.init()
        const before = running.signingKid
        // `cloudlet token rotate`: a short-lived process on the same key directory.
        const admin = ring(Date.now)
        await admin.init()
        assert.equal(admin.signingKid, before)
        const made = await admin.rotate()

        // Within the second, the running issuer has not looked yet.
        await running.sign({ n: 1 })
        assert.equal(running.signingKid, before)
        clock += 1001
        const token = await running.sign({ n: 2 })
        assert.equal(running.signingKid, made)
        assert.ok(await admin.verify(token), 'the new key signed it')
        // Nothing changes while its key stays active.
        clock += 5000
        await running.sign({ n: 3 })
        assert.equal(running.signingKid, made)
      },
      ['sqlite'],
    )
  })
})
