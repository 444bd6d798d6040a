/**
 * ImagePropertiesFilter: the image's architecture (`hw_architecture`), hypervisor type
 * (`img_hv_type`), VM mode (`hw_vm_mode`) and minimum hypervisor version
 * (`img_hv_requested_version`) must be among what the host supports.
 */
import { type FilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'ImagePropertiesFilter'

/** "1.2.3" -> 1002003, upstream's integer encoding of versions. */
export function versionToInt(v: string): number {
  return v
    .split('.')
    .slice(0, 3)
    .reduce((acc, part, i) => acc + Number(part) * 1000 ** (2 - i), 0)
}

const OPS: Record<string, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
}

/** Does `version` satisfy a predicate list like ">=6.0,<7.0"? */
function versionOk(version: number, predicate: string): boolean {
  return predicate.split(',').every((p) => {
    const m = /^\s*(>=|<=|==|!=|>|<|=)?\s*([\d.]+)\s*$/.exec(p)
    if (!m) return false
    return OPS[m[1] ?? '>=']!(version, versionToInt(m[2]!))
  })
}

const canonicalArch = (a: string): string => {
  const x = a.toLowerCase()
  return x === 'amd64' || x === 'x64' ? 'x86_64' : x === 'arm64' ? 'aarch64' : x
}
const canonicalHv = (h: string): string => (h.toLowerCase() === 'xapi' ? 'xen' : h.toLowerCase())
const canonicalMode = (m: string): string => {
  const x = m.toLowerCase()
  return x === 'pv' ? 'xen' : x === 'hv' ? 'hvm' : x
}

export const create = (o: PluginOptions): FilterPlugin => ({
  name,
  filter(_ctx, _state, request, host) {
    const p = request.image.properties
    const archRaw =
      p.hw_architecture ?? p.architecture ?? o.config.filter_scheduler.image_properties_default_architecture
    const arch = archRaw ? canonicalArch(archRaw) : undefined
    const hv = (p.img_hv_type ?? p.hypervisor_type) && canonicalHv(p.img_hv_type ?? p.hypervisor_type!)
    const mode = (p.hw_vm_mode ?? p.vm_mode) && canonicalMode(p.hw_vm_mode ?? p.vm_mode!)
    const version = p.img_hv_requested_version
    if (!arch && !hv && !mode && !version) return Status.success()
    if (version && !versionOk(host.hypervisorVersion, version)) {
      return Status.unschedulable(
        'hypervisor version too old or too new for the image',
        `host has ${host.hypervisorVersion}, image asks ${version}`,
      )
    }
    if (!arch && !hv && !mode) return Status.success()
    if (host.supportedInstances.length === 0)
      return Status.unschedulable('host reports no supported instance types')
    const fits = host.supportedInstances.some(
      ([a, h, m]) =>
        (!arch || canonicalArch(a) === arch) &&
        (!hv || canonicalHv(h) === hv) &&
        (!mode || canonicalMode(m) === mode),
    )
    if (fits) return Status.success()
    const want = [arch && `arch ${arch}`, hv && `hypervisor ${hv}`, mode && `vm mode ${mode}`].filter(Boolean)
    return Status.unschedulable('image properties not supported', `image needs ${want.join(', ')}`)
  },
})
