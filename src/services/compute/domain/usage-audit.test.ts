/** The audit period arithmetic of os-instance-usage-audit-log, unit by unit and with offsets. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { lastCompletedAuditPeriod, parseAuditTimestamp, pythonTime } from './usage-audit.js'

const at = (s: string) => new Date(`${s}Z`)
const period = (unit: string, before: string) => lastCompletedAuditPeriod(unit, at(before)).map(pythonTime)

describe('lastCompletedAuditPeriod', () => {
  it('months run from the first (or the offset day) to the same day of the next month', () => {
    assert.deepEqual(period('month', '2026-12-07T13:00:00'), ['2026-11-01 00:00:00', '2026-12-01 00:00:00'])
    assert.deepEqual(period('month', '2026-12-01T00:00:00'), ['2026-10-01 00:00:00', '2026-11-01 00:00:00'])
    assert.deepEqual(period('month', '2026-01-15T00:00:00'), ['2025-12-01 00:00:00', '2026-01-01 00:00:00'])
    assert.deepEqual(period('month@15', '2026-12-07T00:00:00'), [
      '2026-10-15 00:00:00',
      '2026-11-15 00:00:00',
    ])
  })

  it('years, days and hours, with their offsets', () => {
    assert.deepEqual(period('year', '2026-12-07T00:00:00'), ['2025-01-01 00:00:00', '2026-01-01 00:00:00'])
    assert.deepEqual(period('year@7', '2026-03-01T00:00:00'), ['2024-07-01 00:00:00', '2025-07-01 00:00:00'])
    assert.deepEqual(period('day', '2026-12-07T13:00:00'), ['2026-12-06 00:00:00', '2026-12-07 00:00:00'])
    assert.deepEqual(period('day@14', '2026-12-07T13:00:00'), ['2026-12-05 14:00:00', '2026-12-06 14:00:00'])
    assert.deepEqual(period('hour', '2026-12-07T13:20:00'), ['2026-12-07 12:00:00', '2026-12-07 13:00:00'])
    assert.deepEqual(period('hour@30', '2026-12-07T13:20:00'), ['2026-12-07 11:30:00', '2026-12-07 12:30:00'])
    assert.throws(() => lastCompletedAuditPeriod('week', new Date()))
  })

  it('parses the timestamps show takes, and nothing else', () => {
    assert.equal(pythonTime(parseAuditTimestamp('2026-12-07 13:20:05')), '2026-12-07 13:20:05')
    assert.equal(pythonTime(parseAuditTimestamp('2026-12-07 13:20:05.25')), '2026-12-07 13:20:05.250000')
    for (const bad of ['invalid_time', '2026-13-01 00:00:00', '2026-12-07', '2026-12-07 24:00:00'])
      assert.throws(() => parseAuditTimestamp(bad), /Invalid timestamp for date/)
  })
})
