/**
 * Compute's configuration, with Nova's section and option names: `[quota]` defaults,
 * `[api] max_limit`, the availability zone names of `[DEFAULT]`, and
 * `[api_database] connection` for the compute API's own tables.
 */

import { computeAgentConfig } from '../../agents/compute/config.js'
import { type ConfigOf, defineSections, mergeSchemas, opt } from '../../kernel/config/index.js'
import type { HostConfig } from '../../kernel/host/index.js'
import { schedulerConfig } from '../../scheduler/config.js'

const quota = (name: string, def: number) =>
  opt.int({ default: def, min: -1, help: `Default ${name} quota of a project; -1 is unlimited.` })

export const computeApiConfig = defineSections({
  DEFAULT: {
    long_rpc_timeout: opt.int({
      default: 1800,
      min: 1,
      help: 'Seconds a call that may take long waits for its reply (select_destinations: a burst of boots queues behind the decisions before it), instead of rpc_response_timeout.',
    }),
    reclaim_instance_interval: opt.int({
      default: 0,
      help: 'Seconds a deleted server stays SOFT_DELETED (restorable) before it is reclaimed; 0 or less: deletes are immediate.',
    }),
    resize_confirm_window: opt.int({
      default: 0,
      min: 0,
      help: 'Seconds after which a resize or cold migration waiting in VERIFY_RESIZE is confirmed automatically; 0: never.',
    }),
    allow_resize_to_same_host: opt.bool({
      default: false,
      help: "A resize may pick the server's own host (a cold migration never does).",
    }),
    shelved_offload_time: opt.int({
      default: 0,
      min: -1,
      help: 'Seconds a shelved server keeps its host before it is offloaded; 0: at once; -1: never.',
    }),
    non_inheritable_image_properties: opt.list({
      default: ['cache_in_nova', 'bittorrent'],
      help: "Image properties a snapshot (createImage, shelve) does not copy from the server's image.",
    }),
    shelved_poll_interval: opt.int({
      default: 3600,
      help: 'Seconds between checks for shelved servers due for offloading; 0 or less: never.',
    }),
    instance_usage_audit_period: opt.str({
      default: 'month',
      help: 'The period os-instance-usage-audit-log reports on: hour, day, month or year, with an optional @offset (month@15: from the 15th to the 15th).',
    }),
    default_availability_zone: opt.str({
      default: 'nova',
      help: 'The availability zone of compute hosts that no aggregate puts in a zone.',
    }),
    internal_service_availability_zone: opt.str({
      default: 'internal',
      help: 'The availability zone of services other than compute hosts; never listed to users.',
    }),
  },
  api: {
    max_limit: opt.int({
      default: 1000,
      min: 0,
      help: 'The largest number of items a list answers at once, whatever limit asks for.',
    }),
    enable_instance_password: opt.bool({
      default: true,
      help: 'Return the admin password in the answers of create, rebuild, rescue and evacuate.',
    }),
  },
  api_database: {
    connection: opt.str({
      default: undefined,
      secret: true,
      help: "Database URL of the compute API's tables; unset: [database] connection, else <data-dir>/compute.db.",
    }),
  },
  quota: {
    instances: quota('servers', 10),
    cores: quota('vCPU', 20),
    ram: quota('RAM (MiB)', 51200),
    metadata_items: quota('metadata items per server', 128),
    injected_files: quota('injected files per server', 5),
    injected_file_content_bytes: quota('injected file size (bytes)', 10240),
    injected_file_path_length: quota('injected file path length', 255),
    key_pairs: quota('key pairs per user', 100),
    server_groups: quota('server groups', 10),
    server_group_members: quota('servers per server group', 10),
    driver: opt.enum({
      choices: [
        'nova.quota.DbQuotaDriver',
        'nova.quota.UnifiedLimitsDriver',
        'nova.quota.NoopQuotaDriver',
      ] as const,
      default: 'nova.quota.DbQuotaDriver',
      help: "DbQuotaDriver: limits from the quota tables and these defaults; UnifiedLimitsDriver: identity's registered and project limits of the compute service (servers, class:VCPU, class:MEMORY_MB, ...), usage from placement, strict two-level when identity's [unified_limit] enforcement_model says so; NoopQuotaDriver: everything unlimited.",
    }),
    count_usage_from_placement: opt.bool({
      default: false,
      help: 'Count cores and ram from placement usages (plus builds placement has not seen yet) rather than from the instances; instances are counted from the instance mappings either way. Always on with the UnifiedLimitsDriver.',
    }),
    recheck_quota: opt.bool({
      default: true,
      help: 'Count again after creating a key pair or server group and undo the creation if a concurrent request took the last unit.',
    }),
  },
})

/**
 * The compute module's sections: the API's, the scheduler's and the agents' (one schema
 * for `cloudlet config check`).
 */
export const computeConfig = mergeSchemas(computeApiConfig, schedulerConfig, computeAgentConfig)

export type ComputeConfig = ConfigOf<typeof computeApiConfig> &
  ConfigOf<typeof schedulerConfig> &
  ConfigOf<typeof computeAgentConfig> &
  HostConfig
