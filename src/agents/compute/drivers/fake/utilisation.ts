/**
 * Simulated host load for monitoring-aware scheduling. A host's CPU use is a function of
 * time and of its running guests, so it can be sampled at any moment, past ones
 * included (a scheduler that wants a 24-hour average on a cloud started a minute ago can
 * be given one):
 *
 *   cpu(t) = idle + perGuestVcpu × runningVcpus / hostVcpus      (guests' share)
 *          + dailySwing × sin(2π (t / 1 day + phase(host)))       (a daily cycle)
 *          + noise(host, minute of t)                             (±1 %, stable per minute)
 *   clamped to 0..1; a busy host stays at `busy` ± noise whatever its guests.
 *
 * NOTE: time counts in whole minutes and the noise is a hash of the host name and the
 * minute, not Math.random, so two samples of the same minute agree and tests can assert
 * exact figures.
 */

export interface LoadModel {
  idle: number
  perGuestVcpu: number
  dailySwing: number
  /** Load from outside the cloud: CPU use stays near this. */
  busy?: number
}

const DAY_MS = 86_400_000

/** A stable pseudo-random number in 0..1 from a string (FNV-1a). */
export function hash01(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) / 0x1_0000_0000
}

/** The host's CPU use, 0..1, at `atMs` with `runningVcpus` guest vCPUs running. */
export function simulatedCpu(
  model: LoadModel,
  host: string,
  hostVcpus: number,
  runningVcpus: number,
  atMs: number,
): number {
  const minute = Math.floor(atMs / 60_000)
  const noise = (hash01(`${host}@${minute}`) - 0.5) * 0.02
  if (model.busy !== undefined) return clamp(model.busy + noise)
  const phase = hash01(host)
  const cycle = model.dailySwing * Math.sin(2 * Math.PI * ((minute * 60_000) / DAY_MS + phase))
  const guests = (model.perGuestVcpu * runningVcpus) / Math.max(1, hostVcpus)
  return clamp(model.idle + guests + cycle + noise)
}

function clamp(n: number): number {
  return Math.round(Math.min(1, Math.max(0, n)) * 10_000) / 10_000
}
