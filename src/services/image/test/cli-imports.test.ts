/**
 * Acceptance: interoperable import and several stores through the real clients against
 * `cloudlet up` (two file stores, every import method, a loopback HTTP server the
 * operator allowed by name). Debian's openstackclient 6.0.0 predates `image create
 * --store/--method/--uri` and `image import`, so those steps use the glance CLI
 * (python3-glanceclient 4.1.0), which has each of them (its glance-download options are
 * read under the wrong names, so that one goes through the glanceclient library);
 * openstacksdk's import_image (python3-openstacksdk 0.101) does a web-download to a
 * named store.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import {
  type CloudProcess,
  openstackJson,
  startCloudProcess,
} from '../../../../test/support/cloud-process.js'

const run = promisify(execFile)
type Row = Record<string, unknown>

describe('image import and stores with the glance CLI and openstacksdk', { timeout: 900_000 }, () => {
  let cloud: CloudProcess
  let env: NodeJS.ProcessEnv
  let http: Server
  let port: number
  let disk: string
  let md5: string
  const requests: string[] = []

  const glance = async (args: string[]) => {
    try {
      // NOTE: stdin closed, not merely empty: the glance CLI reads image data from any
      // open stdin that is not a terminal, and refuses that with web-download.
      const cmd = 'exec 0<&- glance --os-image-api-version 2 "$@"'
      return (await run('sh', ['-c', cmd, 'glance', ...args], { env, timeout: 60_000 })).stdout
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string }
      throw new Error(`glance ${args.join(' ')} failed:\n${err.stdout}\n${err.stderr}`)
    }
  }
  const show = (id: string) => openstackJson<Row>(env, ['image', 'show', id])
  const until = async (id: string, done: (r: Row) => boolean): Promise<Row> => {
    for (let i = 0; i < 300; i++) {
      const r = await show(id)
      const props = (r.properties ?? {}) as Row
      if (done({ ...props, ...r })) return { ...props, ...r }
      await new Promise((res) => setTimeout(res, 100))
    }
    throw new Error(`image ${id} never got there: ${JSON.stringify(await show(id))}`)
  }
  /** The id in a glance CLI table (`| id | <uuid> |`). */
  const idOf = (table: string) => /\|\s*id\s*\|\s*([0-9a-f-]{36})/.exec(table)![1]!

  before(async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 3)
    md5 = createHash('md5').update(bytes).digest('hex')
    http = createServer((req, res) => {
      requests.push(req.url ?? '')
      if (req.url === '/disk.raw') res.writeHead(200, { 'content-length': bytes.length }).end(bytes)
      else res.writeHead(404).end()
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    port = (http.address() as AddressInfo).port
    cloud = await startCloudProcess({
      // Each start (and, below, each Python client) takes seconds more on a loaded machine.
      startTimeoutMs: 120_000,
      env: {
        OS_DEFAULT__ENABLED_BACKENDS: 'fast:file,cheap:file',
        OS_GLANCE_STORE__DEFAULT_BACKEND: 'fast',
        OS_DEFAULT__ENABLED_IMPORT_METHODS: 'glance-direct,web-download,copy-image,glance-download',
        OS_IMPORT_FILTERING_OPTS__ALLOWED_PORTS: `80,443,${port}`,
        OS_IMPORT_FILTERING_OPTS__ALLOWED_INTERNAL_HOSTS: '127.0.0.1',
      },
    })
    const creds = JSON.parse(readFileSync(join(cloud.dataDir, 'credentials.json'), 'utf8'))
    env = {
      ...cloud.env,
      OS_AUTH_URL: cloud.authUrl,
      OS_USERNAME: 'admin',
      OS_PASSWORD: creds.adminPassword,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3',
      OS_REGION_NAME: 'RegionOne',
    }
    disk = join(cloud.dataDir, 'disk.raw')
    writeFileSync(disk, bytes)
  })
  after(async () => {
    await cloud?.stop()
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()))
  })

  let webId: string

  it('glance stores-info lists both stores; image-create --store puts data in that store', async () => {
    const info = await glance(['stores-info'])
    assert.match(info, /fast/)
    assert.match(info, /cheap/)
    const out = await glance([
      'image-create',
      '--name',
      'on-cheap',
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--file',
      disk,
      '--store',
      'cheap',
    ])
    const img = await until(idOf(out), (r) => r.status === 'active')
    assert.equal(img.stores, 'cheap')
    assert.equal(img.checksum, md5)
  })

  it('image-create-via-import --import-method web-download --uri', async () => {
    const out = await glance([
      'image-create-via-import',
      '--name',
      'from-web',
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--import-method',
      'web-download',
      '--uri',
      `http://127.0.0.1:${port}/disk.raw`,
    ])
    webId = idOf(out)
    const img = await until(webId, (r) => r.status === 'active')
    assert.equal(img.checksum, md5)
    assert.equal(img.stores, 'fast')
    assert.ok(requests.includes('/disk.raw'))
  })

  it('image-import --import-method copy-image --stores cheap, then stores-delete', async () => {
    await glance(['image-import', webId, '--import-method', 'copy-image', '--stores', 'cheap'])
    const img = await until(webId, (r) => r.stores === 'cheap,fast' && r.os_glance_importing_to_stores === '')
    assert.equal(img.os_glance_failed_import, '')
    await glance(['stores-delete', webId, '--store', 'cheap'])
    await until(webId, (r) => r.stores === 'fast')
    const saved = join(cloud.dataDir, 'saved.raw')
    await glance(['image-download', webId, '--file', saved])
    assert.equal(createHash('md5').update(readFileSync(saved)).digest('hex'), md5)
  })

  it('glance-download from this region (glanceclient library: its 4.1.0 CLI drops the remote options)', async () => {
    const script = `
import sys, openstack
from glanceclient import Client
conn = openstack.connect()
gc = Client('2', session=conn.session, region_name='RegionOne')
img = gc.images.create(name='from-region', disk_format='raw', container_format='bare')
gc.images.image_import(img['id'], 'glance-download', remote_region='RegionOne',
                       remote_image_id=sys.argv[1], remote_service_interface='public')
print(img['id'])
`
    const { stdout } = await run('/usr/bin/python3', ['-c', script, webId], { env })
    const img = await until(stdout.trim().split('\n').at(-1)!, (r) => r.status === 'active')
    assert.equal(img.checksum, md5)
  })

  it("openstacksdk's import_image: web-download to a named store", async () => {
    const script = `
import json, sys, time, openstack
conn = openstack.connect()
img = conn.image.create_image(name='sdk-web', disk_format='raw', container_format='bare')
conn.image.import_image(img, method='web-download', uri=sys.argv[1], stores=['cheap'])
for _ in range(300):
    img = conn.image.get_image(img.id)
    if img.status == 'active':
        break
    time.sleep(0.1)
print(json.dumps({'status': img.status, 'checksum': img.checksum, 'stores': conn.image.get('/images/' + img.id).json().get('stores')}))
`
    const { stdout } = await run('/usr/bin/python3', ['-c', script, `http://127.0.0.1:${port}/disk.raw`], {
      env,
    })
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!)
    assert.deepEqual(r, { status: 'active', checksum: md5, stores: 'cheap' })
  })
})
