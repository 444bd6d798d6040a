/**
 * The configuration sections the host reads, whatever services a process runs: logging,
 * the default database, policy switches, how API requests are authenticated, CORS,
 * where metrics are served.
 * Services add their own sections in their module's `configSchema`.
 */
import { type ConfigOf, defineSections, opt } from '../config/index.js'

export const hostConfig = defineSections({
  DEFAULT: {
    host: opt.str({
      default: undefined,
      help: "This process's host name in the service registry (compute agents: the hypervisor host). Unset: the machine's host name.",
    }),
    report_interval: opt.int({
      default: 10,
      min: 1,
      help: "Seconds between a worker process's heartbeats in the service registry.",
    }),
    service_down_time: opt.int({
      default: 60,
      min: 1,
      help: 'A worker whose last heartbeat is older than this many seconds is down.',
    }),
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
  metrics: {
    api_access: opt.enum({
      choices: ['admin', 'public', 'disabled'] as const,
      default: 'admin',
      help: 'Who may read Prometheus metrics at /metrics on the API port: admin (a token with the admin role in X-Auth-Token; with noauth2 and no identity, no one), public (anyone who reaches the port) or disabled (404).',
    }),
    bind_port: opt.port({
      default: undefined,
      help: 'Serve /metrics without authentication on a listener of its own at this port (0 picks a free one), for a scraper that cannot fetch tokens. Unset: no such listener.',
    }),
    bind_host: opt.str({
      default: '127.0.0.1',
      help: 'Address of the metrics listener set by bind_port; keep it on a loopback or management network, since it asks for no token.',
    }),
  },
  api: {
    auth_strategy: opt.enum({
      choices: ['keystone', 'noauth2'] as const,
      default: 'keystone',
      help: 'How API requests are authenticated: keystone tokens, or noauth2 (`user[:project]` tokens; testing only). Identity always uses its own tokens.',
    }),
  },
  keystone_authtoken: {
    auth_url: opt.str({
      default: undefined,
      help: "Identity's URL (e.g. http://host:5000/identity) for a process that does not run identity: tokens are validated by asking it. Unset: validated locally against identity's database.",
    }),
    token_cache_time: opt.int({
      default: 300,
      min: 0,
      help: 'Seconds a token validated through auth_url is remembered.',
    }),
  },
  service_endpoints: {
    endpoints: opt.list({
      default: [],
      help: 'Where services of other processes answer, as type=URL items (placement=http://h:8778/placement); services of this process are called in-process.',
    }),
  },
  cors: {
    allowed_origin: opt.list({
      default: [],
      help: 'Origins allowed to share this resource (the Origin header values).',
    }),
    allow_credentials: opt.bool({
      default: true,
      help: 'Whether the actual request may include user credentials.',
    }),
    expose_headers: opt.list({ default: [], help: 'Headers exposed to the API.' }),
    max_age: opt.int({
      default: 3600,
      min: 0,
      help: 'Maximum cache age of CORS preflight requests, in seconds.',
    }),
    allow_methods: opt.list({
      default: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'],
      help: 'Methods allowed in the actual request.',
    }),
    allow_headers: opt.list({ default: [], help: 'Headers allowed in the actual request.' }),
  },
})

export type HostConfig = ConfigOf<typeof hostConfig>
