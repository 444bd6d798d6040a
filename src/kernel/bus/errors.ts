/**
 * The bus's errors: what a caller of `call`, `cast`, `fanout` or `notify` can see, and
 * what a server answers when it cannot run a request. Each is a DomainError with a stable
 * `bus.*` code; `retriable` says whether sending the same message again may succeed.
 */
import { DomainError, type DomainErrorOptions } from '../errors/index.js'

/** Base of every bus error; `retriable` tells a caller whether trying again can help. */
export class MessagingError extends DomainError {
  /** True when the same send may succeed later (the broker or the server was away). */
  readonly retriable: boolean = false
}

/**
 * No reply (or no confirmation of a send) within the deadline: the broker, the server or
 * the network was away or slow. The request may still have run; retry only idempotent work.
 */
export class MessagingTimeout extends MessagingError {
  override readonly retriable = true
  constructor(message: string, options?: DomainErrorOptions) {
    super('service_unavailable', 'bus.timeout', message, options)
  }
}

/** The server speaks no compatible version of the interface, or the client is pinned below it. */
export class UnsupportedVersion extends MessagingError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('conflict', 'bus.unsupported_version', message, options)
  }
}

/** The server's interface has no method of that name. */
export class NoSuchMethod extends MessagingError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('not_found', 'bus.no_such_method', message, options)
  }
}

/** A message is larger than `[bus] max_message_size`; it is never sent. */
export class MessageTooLarge extends MessagingError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('payload_too_large', 'bus.message_too_large', message, options)
  }
}

/** A message could not be encoded (not JSON: a cycle, a BigInt) or decoded (not ours). */
export class MalformedMessage extends MessagingError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('bad_request', 'bus.malformed_message', message, options)
  }
}

/** The bus was closed, or is closing, before the send could happen. */
export class BusClosed extends MessagingError {
  constructor(message = 'the message bus is closed', options?: DomainErrorOptions) {
    super('service_unavailable', 'bus.closed', message, options)
  }
}

/**
 * The remote handler threw. `remoteName` and `remoteCode` are the original error's class
 * name and code (a DomainError's `code`), so a caller can branch on them; the remote
 * stack is not sent.
 */
export class RemoteError extends MessagingError {
  readonly remoteName: string
  readonly remoteCode: string | undefined
  constructor(remoteName: string, message: string, remoteCode?: string, options?: DomainErrorOptions) {
    super('internal', 'bus.remote_error', message, options)
    this.remoteName = remoteName
    this.remoteCode = remoteCode
  }
}

/** What travels back in a reply when a handler or the dispatcher failed. */
export interface WireError {
  name: string
  message: string
  code?: string
}

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) }
  }
  return { name: 'Error', message: String(e) }
}

/**
 * Rebuilds an error a server sent. Errors the dispatcher itself raises (unknown method or
 * version) come back as their own classes; anything a handler threw is a RemoteError.
 */
export function fromWireError(w: WireError): MessagingError {
  if (w.code === 'bus.unsupported_version') return new UnsupportedVersion(w.message)
  if (w.code === 'bus.no_such_method') return new NoSuchMethod(w.message)
  if (w.code === 'bus.malformed_message') return new MalformedMessage(w.message)
  if (w.code === 'bus.message_too_large') return new MessageTooLarge(w.message)
  return new RemoteError(w.name, w.message, w.code)
}
