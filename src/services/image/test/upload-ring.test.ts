/**
 * The upload ring (files/upload-ring.ts) and its data file (files/data-file.ts): the
 * digests equal hashing inline and the file holds exactly the bytes sent, whatever the
 * chunking (empty data, chunks smaller and larger than a slot, data that wraps the ring
 * many times), on a direct and on a buffered file; sessions sharing the hashing threads
 * do not mix; a failing write fails the upload, and an abort waits for the writes in
 * flight before the file may be closed.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { type DataFile, type DataFileOpener, openBufferedDataFile, openDataFile } from '../files/data-file.js'
import { SLOT_BYTES, SLOTS, UploadRing } from '../files/upload-ring.js'

const dir = mkdtempSync(join(tmpdir(), 'cloudlet-ring-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

/** Streams `data` in `chunk`-sized pieces through a ring onto a file opened by `opener`. */
async function upload(opener: DataFileOpener, data: Buffer, chunk: number) {
  const path = join(dir, `f${n++}`)
  const file = await opener(path)
  const ring = await UploadRing.open(file)
  for (let i = 0; i < data.length; i += chunk) await ring.update(data.subarray(i, i + chunk))
  const result = await ring.finish()
  await file.finish(result.size)
  return { result, onDisk: readFileSync(path), direct: file.direct }
}

const expected = (data: Buffer) => ({
  size: data.length,
  md5: createHash('md5').update(data).digest('hex'),
  sha512: createHash('sha512').update(data).digest('hex'),
})

/** A file in memory whose writes can be held back or made to fail. */
class MemoryFile implements DataFile {
  readonly direct = false
  readonly writes: { position: number; length: number }[] = []
  data = Buffer.alloc(0)
  hold: Promise<void> | undefined
  failAt = Number.POSITIVE_INFINITY
  closed = false

  async alignIn(): Promise<number> {
    return 0
  }
  async write(bytes: Uint8Array, position: number): Promise<void> {
    const copy = Buffer.from(bytes)
    await this.hold
    if (this.writes.length >= this.failAt) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })
    assert.equal(this.closed, false, 'no write after close')
    this.writes.push({ position, length: copy.length })
    const grown = Buffer.alloc(Math.max(this.data.length, position + copy.length))
    this.data.copy(grown)
    copy.copy(grown, position)
    this.data = grown
  }
  async finish(): Promise<void> {
    this.closed = true
  }
  async close(): Promise<void> {
    this.closed = true
  }
}

describe('upload ring: md5 + sha512 and the file, in parallel', () => {
  const cases: [string, number, number][] = [
    ['empty', 0, 1],
    ['a few bytes', 5, 5],
    ['exactly one slot', SLOT_BYTES, 65536],
    ['one slot and a partial block', SLOT_BYTES + 4097, 65536],
    ['wrapping the ring, small chunks', SLOT_BYTES * (SLOTS * 2 + 1) + 17, 65536],
    ['chunks larger than a slot', SLOT_BYTES * 3 + 1, Math.floor(SLOT_BYTES * 2.5)],
    ['one chunk larger than the ring', SLOT_BYTES * (SLOTS + 3), SLOT_BYTES * (SLOTS + 3)],
  ]
  for (const [name, size, chunk] of cases) {
    it(`${name}: direct where the filesystem allows, and buffered`, async () => {
      const data = randomBytes(size)
      for (const opener of [openDataFile, openBufferedDataFile]) {
        const { result, onDisk } = await upload(opener, data, chunk)
        assert.deepEqual(result, expected(data))
        assert.equal(onDisk.length, data.length, 'the padding of the last direct write is cut')
        assert.ok(onDisk.equals(data))
      }
    })
  }

  it('takes the direct path where the filesystem opens files with O_DIRECT', async () => {
    const probe = join(dir, 'o-direct-probe')
    let supported = true
    try {
      closeSync(openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT))
      unlinkSync(probe)
    } catch {
      supported = false
    }
    const { direct } = await upload(openDataFile, randomBytes(SLOT_BYTES + 3), 65536)
    assert.equal(direct, supported)
    assert.equal((await upload(openBufferedDataFile, randomBytes(10), 10)).direct, false)
  })

  it('writes each slot once, at its place in the file', async () => {
    const file = new MemoryFile()
    const ring = await UploadRing.open(file)
    const data = randomBytes(SLOT_BYTES * 2 + 100)
    for (let i = 0; i < data.length; i += 70_000) await ring.update(data.subarray(i, i + 70_000))
    assert.deepEqual(await ring.finish(), expected(data))
    assert.deepEqual(
      file.writes.sort((a, b) => a.position - b.position),
      [
        { position: 0, length: SLOT_BYTES },
        { position: SLOT_BYTES, length: SLOT_BYTES },
        { position: 2 * SLOT_BYTES, length: 100 },
      ],
    )
    assert.ok(file.data.equals(data))
  })

  it('concurrent sessions do not mix their data', async () => {
    const inputs = [randomBytes(SLOT_BYTES * 5 + 3), randomBytes(SLOT_BYTES * 2), randomBytes(1000)]
    const got = await Promise.all(inputs.map((d) => upload(openDataFile, d, 300_000)))
    assert.deepEqual(
      got.map((g) => g.result),
      inputs.map(expected),
    )
    for (const [i, g] of got.entries()) assert.ok(g.onDisk.equals(inputs[i]!))
  })

  it('a failing write fails the upload', async () => {
    const file = new MemoryFile()
    file.failAt = 1
    const ring = await UploadRing.open(file)
    const data = randomBytes(SLOT_BYTES * (SLOTS + 4))
    await assert.rejects(async () => {
      for (let i = 0; i < data.length; i += 65536) await ring.update(data.subarray(i, i + 65536))
      await ring.finish()
    }, /EIO/)
  })

  it('an abort resolves only once no write is in flight', async () => {
    const file = new MemoryFile()
    let release!: () => void
    file.hold = new Promise((r) => {
      release = r
    })
    const ring = await UploadRing.open(file)
    ring.update(randomBytes(SLOT_BYTES * 2))
    let aborted = false
    const abort = ring.abort().then(() => {
      aborted = true
    })
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(aborted, false, 'abort waits for the held writes')
    release()
    await abort
    assert.equal(file.writes.length, 2)
  })

  it('an aborted session does not disturb the next', async () => {
    const ring = await UploadRing.open(new MemoryFile())
    ring.update(randomBytes(SLOT_BYTES * 2))
    await ring.abort()
    const data = randomBytes(12345)
    assert.deepEqual((await upload(openDataFile, data, 4096)).result, expected(data))
  })
})
