/**
 * The warm-up must exercise the real search and body paths: every query it runs finds
 * candidates over its synthetic state, and the whole warm-up completes.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCandidateRequest } from '../domain/candidate-request.js'
import { findCandidates } from '../domain/candidates.js'
import { candidatesBody } from '../handlers/views.js'
import { VERSIONS } from '../versions.js'
import { IdlePrimer, QUERIES, syntheticState, warmUpCandidates } from './warm-up.js'

describe('allocation candidates warm-up', () => {
  it('each warm-up query finds candidates and renders a body', () => {
    const s = syntheticState()
    for (const q of QUERIES) {
      const { creq, empty } = parseCandidateRequest(s, q, VERSIONS.max)
      assert.equal(empty, false, JSON.stringify(q))
      const found = findCandidates(s, creq)
      assert.ok(found.length > 0, `no candidates for ${JSON.stringify(q)}`)
      const body = JSON.parse(Buffer.concat(candidatesBody(s, found, creq, VERSIONS.max)).toString())
      assert.equal(body.allocation_requests.length, found.length)
    }
  })

  it('runs to completion', async () => {
    await warmUpCandidates()
  })
})

describe('idle primer', () => {
  const options = { maxCandidates: -1, randomize: false }

  // NOTE: the timers are node:test's mock timers, so a loaded machine cannot stretch a
  // 5 ms pause past the 30 ms quiet period.
  it('primes once after a burst of changes has been quiet, building the real state caches', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const s = syntheticState()
    let reads = 0
    let running: Promise<void> | undefined
    const primer = new IdlePrimer(
      async () => {
        reads++
        return s
      },
      options,
      30,
      0,
      (work) => (running = work()),
    )
    for (let i = 0; i < 5; i++) {
      primer.changed()
      t.mock.timers.tick(5)
    }
    assert.equal(primer.runs, 0, 'no prime while changes keep coming')
    t.mock.timers.tick(29)
    assert.equal(primer.runs, 1)
    await running
    assert.equal(reads, QUERIES.length, 'the state is read before each query')
    const roots = s.roots.filter((r) => r.cache.summary !== undefined)
    assert.equal(roots.length, s.roots.length, 'every tree root has its summary built')
    primer.stop()
  })

  it('primes at most once per interval and not after stop', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const s = syntheticState()
    let running: Promise<void> | undefined
    const primer = new IdlePrimer(
      async () => s,
      options,
      10,
      300,
      (work) => (running = work()),
    )
    primer.changed()
    t.mock.timers.tick(10)
    assert.equal(primer.runs, 1)
    await running
    primer.changed()
    t.mock.timers.tick(50)
    assert.equal(primer.runs, 1, 'the second prime waits for the interval')
    primer.stop()
    t.mock.timers.tick(350)
    assert.equal(primer.runs, 1, 'stopped primers do not run')
  })

  it('survives a state that fails to load', async () => {
    const primer = new IdlePrimer(() => Promise.reject(new Error('database gone')), options, 1, 0)
    await primer.run()
    assert.equal(primer.runs, 1)
  })
})
