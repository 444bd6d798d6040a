/**
 * PCIWeigher: hosts with fewer free PCI devices weigh more, so servers that need no
 * device stay off PCI hosts and servers that need one stack instead of fragmenting.
 */
import type { ScorePlugin } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'PCIWeigher'

/**
 * NOTE: past this many free devices a host is plentiful; capping keeps a host with
 * 2,000 devices from looking 20 times better than one with 100.
 */
const MAX_DEVS = 100

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'pci_weight_multiplier',
    multiplier: o.config.filter_scheduler.pci_weight_multiplier,
    score: (_ctx, _state, _request, host) => {
      const free = host.pciPools.reduce((n, p) => n + p.count, 0)
      return MAX_DEVS - Math.min(free, MAX_DEVS - 1)
    },
  })
