/**
 * What every resource module of the identity resource half shares: its dependencies,
 * id generation, time formats and the JSON columns' helpers.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { ResourceConflict, ValidationFailed } from '../errors.js'
import type { Repos } from '../storage/table.repo.js'
import { DuplicateRow } from '../storage/table.repo.js'
import type { IdentityResourcesConfig } from './config.js'
import type { RevocationEvent, RevocationSink } from './ports.js'

export interface ResourceDeps {
  repos: Repos
  config: IdentityResourcesConfig
  revocations: RevocationSink
  logger: Logger
}

/** Keystone ids: uuid4 without dashes. */
export function newId(): string {
  return randomUUID().replace(/-/g, '')
}

export function nowIso(): string {
  return new Date().toISOString()
}

/** Keystone's wire format for times: microseconds and a `Z` (`2024-01-02T03:04:05.000000Z`). */
export function wireTime(iso: string | null | undefined): string | null {
  if (!iso) return null
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** Parses a client-supplied time (ISO 8601, naive times read as UTC); 400 when it is not one. */
export function parseTime(value: string, field: string): string {
  const s = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`
  const d = new Date(s)
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(d.getTime())) {
    throw new ValidationFailed(`Invalid input for field '${field}': '${value}' is not a valid date-time`)
  }
  return d.toISOString()
}

/**
 * As `parseTime`, but keeps the client's sub-second digits (up to microseconds) in the
 * stored string: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC. Keystone stores microseconds.
 */
export function parseTimeMicro(value: string, field: string): string {
  const iso = parseTime(value, field)
  const frac = /T\d\d:\d\d:\d\d[.,](\d+)/.exec(value)?.[1] ?? ''
  return `${iso.slice(0, 19)}.${frac.padEnd(6, '0').slice(0, 6)}Z`
}

/**
 * The rendering oslo.serialization gives a naive UTC datetime (application credential
 * `expires_at`): microseconds, no zone designator (`2024-01-02T03:04:05.123456`).
 */
export function naiveTime(iso: string | null | undefined): string | null {
  if (!iso) return null
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const frac = /T\d\d:\d\d:\d\d\.(\d+)/.exec(iso)?.[1] ?? ''
  return `${d.toISOString().slice(0, 19)}.${frac.padEnd(6, '0').slice(0, 6)}`
}

export function toBool(v: number | boolean | null | undefined): boolean {
  return v === true || v === 1
}

export function fromBool(v: boolean): number {
  return v ? 1 : 0
}

export function parseJson<T = Record<string, unknown>>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}

/** Splits a request body into known columns and Keystone's free-form "extra" attributes. */
export function splitExtra(
  body: Record<string, unknown>,
  known: readonly string[],
): { known: Record<string, unknown>; extra: Record<string, unknown> } {
  const k: Record<string, unknown> = {}
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (known.includes(key)) k[key] = value
    else if (key !== 'links' && key !== 'id') extra[key] = value
  }
  return { known: k, extra }
}

export async function revoke(
  deps: ResourceDeps,
  event: Omit<RevocationEvent, 'issued_before'>,
): Promise<void> {
  await deps.revocations.record({ ...event, issued_before: nowIso() })
}

/** Query flags arrive as strings: Keystone treats anything but 0/false/no/off as true. */
export function queryBool(v: unknown): boolean | undefined {
  if (v === undefined) return undefined
  const s = Array.isArray(v) ? String(v[0]) : String(v)
  if (s === '') return true
  return !['0', 'false', 'no', 'off', 'f', 'n'].includes(s.toLowerCase())
}

/**
 * Runs a write; a unique-name violation becomes Keystone's 409
 * "Duplicate entry found with name <name> at domain ID <domain>." (domains: no domain ID).
 */
export async function uniqueName<T>(
  resource: string,
  name: unknown,
  domainId: string | null | undefined,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write()
  } catch (e) {
    if (e instanceof DuplicateRow) {
      const where = domainId === undefined ? '' : ` at domain ID ${domainId}`
      throw new ResourceConflict(resource, `Duplicate entry found with name ${name}${where}.`)
    }
    throw e
  }
}
