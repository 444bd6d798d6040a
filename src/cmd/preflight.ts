/**
 * Checks a command makes before it writes anything: that the data directory is usable
 * (or exists, where the command needs an existing cloud) and that the listen address
 * and port can be bound. Each failure is a `UsageError`: one line, exit code 2.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname } from 'node:path'
import { UsageError } from './args.js'

/**
 * The data directory is a writable directory, or could be created. With `mustExist`, a
 * missing one is an error: the command works on an existing cloud, and a missing
 * directory is most likely a mistyped --data-dir.
 */
export function checkDataDir(dir: string, options: { mustExist: boolean; why?: string }): void {
  let stat: ReturnType<typeof statSync> | undefined
  try {
    stat = statSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UsageError(`cannot use data directory ${dir}: ${(error as Error).message}`)
  }
  if (stat === undefined) {
    if (options.mustExist)
      throw new UsageError(
        `data directory ${dir} does not exist${options.why ? ` (${options.why})` : ''}; give the right --data-dir, or create a cloud there with cloudlet up`,
      )
    // It will be created: its nearest existing ancestor must let us.
    let parent = dirname(dir)
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent)
    if (!statSync(parent).isDirectory())
      throw new UsageError(`cannot create data directory ${dir}: ${parent} is not a directory`)
    writable(parent, `cannot create data directory ${dir}: ${parent} is not writable`)
    return
  }
  if (!stat.isDirectory()) throw new UsageError(`data directory ${dir} is not a directory`)
  writable(dir, `data directory ${dir} is not writable`)
}

function writable(path: string, message: string): void {
  try {
    accessSync(path, constants.W_OK | constants.X_OK)
  } catch {
    throw new UsageError(message)
  }
}

/**
 * Binds `host:port` for a moment and lets go, so a port in use or an address this
 * machine does not have is reported before any database is created.
 */
export async function probePort(host: string, port: number): Promise<void> {
  const server = createServer()
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port, exclusive: true }, resolve)
    })
  } catch (error) {
    throw listenError(error, host, port) ?? error
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** The one-line error for a failure to listen, or undefined if it is not the caller's doing. */
export function listenError(error: unknown, host: string, port: number): UsageError | undefined {
  const code = (error as NodeJS.ErrnoException).code
  const where = `${host}:${port}`
  switch (code) {
    case 'EADDRINUSE':
      return new UsageError(
        `cannot listen on ${where}: the port is in use; stop what holds it or choose another --port`,
      )
    case 'EACCES':
      return new UsageError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`)
    case 'EADDRNOTAVAIL':
      return new UsageError(`cannot listen on ${where}: ${host} is not an address of this machine`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UsageError(`cannot listen on ${where}: unknown host ${host}`)
    default:
      return undefined
  }
}
