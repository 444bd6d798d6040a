/**
 * The parallel hashers (store/hash-pool.ts) give the same digests as hashing inline,
 * whatever the chunking: empty data, chunks smaller and larger than a ring slot, data
 * that wraps the ring many times, and concurrent sessions sharing the two threads.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { HashSession, SLOT_BYTES, SLOTS } from '../store/hash-pool.js'

async function hashInSession(data: Buffer, chunk: number) {
  const s = new HashSession()
  for (let i = 0; i < data.length; i += chunk) await s.update(data.subarray(i, i + chunk))
  return s.digest()
}

const expected = (data: Buffer) => ({
  md5: createHash('md5').update(data).digest('hex'),
  sha512: createHash('sha512').update(data).digest('hex'),
})

describe('parallel md5 + sha512', () => {
  const cases: [string, number, number][] = [
    ['empty', 0, 1],
    ['a few bytes', 5, 5],
    ['exactly one slot', SLOT_BYTES, 65536],
    ['wrapping the ring, small chunks', SLOT_BYTES * (SLOTS * 2 + 1) + 17, 65536],
    ['chunks larger than a slot', SLOT_BYTES * 3 + 1, Math.floor(SLOT_BYTES * 2.5)],
    ['one chunk larger than the ring', SLOT_BYTES * (SLOTS + 3), SLOT_BYTES * (SLOTS + 3)],
  ]
  for (const [name, size, chunk] of cases) {
    it(name, async () => {
      const data = randomBytes(size)
      assert.deepEqual(await hashInSession(data, chunk), expected(data))
    })
  }

  it('concurrent sessions do not mix their data', async () => {
    const inputs = [randomBytes(SLOT_BYTES * 5 + 3), randomBytes(SLOT_BYTES * 2), randomBytes(1000)]
    const got = await Promise.all(inputs.map((d) => hashInSession(d, 300_000)))
    assert.deepEqual(got, inputs.map(expected))
  })

  it('an aborted session does not disturb the next', async () => {
    const s = new HashSession()
    s.update(randomBytes(SLOT_BYTES * 2))
    s.abort()
    const data = randomBytes(12345)
    assert.deepEqual(await hashInSession(data, 4096), expected(data))
  })
})
