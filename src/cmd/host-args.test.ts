/** `cloudlet host drain|evacuate HOST`'s command line: the host, --reason, --concurrency, refusals. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCommandLine, UsageError } from './args.js'

describe('cloudlet host drain and evacuate command lines', () => {
  it('takes one host, a reason, a concurrency and a cloud', () => {
    const l = parseCommandLine([
      'host',
      'drain',
      'cmp-1',
      '--reason',
      'disk swap',
      '--concurrency',
      '8',
      '--os-cloud',
      'x',
    ])
    assert.equal(l.command, 'host drain')
    assert.deepEqual(l.hostLine, { host: 'cmp-1', reason: 'disk swap', concurrency: 8, cloud: 'x' })
    assert.deepEqual(parseCommandLine(['host', 'evacuate', 'cmp-2']).hostLine, {
      host: 'cmp-2',
      concurrency: 4,
    })
  })

  it('refuses a missing or second host, a bad concurrency and options of other commands', () => {
    assert.throws(() => parseCommandLine(['host', 'drain']), /needs one host name/)
    assert.throws(() => parseCommandLine(['host', 'drain', 'a', 'b']), /needs one host name/)
    assert.throws(() => parseCommandLine(['host', 'drain', 'a', '--concurrency', '0']), /--concurrency takes/)
    assert.throws(() => parseCommandLine(['host', 'drain', 'a', '--flavor', 'x']), UsageError)
    assert.throws(
      () => parseCommandLine(['host', 'reboot', 'a']),
      /cloudlet host has no "reboot"; it takes one of: drain, evacuate/,
    )
  })
})
