/**
 * Writes Cloudlet's entries into the user's clouds.yaml, keeping every other cloud in
 * the file as it was. The openstack CLI and openstacksdk read the file at
 * $OS_CLIENT_CONFIG_FILE, else ~/.config/openstack/clouds.yaml.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import yaml from 'js-yaml'

export interface CloudEntry {
  authUrl: string
  username: string
  password: string
  projectName: string
  regionName: string
}

export function cloudsYamlPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.OS_CLIENT_CONFIG_FILE ?? join(homedir(), '.config', 'openstack', 'clouds.yaml')
}

function entry(e: CloudEntry) {
  return {
    auth: {
      auth_url: e.authUrl,
      username: e.username,
      password: e.password,
      project_name: e.projectName,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    region_name: e.regionName,
    interface: 'public',
    identity_api_version: 3,
    // NOTE: the CLI otherwise asks for compute 2.1, which predates `--network none|auto`
    // (2.37) and most of what the API offers; clients that pin a version still can.
    compute_api_version: '2.latest',
  }
}

/** Adds or replaces `entries` by cloud name; writes atomically with mode 0600. */
export function writeCloudsYaml(path: string, entries: Record<string, CloudEntry>): void {
  let doc: { clouds?: Record<string, unknown> } = {}
  if (existsSync(path)) {
    const loaded = yaml.load(readFileSync(path, 'utf8'))
    if (loaded && typeof loaded === 'object') doc = loaded as typeof doc
  }
  doc.clouds = { ...(doc.clouds ?? {}) }
  for (const [name, e] of Object.entries(entries)) doc.clouds[name] = entry(e)
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, yaml.dump(doc, { lineWidth: 200 }), { mode: 0o600 })
  renameSync(tmp, path)
}
