/** The duplicate window: what a server remembers, for how long, and how much. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DuplicateWindow } from './duplicate-window.js'

describe('duplicate window', () => {
  it('reports a running id with a promise of its reply, then the reply once done', async () => {
    const w = new DuplicateWindow(10, 60_000)
    const first = w.begin('a')
    assert.equal(first.kind, 'new')
    const again = w.begin('a')
    assert.equal(again.kind, 'running')
    if (first.kind === 'new') first.finish(Buffer.from('reply'))
    if (again.kind === 'running') assert.equal((await again.done)?.toString(), 'reply')
    const done = w.begin('a')
    assert.equal(done.kind, 'done')
    if (done.kind === 'done') assert.equal(done.reply?.toString(), 'reply')
  })

  it('forgets the oldest finished ids past its size, never a running one', () => {
    const w = new DuplicateWindow(3, 60_000)
    const running = w.begin('r')
    for (const id of ['a', 'b', 'c', 'd']) {
      const s = w.begin(id)
      if (s.kind === 'new') s.finish()
    }
    assert.equal(w.begin('r').kind, 'running')
    assert.equal(w.begin('a').kind, 'new', 'the oldest finished id was forgotten')
    assert.equal(w.begin('d').kind, 'done')
    if (running.kind === 'new') running.finish()
  })

  it('forgets ids older than its age, and keeps no large reply', async () => {
    const w = new DuplicateWindow(100, 30)
    const s = w.begin('old')
    if (s.kind === 'new') s.finish(Buffer.alloc(100 * 1024))
    const seen = w.begin('old')
    assert.equal(seen.kind, 'done')
    if (seen.kind === 'done') assert.equal(seen.reply, undefined)
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(w.begin('old').kind, 'new')
  })

  it('remembers nothing with size 0', () => {
    const w = new DuplicateWindow(0, 60_000)
    const s = w.begin('x')
    if (s.kind === 'new') s.finish()
    assert.equal(w.begin('x').kind, 'new')
  })
})
