/**
 * MetricsWeigher: the sum of `[metrics] weight_setting` (`name=ratio`) over the host's
 * monitor metrics. A host missing one is an error with `[metrics] required`, else it
 * weighs `weight_of_unavailable`.
 */
import type { ScorePlugin } from '../../framework.js'
import { aggregateNumber } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'MetricsWeigher'

/** `["cpu.percent=-1.0", ...]` -> [["cpu.percent", -1]]; malformed entries are skipped. */
export function parseWeightSetting(setting: readonly string[]): [string, number][] {
  const out: [string, number][] = []
  for (const item of setting) {
    const [n, r] = item.split('=').map((s) => s.trim())
    const ratio = Number(r)
    if (n && r !== undefined && r !== '' && Number.isFinite(ratio)) out.push([n, ratio])
  }
  return out
}

/** Thrown when a host lacks a metric and `[metrics] required` is true. */
export class MetricNotFound extends Error {}

export const create = (o: PluginOptions): ScorePlugin => {
  const m = o.config.metrics
  const setting = parseWeightSetting(m.weight_setting)
  const multiplierOf = (host: Parameters<ScorePlugin['multiplier']>[0]) =>
    aggregateNumber(host, 'metrics_weight_multiplier', m.weight_multiplier)
  return {
    name,
    multiplier: multiplierOf,
    score(_ctx, _state, _request, host) {
      let value = 0
      for (const [metric, ratio] of setting) {
        const found = host.metrics.find((x) => x.name === metric)
        if (found) {
          value += found.value * ratio
          continue
        }
        if (m.required) throw new MetricNotFound(`host ${host.host} reports no metric ${metric}`)
        // NOTE: a missing metric puts the host last, unless this metric cannot move
        // the weight at all (ratio or multiplier 0).
        if (ratio * multiplierOf(host) !== 0) return m.weight_of_unavailable
      }
      return value
    },
  }
}
