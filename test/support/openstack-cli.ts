/**
 * Runs the real `openstack` CLI for the conformance tests.
 *
 * A plain run spends most of its two seconds importing Python modules, and the suite runs
 * over a thousand commands, so by default each command is forked from a server that has
 * imported openstackclient once (openstack-cli-server.py): the same code with the same
 * argv and environment, in a process of its own, about five times less CPU per command.
 * `CLOUDLET_TEST_CLI=exec` runs /usr/bin/openstack itself for every command instead.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'

const run = promisify(execFile)
const COMMAND_TIMEOUT_MS = 60_000
const SERVER = resolve(import.meta.dirname, '../../../test/support/openstack-cli-server.py')

export interface OpenstackResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the real openstack CLI; never throws on a non-zero exit. */
export async function openstack(env: NodeJS.ProcessEnv, args: string[]): Promise<OpenstackResult> {
  if (process.env.CLOUDLET_TEST_CLI === 'exec') return execOpenstack(env, args)
  return (await forkServer()).run(env, args)
}

async function execOpenstack(env: NodeJS.ProcessEnv, args: string[]): Promise<OpenstackResult> {
  try {
    const { stdout, stderr } = await run('openstack', args, {
      env,
      timeout: COMMAND_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(error),
    }
  }
}

interface Pending {
  resolve(r: OpenstackResult): void
  timer?: NodeJS.Timeout
}

/** One fork server per test process, started on the first command. */
class ForkServer {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line))
    child.on('exit', (code, signal) => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id)
        clearTimeout(p.timer)
        p.resolve({ code: 1, stdout: '', stderr: `openstack CLI server exited (${code ?? signal})` })
      }
    })
    this.idle()
  }

  static async start(): Promise<ForkServer> {
    const child = spawn(pythonOfOpenstack(), [SERVER], { stdio: ['pipe', 'pipe', 'inherit'] })
    const ready = new Promise<void>((ok, fail) => {
      const rl = createInterface({ input: child.stdout! })
      rl.once('line', (line) => {
        rl.close()
        if (JSON.parse(line).ready) ok()
        else fail(new Error(`openstack CLI server: ${line}`))
      })
      child.once('exit', (code) => fail(new Error(`openstack CLI server exited with ${code}`)))
    })
    await ready
    return new ForkServer(child)
  }

  run(env: NodeJS.ProcessEnv, args: string[]): Promise<OpenstackResult> {
    const id = this.nextId++
    const clean: Record<string, string> = {}
    for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v
    return new Promise((resolve) => {
      this.pending.set(id, { resolve })
      this.busy()
      this.child.stdin!.write(`${JSON.stringify({ id, argv: args, env: clean, cwd: process.cwd() })}\n`)
    })
  }

  private onLine(line: string): void {
    if (!line.trim()) return
    const m = JSON.parse(line) as {
      id: number
      pid?: number
      code?: number
      stdout?: string
      stderr?: string
    }
    const p = this.pending.get(m.id)
    if (!p) return
    if (m.pid !== undefined && m.code === undefined) {
      const pid = m.pid
      p.timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }, COMMAND_TIMEOUT_MS)
      return
    }
    this.pending.delete(m.id)
    clearTimeout(p.timer)
    if (this.pending.size === 0) this.idle()
    const code = m.code ?? 1
    p.resolve({ code: code < 0 ? 1 : code, stdout: m.stdout ?? '', stderr: m.stderr ?? '' })
  }

  // NOTE: the server must not keep a finished test process alive, yet a process waiting
  // for a command's answer must not exit: the child's handles are referenced only while
  // a command runs.
  private busy(): void {
    this.child.ref()
    ;(this.child.stdout as unknown as { ref(): void }).ref()
  }

  private idle(): void {
    this.child.unref()
    ;(this.child.stdout as unknown as { unref(): void }).unref()
    ;(this.child.stdin as unknown as { unref(): void }).unref()
  }
}

let server: Promise<ForkServer> | undefined
function forkServer(): Promise<ForkServer> {
  server ??= ForkServer.start()
  return server
}

/** The interpreter /usr/bin/openstack runs on (its #! line): the one that has openstackclient. */
function pythonOfOpenstack(): string {
  const path = execFileSync('sh', ['-c', 'command -v openstack'], { encoding: 'utf8' }).trim()
  const shebang = /^#!\s*(\S+)/.exec(readFileSync(path, 'utf8'))
  return shebang?.[1] ?? 'python3'
}
