/**
 * The configuration sections every Cloudlet process reads, whatever services it runs:
 * logging, the default database, the policy switches. Services add their own sections
 * in their module's `configSchema`.
 */
import { defineSections, opt } from './kernel/config/index.js'

export const hostConfig = defineSections({
  DEFAULT: {
    debug: opt.bool({ default: false, help: 'Log at debug level instead of info.' }),
    public_endpoint: opt.str({
      default: undefined,
      help: 'Base URL clients reach this cloud at (e.g. https://cloud.example.com); defaults to http://<host>:<port>.',
    }),
  },
  database: {
    connection: opt.str({
      default: undefined,
      secret: true,
      help: 'Database URL shared by services without their own (sqlite:///path, postgresql://..., mysql+pymysql://...). Unset: one SQLite file per service in the data directory.',
    }),
    max_pool_size: opt.int({
      default: 10,
      min: 1,
      help: 'Connections per service pool on PostgreSQL and MySQL.',
    }),
  },
  oslo_policy: {
    enforce_scope: opt.bool({
      default: true,
      help: 'Reject requests whose token scope (system, domain, project) is not one a policy rule accepts.',
    }),
    enforce_new_defaults: opt.bool({
      default: true,
      help: 'Use only the current default policies; when false, a request the deprecated rule allows passes too.',
    }),
    policy_file: opt.str({
      default: 'policy.yaml',
      help: 'Policy overrides (YAML or JSON), relative to the config file directory.',
    }),
  },
})
