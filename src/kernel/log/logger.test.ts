import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createApp } from '../http/index.js'
import { humanLine } from './human-line.js'
import { chooseLogLevel, createLogger, type LogDestination } from './logger.js'

function sink(isTTY: boolean): LogDestination & { lines: string[] } {
  const lines: string[] = []
  return { isTTY, lines, write: (l: string) => lines.push(l) }
}

describe('logger', () => {
  it('chooses the level: flag, then [DEFAULT] debug, then warn on a terminal and info elsewhere', () => {
    assert.equal(chooseLogLevel({ flag: 'error', debug: true, terminal: true }), 'error')
    assert.equal(chooseLogLevel({ debug: true, terminal: true }), 'debug')
    assert.equal(chooseLogLevel({ terminal: true }), 'warn')
    assert.equal(chooseLogLevel({ terminal: false }), 'info')
  })

  it('writes JSON to a pipe and human lines to a terminal', () => {
    const pipe = sink(false)
    createLogger({ level: 'info', destination: pipe })
      .child({ service: 'image' })
      .warn({ id: 'x' }, 'low disk')
    const record = JSON.parse(pipe.lines[0]!)
    assert.equal(record.msg, 'low disk')
    assert.equal(record.service, 'image')

    const tty = sink(true)
    createLogger({ level: 'info', destination: tty })
      .child({ service: 'image' })
      .warn({ id: 'x' }, 'low disk')
    assert.match(tty.lines[0]!, /^\d\d:\d\d:\d\d WARN {2}image: low disk id=x\n$/)
  })

  it('logs each request at debug: nothing per request at info; method, path and status at debug', async () => {
    const run = async (level: 'info' | 'debug') => {
      const out = sink(true)
      const app = createApp({ logger: createLogger({ level, destination: out }), metrics: false })
      await app.inject({ url: '/healthcheck' })
      await app.inject({ url: '/nowhere' })
      await app.close()
      return out.lines
    }
    assert.deepEqual(await run('info'), [])
    const debug = await run('debug')
    assert.ok(
      debug.some((l) => / DEBUG GET \/healthcheck req-/.test(l)),
      debug.join(''),
    )
    assert.ok(
      debug.some((l) => / DEBUG 200 \d+ms req-/.test(l)),
      debug.join(''),
    )
    assert.ok(
      debug.some((l) => / DEBUG 404 /.test(l)),
      debug.join(''),
    )
  })

  it('shows an error by its message, and its stack only when asked', () => {
    const error = new Error('disk full')
    const json = JSON.stringify({
      level: 50,
      time: 0,
      msg: 'upload failed',
      err: { message: error.message, stack: error.stack },
    })
    const short = humanLine(json)
    assert.equal(short.trimEnd().split('\n').length, 1)
    assert.match(short, /ERROR upload failed err="disk full"/)
    const long = humanLine(json, { stacks: true })
    assert.match(long, /\n {4}Error: disk full\n {8}at /)
  })

  it('serialises an Error logged under `error` as under `err`', () => {
    const pipe = sink(false)
    createLogger({ level: 'warn', destination: pipe }).warn({ error: new Error('boom') }, 'warm-up failed')
    assert.equal(JSON.parse(pipe.lines[0]!).error.message, 'boom')
  })
})
