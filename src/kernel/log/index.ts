/**
 * Logging for every Cloudlet process: the pino logger the command hands to the kernel,
 * its level rules and the terminal line format.
 */
export { type HumanLineOptions, humanLine } from './human-line.js'
export {
  chooseLogLevel,
  createLogger,
  isLogLevel,
  LOG_LEVELS,
  type LogDestination,
  type LogFormat,
  type LoggerOptions,
  type LogLevel,
} from './logger.js'
