/**
 * A profile is the pipeline one configuration builds: the request filters, the enabled
 * filters in order, the weighers with their multipliers, the reserve plugins and the
 * picking options. `buildProfile` compiles it once from the loaded options (upstream's
 * `enabled_filters`, `weight_classes`, `*_weight_multiplier`, `host_subset_size`,
 * `shuffle_best_same_weighed_hosts`, `max_attempts`).
 */
import { defaultSchedulerConfig, type SchedulerConfig, schedulerConfig } from './config.js'
import {
  type FilterPlugin,
  isFilter,
  isPreFilter,
  isReserve,
  isScore,
  type Plugin,
  type PreFilterPlugin,
  type ReservePlugin,
  type ScorePlugin,
} from './framework.js'
import { parsePciAliases } from './pci.js'
import {
  ALL_FILTERS,
  ALL_WEIGHERS,
  lookup,
  type PluginModule,
  type PluginOptions,
  REQUEST_FILTERS,
  RESERVERS,
  SchedulerPluginNotFound,
  shortName,
  WEIGHERS,
} from './registry.js'

export { defaultSchedulerConfig, type SchedulerConfig, schedulerConfig }

export interface Profile {
  /** Request filters: run once per request, before placement is asked. */
  readonly requestFilters: readonly PreFilterPlugin[]
  /** The enabled filters, in `enabled_filters` order. */
  readonly filters: readonly FilterPlugin[]
  readonly scorers: readonly ScorePlugin[]
  readonly reservers: readonly ReservePlugin[]
  readonly hostSubsetSize: number
  readonly shuffleBestSameWeighedHosts: boolean
  /** The chosen host plus alternates per server. */
  readonly maxAttempts: number
}

const as = <T extends Plugin>(
  m: PluginModule,
  o: PluginOptions,
  is: (p: Plugin) => p is T,
  what: string,
): T => {
  const p = m.create(o)
  if (!is(p)) throw new Error(`${m.name} is not a ${what}`)
  return p
}

/** Builds the pipeline for a configuration; throws `SchedulerPluginNotFound` on a bad name. */
export function buildProfile(config: SchedulerConfig): Profile {
  const fs = config.filter_scheduler
  const o: PluginOptions = { config, pciAliases: parsePciAliases(config.pci.alias) }
  const available = fs.available_filters
  const filters = fs.enabled_filters.map((n) => {
    const m = lookup('enabled_filters', n)
    // NOTE: available_filters is upstream's allow-list; with its default (all_filters)
    // every built-in filter may be enabled, otherwise only the listed ones.
    if (!available.includes(ALL_FILTERS) && !available.some((a) => shortName(a) === m.name))
      throw new SchedulerPluginNotFound('enabled_filters', m.name, 'is not in available_filters')
    return as(m, o, isFilter, 'filter')
  })
  const weigherModules: PluginModule[] = []
  for (const n of fs.weight_classes) {
    const mods = n === ALL_WEIGHERS ? WEIGHERS : [lookup('weight_classes', n)]
    for (const m of mods) if (!weigherModules.includes(m)) weigherModules.push(m)
  }
  return {
    requestFilters: REQUEST_FILTERS.map((m) => as(m, o, isPreFilter, 'request filter')),
    filters,
    scorers: weigherModules.map((m) => as(m, o, isScore, 'weigher')),
    reservers: RESERVERS.map((m) => as(m, o, isReserve, 'reserve plugin')),
    hostSubsetSize: Math.max(1, fs.host_subset_size),
    shuffleBestSameWeighedHosts: fs.shuffle_best_same_weighed_hosts,
    maxAttempts: config.scheduler.max_attempts,
  }
}
