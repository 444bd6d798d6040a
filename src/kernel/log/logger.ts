/**
 * The process logger: pino, writing short human lines to a terminal and one JSON object
 * per line to a file or pipe. The level follows upstream's switches: `--log-level`, else
 * `[DEFAULT] debug = true` for debug, else warn on a terminal (a person is watching; only
 * what needs them shows) and info elsewhere (a log file keeps the lifecycle).
 *
 * Per-request lines (Fastify's "incoming request" and "request completed", 4xx answers)
 * are logged at debug: at info a busy cloud would write two lines per request.
 */
import pino, { type LevelWithSilent, type Logger } from 'pino'
import { humanLine } from './human-line.js'

/** The levels an operator may choose, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number] & LevelWithSilent

export type LogFormat = 'human' | 'json'

/** Where log lines go: anything with `write`; a stream's `isTTY` picks the default format. */
export interface LogDestination {
  write(line: string): unknown
  isTTY?: boolean
}

export interface LoggerOptions {
  level: LogLevel
  /** @default 'human' when `destination.isTTY`, else 'json' */
  format?: LogFormat
  /** @default process.stderr */
  destination?: LogDestination
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value)
}

/**
 * The level a process logs at: an explicit choice, else debug when `[DEFAULT] debug` is
 * set, else warn for a terminal and info for anything else.
 */
export function chooseLogLevel(choice: { flag?: LogLevel; debug?: boolean; terminal: boolean }): LogLevel {
  if (choice.flag) return choice.flag
  if (choice.debug) return 'debug'
  return choice.terminal ? 'warn' : 'info'
}

/** Fastify binds this key on every request's logger. */
const REQUEST_ID_KEY = 'reqId'
const INFO = 30

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stderr
  const format = options.format ?? (destination.isTTY ? 'human' : 'json')
  const showStacks = options.level === 'debug' || options.level === 'trace'
  const sink =
    format === 'json'
      ? destination
      : { write: (line: string) => destination.write(humanLine(line, { stacks: showStacks })) }
  return pino(
    {
      level: options.level,
      // Services log failures under `error` as often as under pino's `err`.
      serializers: { error: pino.stdSerializers.err },
      hooks: {
        // NOTE: pino calls this only for enabled levels, so at warn (a terminal's default)
        // it costs nothing; at info it moves request-scoped info lines down to debug.
        logMethod(args, method, level) {
          if (level === INFO && REQUEST_ID_KEY in this.bindings())
            return (this.debug as (...a: unknown[]) => void)(...args)
          return method.apply(this, args)
        },
      },
    },
    sink,
  )
}
