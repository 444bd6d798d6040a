/**
 * The bus's figures in Prometheus form, read from its counters at scrape time: messages
 * sent, delivered, redelivered, dead-lettered, duplicates, timeouts, reconnects,
 * resends, and the RPC call latency histogram.
 */
import { Gauge, type Registry } from 'prom-client'
import type { BusCounters } from './bus.js'

const FIGURES: ReadonlyArray<[keyof Omit<BusCounters, 'callLatency'>, string]> = [
  ['sent', 'Messages handed to the transport (calls, casts, fanouts, notifications, replies).'],
  ['delivered', 'Messages received by servers, listeners and reply consumers.'],
  ['redelivered', 'Deliveries the broker marked as delivered before.'],
  ['duplicates', 'Deliveries skipped because their message id was already handled.'],
  ['deadLettered', 'Malformed, oversized, unknown-method or unknown-version messages not handled.'],
  ['timeouts', 'Calls and sends that failed with a messaging timeout.'],
  ['expired', "Calls a server skipped because their caller's deadline had passed."],
  ['handlerErrors', 'Handlers that threw.'],
  ['reconnects', 'Connections to the broker re-established after a loss.'],
  ['resends', 'Sends tried again after a lost connection or a broker nack.'],
  ['lateReplies', 'Replies that arrived after their caller gave up.'],
]

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

export function registerBusMetrics(registry: Registry, counters: () => BusCounters | undefined): void {
  for (const [key, help] of FIGURES) {
    new Gauge({
      name: `cloudlet_bus_${snake(key)}_total`,
      help,
      registers: [registry],
      collect() {
        this.set(counters()?.[key] ?? 0)
      },
    })
  }
  // NOTE: the histogram is kept by the bus (cumulative buckets); it is exposed as it is
  // rather than re-observed, so a scrape costs nothing on the call path.
  registry.registerMetric({
    name: 'cloudlet_bus_call_duration_seconds',
    help: 'RPC call latency, from send to reply.',
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const h = counters()?.callLatency
      const values = h
        ? [
            ...h.bounds.map((le, i) => ({
              metricName: 'cloudlet_bus_call_duration_seconds_bucket',
              labels: { le: Number.isFinite(le) ? le : '+Inf' },
              value: h.counts[i] ?? 0,
            })),
            { metricName: 'cloudlet_bus_call_duration_seconds_sum', labels: {}, value: h.sum },
            { metricName: 'cloudlet_bus_call_duration_seconds_count', labels: {}, value: h.count },
          ]
        : []
      return {
        name: 'cloudlet_bus_call_duration_seconds',
        help: 'RPC call latency, from send to reply.',
        type: 'histogram',
        aggregator: 'sum',
        values,
      }
    },
    reset() {},
  } as never)
}
