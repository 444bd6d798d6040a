/**
 * Placement's configuration sections, with upstream's option names
 * (placement/conf/*.py and oslo.middleware's [cors]).
 */
import { type ConfigOf, defineSections, opt } from '../../kernel/config/index.js'

export const placementConfig = defineSections({
  api: {
    auth_strategy: opt.enum({
      choices: ['keystone', 'noauth2'] as const,
      default: 'keystone',
      help: 'How requests are authenticated: keystone tokens, or noauth2 (`user[:project]` tokens; testing only).',
    }),
  },
  placement_database: {
    connection: opt.str({
      default: undefined,
      secret: true,
      help: "Placement's own database URL; unset: [database] connection, else a SQLite file.",
    }),
  },
  placement: {
    randomize_allocation_candidates: opt.bool({
      default: false,
      help: 'Shuffle allocation candidates before applying the limit.',
    }),
    max_allocation_candidates: opt.int({
      default: -1,
      min: -1,
      help: 'Upper bound on allocation candidates generated per request (-1: no bound).',
    }),
    allocation_candidates_generation_strategy: opt.enum({
      choices: ['depth-first', 'breadth-first'] as const,
      default: 'depth-first',
      help: 'Order in which candidates are generated across provider trees when a bound applies.',
    }),
    index_poll_interval: opt.float({
      default: 0,
      min: 0,
      help: 'Cloudlet: seconds between change-counter checks of the in-memory index (0: check before every read).',
    }),
  },
  cors: {
    allowed_origin: opt.list({
      default: [],
      help: 'Origins allowed to share this resource (the Origin header values).',
    }),
    allow_credentials: opt.bool({
      default: true,
      help: 'Whether the actual request may include user credentials.',
    }),
    expose_headers: opt.list({ default: [], help: 'Headers exposed to the API.' }),
    max_age: opt.int({
      default: 3600,
      min: 0,
      help: 'Maximum cache age of CORS preflight requests, in seconds.',
    }),
    allow_methods: opt.list({
      default: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'],
      help: 'Methods allowed in the actual request.',
    }),
    allow_headers: opt.list({ default: [], help: 'Headers allowed in the actual request.' }),
  },
})

export type PlacementConfig = ConfigOf<typeof placementConfig>
