/**
 * Glance's multi-store configuration as an operator pastes it from glance-api.conf:
 * `[DEFAULT] enabled_backends = fast:file, cheap:file` and a section per store
 * (`[fast] filesystem_store_datadir`, `store_description`), read by the loader, named by
 * `config check` and by start-up when misspelt, and honoured by the stores.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { CLOUDLET } from '../../../../test/support/cloud-process.js'
import { fullSchema } from '../../../cloud.js'
import { ConfigError, checkConfig, loadConfig, namedSection } from '../../../kernel/config/index.js'
import { fileStoreSection, httpStoreSection } from '../config.js'
import { parseBackends } from '../files/store-set.js'
import { call, createImage, OCTET, startHarness, upload } from './harness.js'

const DATA = Buffer.from('image bytes in their own store')
const dir = mkdtempSync(join(tmpdir(), 'cloudlet-image-stores-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function confFile(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** What an operator pastes from glance-api.conf, unchanged. */
const GLANCE_API_CONF = `[DEFAULT]
enabled_backends = fast:file, cheap:file, web:http

[glance_store]
default_backend = fast

[fast]
filesystem_store_datadir = /srv/glance/fast
store_description = Fast store

[cheap]
filesystem_store_datadir = cheap-store

[web]
store_description = Images on the web
`

