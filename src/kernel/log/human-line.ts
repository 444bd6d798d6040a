/**
 * Turns one pino JSON record into a short line for a person at a terminal:
 *
 *   14:03:07 WARN  image: warm-up failed: ENOSPC: no space left on device
 *   14:03:09 DEBUG GET /image/v2/images 200 3ms req-4f0c…
 *
 * Time of day, level, the service, the message, then the record's other fields as
 * key=value. An error shows its message; its stack only when asked (at debug level).
 */

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}

/** Fields every record has, or that the line shows in its own place. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'service', 'reqId', 'v'])

export interface HumanLineOptions {
  /** Append an error's stack, indented, below the line. @default false */
  stacks?: boolean
}

export function humanLine(json: string, options: HumanLineOptions = {}): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`
  }
  const time = typeof record.time === 'number' ? new Date(record.time) : new Date()
  const clock = time.toTimeString().slice(0, 8)
  const level = (LEVELS[record.level as number] ?? String(record.level)).padEnd(5)
  const parts: string[] = [clock, level]
  if (typeof record.service === 'string') parts.push(`${record.service}:`)
  const stacks: string[] = []

  const req = record.req as { method?: string; url?: string } | undefined
  const res = record.res as { statusCode?: number } | undefined
  if (req?.method) parts.push(`${req.method} ${req.url ?? ''}`)
  if (res?.statusCode) parts.push(String(res.statusCode))
  if (typeof record.responseTime === 'number') parts.push(`${Math.round(record.responseTime)}ms`)

  const msg = typeof record.msg === 'string' ? record.msg : ''
  // Fastify's own request messages say less than the method, path and status above.
  const routine = (req || res) && (msg === 'incoming request' || msg === 'request completed')
  if (msg && !routine) parts.push(msg)

  for (const [key, value] of Object.entries(record)) {
    if (SHOWN_ELSEWHERE.has(key) || key === 'req' || key === 'res' || key === 'responseTime') continue
    const error = asError(value)
    if (error) {
      if (error.message !== msg) parts.push(`${key}=${JSON.stringify(error.message)}`)
      if (options.stacks && error.stack) stacks.push(indent(error.stack))
      continue
    }
    parts.push(`${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`)
  }
  if (typeof record.reqId === 'string') parts.push(record.reqId)
  return `${[parts.join(' '), ...stacks].join('\n')}\n`
}

/** An error as pino serialises it ({type, message, stack}), or any object with a message. */
function asError(value: unknown): { message: string; stack?: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as { message?: unknown; stack?: unknown }
  if (typeof v.message !== 'string') return undefined
  return { message: v.message, ...(typeof v.stack === 'string' ? { stack: v.stack } : {}) }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')
}
