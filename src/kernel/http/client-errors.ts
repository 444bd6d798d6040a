/**
 * Faults for requests Node's HTTP parser refuses before any request object exists (a
 * Content-Length that is not a number, oversized headers). Fastify hands us only the
 * socket and the raw bytes, so we read the path from the request line and answer in the
 * fault format of the service mounted at that prefix.
 */
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import { type FaultRenderer, keystoneFault } from '../errors/index.js'

const MESSAGES: Readonly<Record<string, [number, string]>> = {
  HPE_INVALID_CONTENT_LENGTH: [400, 'content-length header must be an integer'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'content-length and transfer-encoding must not both be sent'],
  HPE_HEADER_OVERFLOW: [431, 'Request header fields too large'],
}

export class FaultFormats {
  private readonly byPrefix: Array<[string, FaultRenderer]> = []

  /** A service scope names its prefix and renderer; the longest matching prefix wins. */
  register(prefix: string, render: FaultRenderer): void {
    this.byPrefix.push([prefix, render])
    this.byPrefix.sort((a, b) => b[0].length - a[0].length)
  }

  rendererFor(path: string): FaultRenderer {
    return (
      this.byPrefix.find(
        ([prefix]) => path === prefix || path.startsWith(`${prefix}/`) || prefix === '',
      )?.[1] ?? keystoneFault
    )
  }

  /** Fastify's `clientErrorHandler`. */
  handle(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
    if (!socket.writable) return
    const [status, message] = MESSAGES[error.code ?? ''] ?? [400, 'Bad Request']
    const raw = error.rawPacket
    const packet = Buffer.isBuffer(raw)
      ? raw
      : Buffer.from((raw as { data?: number[] } | undefined)?.data ?? [])
    const requestLine = packet.toString('latin1').split('\r\n', 1)[0] ?? ''
    const path = (requestLine.split(' ')[1] ?? '/').split('?')[0] ?? '/'
    const requestId = `req-${randomUUID()}`
    const render = this.rendererFor(path)
    const rendered = render(
      { status, code: `http.${status}`, message, headers: {}, unexpected: false },
      { id: requestId, headers: {} },
    )
    const body = JSON.stringify(rendered.body)
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: ${rendered.contentType ?? 'application/json'}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-openstack-request-id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
  }
}
