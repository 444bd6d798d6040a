#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `cloudlet` command.
 *
 *   cloudlet up            the whole cloud in one process (bootstraps on first start,
 *                          writes clouds.yaml entries)
 *   cloudlet api           API process(es) for scale-out: --services identity,placement,...
 *   cloudlet bootstrap     create the admin user, project, roles and catalog
 *   cloudlet db upgrade    migrate every service's database
 *   cloudlet token rotate  new signing key for tokens (old keys still validate)
 *   cloudlet config check  report unknown, deprecated and invalid options
 *   cloudlet config sample print an annotated sample configuration
 *
 * This file stays light: it checks the command line and says what it is doing before
 * the services' modules load (that alone takes a while on a cold disk), then hands over
 * to commands.ts. A mistake by the caller (usage, configuration, a busy port or data
 * directory) is one line on stderr and exit code 2; anything else is one line and exit
 * code 1, with the stack only at --log-level debug.
 *
 * The interpreter line caps V8's young generation at 4 MiB per semi-space (Node's default
 * grows it to 16): an idle cloud keeps ~20 MiB less resident, and request throughput did
 * not drop in the same-run comparison (docs/benchmarks.md, "Idle memory").
 */
import cluster from 'node:cluster'
import { existsSync } from 'node:fs'
import { ConfigError, formatProblem } from '../kernel/config/config-error.js'
import { DataDirInUse } from '../kernel/host/data-dir-lock.js'
import { type CommandLine, dataDirOf, parseCommandLine, USAGE, UsageError } from './args.js'

let parsed: CommandLine | undefined

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    process.stderr.write(USAGE)
    return 2
  }
  const line = parseCommandLine(argv)
  parsed = line
  if (line.help || !line.command) {
    process.stdout.write(USAGE)
    return 0
  }
  if (line.command === 'up' && cluster.isPrimary) {
    const dir = dataDirOf(line)
    const first = existsSync(dir) ? '' : ' (a first start creates the databases)'
    console.log(`Starting Cloudlet on ${dir}${first}...`)
  }
  const { runCommand } = await import('./commands.js')
  return runCommand(line)
}

function fail(error: unknown): never {
  if (error instanceof UsageError || error instanceof DataDirInUse) {
    process.stderr.write(`cloudlet: ${error.message}\n`)
    process.exit(2)
  }
  if (error instanceof ConfigError) {
    for (const p of error.problems) process.stderr.write(`cloudlet: ${formatProblem(p)}\n`)
    process.exit(2)
  }
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`cloudlet: ${message.split('\n')[0]}\n`)
  const debug = parsed?.logLevel === 'debug' || parsed?.logLevel === 'trace'
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  else process.stderr.write('cloudlet: (run with --log-level debug to see where)\n')
  process.exit(1)
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code)
}, fail)