describe('stores configured as glance-api.conf writes them', () => {
  it('loads [DEFAULT] enabled_backends and a section per store with the whole program', () => {
    const config = loadConfig(fullSchema(), {
      files: [confFile('glance-api.conf', GLANCE_API_CONF)],
    }) as Record<string, Record<string, unknown>>
    assert.deepEqual(parseBackends(config.DEFAULT!.enabled_backends as string[]), [
      { id: 'fast', type: 'file' },
      { id: 'cheap', type: 'file' },
      { id: 'web', type: 'http' },
    ])
    assert.deepEqual(namedSection(config, fileStoreSection, 'fast'), {
      filesystem_store_datadir: '/srv/glance/fast',
      store_description: 'Fast store',
    })
    assert.equal(namedSection(config, fileStoreSection, 'cheap').filesystem_store_datadir, 'cheap-store')
    assert.equal(namedSection(config, httpStoreSection, 'web').store_description, 'Images on the web')
  })

  it("shares [DEFAULT] enabled_backends with the volume service: bare names are Cinder's backends", () => {
    const config = loadConfig(fullSchema(), {
      files: [
        confFile(
          'both.conf',
          '[DEFAULT]\nenabled_backends = file, fast:file\n[fast]\nstore_description = F\n',
        ),
      ],
    }) as Record<string, Record<string, unknown>>
    assert.deepEqual(parseBackends(config.DEFAULT!.enabled_backends as string[]), [
      { id: 'fast', type: 'file' },
    ])
    assert.equal(namedSection(config, fileStoreSection, 'fast').store_description, 'F')
  })

  it("refuses a store named like another section of the program (the volume service's [file])", () => {
    const file = confFile('clash.conf', '[DEFAULT]\nenabled_backends = file:file\n')
    assert.throws(
      () => loadConfig(fullSchema(), { files: [file] }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /"file:file" names the image file store section \[file\]/.test(err.message),
    )
    assert.ok(checkConfig(fullSchema(), [file]).problems.some((p) => p.severity === 'error'))
  })

  it('each file store keeps its data where its section says; descriptions shown; a restart keeps both', async () => {
    const fastDir = join(dir, 'fast-data')
    const h = await startHarness({
      config: {
        DEFAULT: { enabled_backends: ['fast:file', 'cheap:file'] },
        glance_store: { default_backend: 'fast' },
        fast: { filesystem_store_datadir: fastDir, store_description: 'Fast store' },
        cheap: { filesystem_store_datadir: 'cheap-store' },
      },
    })
    try {
      const stores = (await call(h, 'alice', 'GET', '/v2/info/stores')).json.stores
      assert.deepEqual(stores, [
        { id: 'fast', description: 'Fast store', default: true },
        { id: 'cheap', description: 'file store cheap' },
      ])
      const onFast = await createImage(h, 'alice')
      assert.equal((await upload(h, 'alice', onFast, DATA)).status, 204)
      assert.ok(
        existsSync(join(fastDir, onFast)),
        'the default store writes in [fast] filesystem_store_datadir',
      )
      assert.ok(!existsSync(join(h.dataDir, 'images', 'fast', onFast)))
      const onCheap = await createImage(h, 'alice')
      const r = await call(h, 'alice', 'PUT', `/v2/images/${onCheap}/file`, DATA, {
        ...OCTET,
        'x-image-meta-store': 'cheap',
      })
      assert.equal(r.status, 204)
      // A relative directory lies inside the service's data directory.
      assert.ok(existsSync(join(h.dataDir, 'cheap-store', onCheap)))

      await h.image.close()
      const again = await h.restart()
      assert.deepEqual(again.recovered.removed, [], 'the restart sweep keeps both stores’ files')
      for (const id of [onFast, onCheap]) {
        const got = await call(h, 'alice', 'GET', `/v2/images/${id}/file`)
        assert.ok(got.raw.equals(DATA), id)
      }
    } finally {
      await h.close()
    }
  })
})

/** A file with one misspelling of each kind an operator makes in the image service's sections. */
const MISSPELT = `[DEFAULT]
enabled_backends = fast:file, cheap:file
image_cache_dri = image-cache
[glance_store]
enabled_backends = fast:file
default_backnd = fast
[fast]
filesystem_store_datdir = /srv/fast
[chep]
filesystem_store_datadir = /srv/cheap
[import_filtering_opts]
allowed_internal_host = 127.0.0.1
`

const NAMED = [
  '[DEFAULT] image_cache_dri: unknown option; did you mean [DEFAULT] image_cache_dir?',
  '[glance_store] enabled_backends: unknown option; did you mean [DEFAULT] enabled_backends?',
  '[glance_store] default_backnd: unknown option; did you mean [glance_store] default_backend?',
  '[fast] filesystem_store_datdir: unknown option; did you mean [fast] filesystem_store_datadir?',
  '[chep]: unknown section; did you mean [cheap]?',
  '[import_filtering_opts] allowed_internal_host: unknown option; did you mean [import_filtering_opts] allowed_internal_hosts?',
]

describe("unknown or misspelt options in the image service's sections", () => {
  it('config check names each, with what was meant', () => {
    const file = confFile('misspelt.conf', MISSPELT)
    const found = checkConfig(fullSchema(), [file]).problems.map(
      (p) => `[${p.section}]${p.option ? ` ${p.option}` : ''}: ${p.message}`,
    )
    assert.deepEqual(found, NAMED)
  })

  it('start-up (cloudlet up) names each in its log, and starts', { timeout: 120_000 }, async () => {
    const file = confFile('misspelt-up.conf', MISSPELT)
    const dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-image-misspelt-'))
    const child = spawn(
      process.execPath,
      [
        CLOUDLET,
        'up',
        '--services',
        'image',
        '--port',
        '16111',
        '--data-dir',
        dataDir,
        '--config-file',
        file,
      ],
      { env: { ...process.env, OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4' }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    try {
      await new Promise<void>((resolve, reject) => {
        // NOTE: a slow start fails the test here, never leaves the process behind.
        const timer = setTimeout(
          () => reject(new Error(`cloudlet did not start in 100 s:\n${output}`)),
          100_000,
        )
        const seen = (chunk: Buffer) => {
          output += chunk.toString()
          if (/Cloudlet (is up|API serving)/.test(output)) {
            clearTimeout(timer)
            resolve()
          }
        }
        child.stdout.on('data', seen)
        child.stderr.on('data', seen)
        child.on('exit', (code) => reject(new Error(`cloudlet exited with ${code}:\n${output}`)))
      })
      for (const line of NAMED) assert.ok(output.includes(line), `${line}\nnot in:\n${output}`)
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGINT')
        await exited
      }
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
