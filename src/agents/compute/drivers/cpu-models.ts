/**
 * CPU models a simulated host can have, and the HW_CPU_X86_* traits each one's features
 * give. A real driver reads the features from the host CPU; the fake driver takes a model
 * name from `[fake_driver]` and reports what such a CPU would, so flavors that require
 * `trait:HW_CPU_X86_AVX512F=required` land only on hosts that have it.
 *
 * The feature lists are Cloudlet's own summary of each generation (the instruction sets a
 * scheduler is asked about), not a full CPUID dump.
 */

const BASE = ['MMX', 'SSE', 'SSE2', 'SSE3', 'SSSE3', 'SSE41', 'SSE42']
const NEHALEM = [...BASE]
const SANDY = [...NEHALEM, 'AESNI', 'CLMUL', 'AVX']
const HASWELL = [...SANDY, 'AVX2', 'BMI', 'BMI2', 'FMA3', 'F16C', 'ABM']
const SKYLAKE = [...HASWELL, 'MPX', 'AVX512F', 'AVX512CD', 'AVX512BW', 'AVX512DQ', 'AVX512VL']
const ICELAKE = [
  ...SKYLAKE.filter((f) => f !== 'MPX'),
  'AVX512VNNI',
  'AVX512VBMI',
  'AVX512VBMI2',
  'AVX512BITALG',
  'AVX512IFMA',
  'AVX512VAES',
  'AVX512VPCLMULQDQ',
  'AVX512VPOPCNTDQ',
  'SHA',
]
const EPYC = [...HASWELL, 'SSE4A', 'SHA', 'AMD_SVM']
const EPYC_ROME = [...EPYC, 'AMD_SSBD', 'AMD_IBPB', 'AMD_NO_SSB']
const EPYC_MILAN = [...EPYC_ROME, 'INTEL_PCID']

/** Model name → feature suffixes (`AVX2` → `HW_CPU_X86_AVX2`). Intel models also get VMX. */
const MODELS: Readonly<Record<string, { vendor: 'Intel' | 'AMD' | 'QEMU'; features: readonly string[] }>> = {
  qemu64: { vendor: 'QEMU', features: ['MMX', 'SSE', 'SSE2', 'SSE3'] },
  Nehalem: { vendor: 'Intel', features: [...NEHALEM, 'VMX'] },
  SandyBridge: { vendor: 'Intel', features: [...SANDY, 'VMX'] },
  Haswell: { vendor: 'Intel', features: [...HASWELL, 'VMX'] },
  Broadwell: { vendor: 'Intel', features: [...HASWELL, 'VMX', 'INTEL_PCID'] },
  'Skylake-Server': { vendor: 'Intel', features: [...SKYLAKE, 'VMX', 'INTEL_PCID'] },
  'Cascadelake-Server': { vendor: 'Intel', features: [...SKYLAKE, 'AVX512VNNI', 'VMX', 'INTEL_PCID'] },
  'Icelake-Server': { vendor: 'Intel', features: [...ICELAKE, 'VMX', 'INTEL_PCID'] },
  'SapphireRapids-Server': {
    vendor: 'Intel',
    features: [...ICELAKE, 'AMXBF16', 'AMXINT8', 'AMXTILE', 'VMX', 'INTEL_PCID'],
  },
  EPYC: { vendor: 'AMD', features: EPYC },
  'EPYC-Rome': { vendor: 'AMD', features: EPYC_ROME },
  'EPYC-Milan': { vendor: 'AMD', features: EPYC_MILAN },
}

/** The model names the fake driver accepts. */
export const CPU_MODELS: readonly string[] = Object.keys(MODELS)

/** Whether a model is known. */
export function isCpuModel(name: string): boolean {
  return Object.hasOwn(MODELS, name)
}

/** The CPU vendor of a model, e.g. `AMD`. */
export function cpuVendor(model: string): string {
  return MODELS[model]?.vendor ?? 'unknown'
}

/**
 * The HW_CPU_X86_* traits of a model, sorted. SEV is not a model feature: a host reports
 * HW_CPU_X86_AMD_SEV only when it really has key slots to give (see provider-tree.ts).
 */
export function cpuTraits(model: string): string[] {
  const m = MODELS[model]
  if (!m) return []
  return [...new Set(m.features.map((f) => `HW_CPU_X86_${f}`))].sort()
}
