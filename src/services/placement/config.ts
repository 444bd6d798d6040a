/**
 * Placement's configuration sections, with upstream's option names
 * (placement/conf/*.py); [api] and [cors] are the host's.
 */
import { type ConfigOf, defineSections, opt } from '../../kernel/config/index.js'
import type { HostConfig } from '../../kernel/host/index.js'

export const placementConfig = defineSections({
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
})

/** Placement's sections and the host's it reads ([api] auth_strategy, [cors], [oslo_policy]). */
export type PlacementConfig = ConfigOf<typeof placementConfig> & HostConfig
