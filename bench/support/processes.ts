/**
 * CPU and resident memory of a set of processes and all their descendants, from /proc:
 * what a benchmark charges to the cloud it measures (one `cloudlet up`, or every process
 * of an upstream service and the workers it forks).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** USER_HZ: /proc's clock ticks per second. */
const HZ = 100

/** The pids in `<dir>/*.pid` files (the reference stacks record theirs there). */
export function pidsInDir(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()))
    .filter((p) => Number.isInteger(p) && p > 0)
}

function statOf(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // NOTE: the command name (field 2) may contain spaces; fields count from after ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) }
  } catch {
    return undefined
  }
}

/** `roots` that are alive and every process below them. */
export function processTree(roots: readonly number[]): number[] {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const s = statOf(Number(d))
    if (s) parent.set(Number(d), s.ppid)
  }
  const inTree = new Set(roots.filter((p) => parent.has(p)))
  for (let grew = true; grew; ) {
    grew = false
    for (const [pid, ppid] of parent)
      if (!inTree.has(pid) && inTree.has(ppid)) {
        inTree.add(pid)
        grew = true
      }
  }
  return [...inTree]
}

/** User + system CPU seconds the processes of the tree have used so far. */
export function cpuSeconds(roots: readonly number[]): number {
  return processTree(roots).reduce((sum, p) => sum + (statOf(p)?.cpuTicks ?? 0), 0) / HZ
}

/** The tree's resident memory now, in MiB. */
export function rssMiB(roots: readonly number[]): number {
  let kb = 0
  for (const p of processTree(roots)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      kb += Number(m?.[1] ?? 0)
    } catch {}
  }
  return Math.round((kb / 1024) * 10) / 10
}
