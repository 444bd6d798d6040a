/**
 * The warm-up must exercise the real search and body paths: every query it runs finds
 * candidates over its synthetic state, and the whole warm-up completes.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCandidateRequest } from '../domain/candidate-request.js'
import { findCandidates } from '../domain/candidates.js'
import { VERSIONS } from '../versions.js'
import { candidatesBody } from './views.js'
import { QUERIES, syntheticState, warmUpCandidates } from './warm-up.js'

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
