/**
 * The agents' sections are part of the compute module's, which merges with the host's (no
 * option declared twice), and load with upstream's defaults; `update_resources_interval` as upstream reads it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { busConfig } from '../../kernel/bus/index.js'
import { loadConfig, mergeSchemas } from '../../kernel/config/index.js'
import { hostConfig } from '../../kernel/host/index.js'
import { computeConfig } from '../../services/compute/config.js'
import { computeAgentConfig, updateIntervalMs } from './config.js'

describe('compute agent config', () => {
  it("merges with the compute module's and the host's sections and loads upstream's defaults", () => {
    // The compute module's schema includes the agents' sections (once).
    for (const [section, options] of Object.entries(computeAgentConfig))
      for (const name of Object.keys(options))
        assert.ok(name in (computeConfig as Record<string, object>)[section]!, `[${section}] ${name}`)
    const schema = mergeSchemas(hostConfig, busConfig, computeConfig)
    const c = loadConfig(schema, { env: {} })
    assert.equal(c.DEFAULT.compute_driver, 'fake')
    assert.equal(c.DEFAULT.cpu_allocation_ratio, undefined)
    assert.deepEqual(
      [
        c.DEFAULT.initial_cpu_allocation_ratio,
        c.DEFAULT.initial_ram_allocation_ratio,
        c.DEFAULT.initial_disk_allocation_ratio,
      ],
      [16, 1.5, 1],
    )
    assert.deepEqual(
      [c.DEFAULT.reserved_host_memory_mb, c.DEFAULT.reserved_host_disk_mb, c.DEFAULT.reserved_host_cpus],
      [512, 0, 0],
    )
    assert.equal(c.DEFAULT.max_concurrent_builds, 10)
    assert.equal(c.fake_driver.hosts, 3)
    assert.throws(
      () => loadConfig(schema, { env: { OS_DEFAULT__COMPUTE_DRIVER: 'libvirt.LibvirtDriver' } }),
      /compute_driver/,
    )
  })

  it('update_resources_interval: 0 is every 60 s, below 0 never, else that many seconds', () => {
    assert.equal(updateIntervalMs({ update_resources_interval: 0 }), 60_000)
    assert.equal(updateIntervalMs({ update_resources_interval: -1 }), undefined)
    assert.equal(updateIntervalMs({ update_resources_interval: 15 }), 15_000)
  })
})
