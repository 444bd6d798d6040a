/**
 * `cloudlet volume update-host --currenthost A --newhost B`: cinder-manage's
 * `volume update_host` without touching the database. Logs in as the clouds.yaml entry
 * (--os-cloud, $OS_CLOUD, else cloudlet-admin) and asks block storage's admin route
 * `POST /v3/cloudlet-volume/update-host`, which re-homes every volume and group of
 * host A (`host@backend`, any pool) on B, a registered volume host. Prints how many
 * volumes moved; exit 0, or 1 when the service refused (its message printed).
 */
import { cloudOf, endpoint, login } from './scheduler-explain.js'

export async function volumeUpdateHost(x: {
  currentHost: string
  newHost: string
  cloud?: string
}): Promise<number> {
  const { auth, region } = cloudOf(x.cloud ?? process.env.OS_CLOUD ?? 'cloudlet-admin')
  const { token, catalog } = await login(auth)
  const volume = endpoint(catalog, 'block-storage', region) ?? endpoint(catalog, 'volumev3', region)
  if (!volume) throw new Error('the catalog has no block-storage endpoint')
  // the catalog's endpoint may carry the project (`/v3/<project>`); the route needs none
  const base = volume.replace(/\/v3(\/[^/]+)?\/?$/, '/v3')
  const res = await fetch(`${base}/cloudlet-volume/update-host`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', 'x-auth-token': token },
    body: JSON.stringify({ currenthost: x.currentHost, newhost: x.newHost }),
  })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    body = { message: text }
  }
  if (!res.ok) {
    const fault = Object.values(body)[0] as { message?: string } | undefined
    console.error(`update-host refused (${res.status}): ${fault?.message ?? text}`)
    return 1
  }
  console.log(`${body.volumes_moved} volume(s) moved from ${x.currentHost} to ${x.newHost}`)
  return 0
}
