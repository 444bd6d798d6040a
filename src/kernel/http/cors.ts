/**
 * CORS as oslo.middleware answers it (`[cors]`): allowed origins get the CORS headers,
 * a preflight (OPTIONS with Access-Control-Request-Method) is answered at once, and with
 * any origin configured every OPTIONS gets a bare 200 (a refused origin simply gets no
 * CORS headers).
 */
import type { FastifyInstance } from 'fastify'

export interface CorsOptions {
  allowed_origin: readonly string[]
  allow_credentials: boolean
  expose_headers: readonly string[]
  max_age: number
  allow_methods: readonly string[]
  allow_headers: readonly string[]
}

export function installCors(app: FastifyInstance, cors: CorsOptions): void {
  if (cors.allowed_origin.length === 0) return
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin
    if (typeof origin === 'string' && cors.allowed_origin.includes(origin)) {
      reply.header('access-control-allow-origin', origin)
      if (cors.allow_credentials) reply.header('access-control-allow-credentials', 'true')
      if (cors.expose_headers.length)
        reply.header('access-control-expose-headers', cors.expose_headers.join(','))
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        reply.header('access-control-allow-methods', cors.allow_methods.join(','))
        const want = req.headers['access-control-request-headers']
        if (typeof want === 'string' && want) reply.header('access-control-allow-headers', want)
        reply.header('access-control-max-age', String(cors.max_age))
        return reply.code(200).send()
      }
    }
    if (req.method === 'OPTIONS') return reply.code(200).send()
  })
}
