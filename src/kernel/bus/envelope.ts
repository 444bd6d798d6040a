/**
 * The wire form of every bus message: one JSON object, the same on both transports.
 * `encode` refuses what cannot be sent (not JSON, too large); `decode` refuses what a
 * receiver must not act on (not JSON, not an envelope of ours, too large), so a bad
 * message is dead-lettered instead of crashing the receiver.
 */
import { type Notification, PRIORITIES, type Priority } from './bus.js'
import { MalformedMessage, MessageTooLarge, type WireError } from './errors.js'

/** Bumped only for an incompatible change of this shape. */
export const ENVELOPE_VERSION = 1

interface Base {
  v: 1
  /** Message id (a UUID unless the sender chose one). */
  id: string
  /** Sending bus id. */
  from: string
  /** Per-sender sequence number, for ordering diagnostics. */
  seq: number
}

export interface RequestEnvelope extends Base {
  kind: 'call' | 'cast' | 'fanout'
  ns: string
  ver: string
  method: string
  args: unknown
  ctx: Record<string, unknown>
  /** Calls only: the caller's reply address and its deadline (epoch ms). */
  replyTo?: string
  deadline?: number
}

export interface ReplyEnvelope extends Base {
  kind: 'reply'
  /** The id of the call this answers. */
  corr: string
  ok: boolean
  result?: unknown
  error?: WireError
}

export interface NotifyEnvelope extends Base {
  kind: 'notify'
  event: Required<Notification> & { timestamp: string }
}

export type Envelope = RequestEnvelope | ReplyEnvelope | NotifyEnvelope

export function encode(envelope: Envelope, maxBytes: number): Buffer {
  let text: string
  try {
    text = JSON.stringify(envelope)
  } catch (e) {
    throw new MalformedMessage(`message cannot be encoded as JSON: ${(e as Error).message}`)
  }
  const body = Buffer.from(text, 'utf8')
  if (body.length > maxBytes) {
    throw new MessageTooLarge(`message of ${body.length} bytes exceeds the ${maxBytes}-byte limit`)
  }
  return body
}

const VERSION = /^\d{1,4}\.\d{1,4}$/
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isShortString = (v: unknown, max = 255): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max

/** @throws MalformedMessage or MessageTooLarge; never anything else. */
export function decode(body: Buffer, maxBytes: number): Envelope {
  if (body.length > maxBytes) {
    throw new MessageTooLarge(`message of ${body.length} bytes exceeds the ${maxBytes}-byte limit`)
  }
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    throw new MalformedMessage('message is not JSON')
  }
  const bad = (what: string) => new MalformedMessage(`message ${what}`)
  if (!isObject(value)) throw bad('is not an object')
  if (value.v !== ENVELOPE_VERSION)
    throw bad(`has envelope version ${String(value.v)}, not ${ENVELOPE_VERSION}`)
  if (!isShortString(value.id, 128)) throw bad('has no id')
  if (!isShortString(value.from)) throw bad('has no sender')
  if (typeof value.seq !== 'number') throw bad('has no sequence number')
  switch (value.kind) {
    case 'call':
    case 'cast':
    case 'fanout': {
      if (typeof value.ns !== 'string' || value.ns.length > 255) throw bad('has no namespace')
      if (typeof value.ver !== 'string' || !VERSION.test(value.ver)) throw bad('has no valid version')
      if (!isShortString(value.method)) throw bad('has no method')
      if (!isObject(value.ctx)) throw bad('has no context')
      if (value.kind === 'call') {
        if (!isShortString(value.replyTo)) throw bad('is a call without a reply address')
        if (typeof value.deadline !== 'number') throw bad('is a call without a deadline')
      }
      return value as unknown as RequestEnvelope
    }
    case 'reply':
      if (!isShortString(value.corr, 128) || typeof value.ok !== 'boolean') throw bad('is not a valid reply')
      if (!value.ok && !(isObject(value.error) && typeof value.error.message === 'string'))
        throw bad('is a failed reply without an error')
      return value as unknown as ReplyEnvelope
    case 'notify': {
      const e = value.event
      if (!isObject(e) || !isShortString(e.eventType) || !isShortString(e.publisherId))
        throw bad('is not a valid notification')
      if (!PRIORITIES.includes(e.priority as Priority)) throw bad('has an unknown priority')
      const p = e.payload
      if (!isObject(p) || !isShortString(p.name) || typeof p.version !== 'string' || !isObject(p.data))
        throw bad('has no versioned payload')
      return value as unknown as NotifyEnvelope
    }
    default:
      throw bad(`has unknown kind ${JSON.stringify(value.kind)?.slice(0, 32)}`)
  }
}

/** `major.minor` as two numbers; throws on anything else. */
export function parseVersion(version: string): [number, number] {
  if (!VERSION.test(version))
    throw new MalformedMessage(`version ${JSON.stringify(version)} is not major.minor`)
  const [major, minor] = version.split('.').map(Number) as [number, number]
  return [major, minor]
}

/** True when a server speaking `have` can handle a message needing `want`. */
export function versionCompatible(have: string, want: string): boolean {
  const [hM, hm] = parseVersion(have)
  const [wM, wm] = parseVersion(want)
  return hM === wM && wm <= hm
}

/** `<service>.<object>.<action>`, each part lowercase words; the action may have a phase. */
export const EVENT_TYPE = /^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/
