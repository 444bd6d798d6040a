/**
 * PciPassthroughFilter: a flavor's `pci_passthrough:alias` devices must be free in the
 * host's PCI pools (aliases from `[pci] alias`).
 */
import { type FilterPlugin, type PreFilterPlugin, Status, stateKey } from '../../framework.js'
import { type PciRequest, pciRequests, unsatisfiedPciRequest } from '../../pci.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'PciPassthroughFilter'

export const PCI_REQUESTS = stateKey<PciRequest[]>('pci requests')

export const create = (o: PluginOptions): FilterPlugin & PreFilterPlugin => ({
  name,
  preFilter(_ctx, state, request) {
    const reqs = pciRequests(request.flavor.extraSpecs, o.pciAliases)
    if (reqs.length === 0) return { status: Status.skip() }
    const unknown = reqs.find((r) => r.specs.length === 0)
    if (unknown)
      return { status: Status.unresolvable(`PCI alias ${unknown.alias} is not defined in [pci] alias`) }
    state.write(PCI_REQUESTS, reqs)
    return { status: Status.success() }
  },
  filter(_ctx, state, _request, host) {
    const missing = unsatisfiedPciRequest(host.pciPools, state.read(PCI_REQUESTS)!)
    if (!missing) return Status.success()
    return Status.unschedulable('not enough free PCI devices', `${missing.count} x ${missing.alias} not free`)
  },
})
