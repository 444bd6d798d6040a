import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkConfig } from './check-config.js'
import { ConfigError, type ConfigProblem } from './config-error.js'
import { loadConfig } from './load-config.js'
import { defineSections, mergeSchemas, type NamedSections, namedSection, opt } from './schema.js'
import { writeFiles } from './test-support.js'

/** Two services that both read `[DEFAULT] backends`, one of them with a section per `<id>:disk` item. */
const backends = () => opt.list({ default: [], shared: true, help: 'Backends, bare or <id>:disk.' })

const diskSection: NamedSections = {
  namedBy: { section: 'DEFAULT', option: 'backends' },
  sectionOf: (item) => (item.endsWith(':disk') ? item.split(':')[0] : undefined),
  kind: 'disk store',
  options: {
    datadir: opt.str({ help: 'Where the store keeps its data.' }),
    weight: opt.int({ default: 0, min: 0, help: 'Preference among stores.' }),
  },
}

const storesService = defineSections(
  {
    DEFAULT: { backends: backends() },
    stores: { default_store: opt.str({ help: 'The default store.' }) },
  },
  { named: [diskSection] },
)
const volumesService = defineSections({
  DEFAULT: { backends: backends() },
  lvm: { volume_group: opt.str({ default: 'vg', help: 'The volume group.' }) },
})
const schema = mergeSchemas(storesService, volumesService)

const lines = (problems: readonly ConfigProblem[]) =>
  problems.map((p) => `${p.line} ${p.severity} [${p.section}] ${p.option}: ${p.message}`)

describe('operator-named sections', () => {
  it('reads the section each item names, typed and validated like any other', () => {
    const [file] = writeFiles(
      '[DEFAULT]\nbackends = lvm, fast:disk, Cheap:disk\n[fast]\ndatadir = /srv/fast\nweight = 3\n[cheap]\ndatadir = /srv/cheap\n',
    )
    const config = loadConfig(schema, { files: [file!] })
    assert.deepEqual(config.DEFAULT.backends, ['lvm', 'fast:disk', 'Cheap:disk'])
    assert.deepEqual(namedSection(config, diskSection, 'fast'), { datadir: '/srv/fast', weight: 3 })
    // Section headers are lowercased, so the store Cheap reads [cheap].
    assert.deepEqual(namedSection(config, diskSection, 'Cheap'), { datadir: '/srv/cheap', weight: 0 })
    // A name no item gives: the options' defaults.
    assert.deepEqual(namedSection(config, diskSection, 'other'), { datadir: undefined, weight: 0 })
  })

  it('the naming option and the sections may come from different files and the environment', () => {
    const [a, b] = writeFiles('[DEFAULT]\nbackends = fast:disk\n', '[fast]\nweight = 2\n[slow]\nweight = 9\n')
    const config = loadConfig(schema, {
      files: [a!, b!],
      env: { OS_DEFAULT__BACKENDS: 'fast:disk,slow:disk', OS_SLOW__DATADIR: '/srv/slow' },
    })
    assert.equal(namedSection(config, diskSection, 'fast').weight, 2)
    assert.deepEqual(namedSection(config, diskSection, 'slow'), { datadir: '/srv/slow', weight: 9 })
  })

  it('an invalid value in a named section stops the load; a section no item names is not read', () => {
    const [file] = writeFiles('[DEFAULT]\nbackends = fast:disk\n[fast]\nweight = -1\n[slow]\nweight = nine\n')
    try {
      loadConfig(schema, { files: [file!] })
      assert.fail('expected a ConfigError')
    } catch (err) {
      assert.ok(err instanceof ConfigError)
      assert.deepEqual(lines(err.problems), ['4 error [fast] weight: invalid value "-1": must be at least 0'])
    }
  })

  it('refuses an item whose section is already another section of the program', () => {
    const [file] = writeFiles('[DEFAULT]\nbackends = lvm:disk, stores:disk\n')
    assert.throws(
      () => loadConfig(schema, { files: [file!] }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.length === 2 &&
        err.problems.every((p) => p.option === 'backends' && /already a section/.test(p.message)),
    )
    assert.deepEqual(
      checkConfig(schema, [file!]).problems.map((p) => p.message),
      [
        '"lvm:disk" names the disk store section [lvm], which is already a section of this program (or named twice); choose another name',
        '"stores:disk" names the disk store section [stores], which is already a section of this program (or named twice); choose another name',
      ],
    )
  })

  it('config check names misspelt options and sections of named sections, and sections no item names', () => {
    const [a, b] = writeFiles(
      '[DEFAULT]\nbackends = fast:disk, cheap:disk\n',
      '[fast]\ndatadri = /srv/fast\n[chep]\nweight = 1\n[slow]\nweight = 1\n',
    )
    assert.deepEqual(lines(checkConfig(schema, [a!, b!]).problems), [
      '2 warning [fast] datadri: unknown option; did you mean [fast] datadir?',
      '3 warning [chep] : unknown section; did you mean [cheap]?',
      '5 warning [slow] : unknown section',
    ])
  })

  it('start-up (warnUnknown) names unknown options and misspelt sections, not foreign sections', () => {
    const [file] = writeFiles(
      '[DEFAULT]\nbackends = fast:disk\nbakends = x\n[fast]\nwieght = 1\n[fst]\nweight = 1\n[oslo_messaging_rabbit]\nrabbit_ha_queues = true\n',
    )
    const warnings: ConfigProblem[] = []
    loadConfig(schema, { files: [file!], warnUnknown: true, onWarning: (w) => warnings.push(w) })
    assert.deepEqual(lines(warnings), [
      '3 warning [DEFAULT] bakends: unknown option; did you mean [DEFAULT] backends?',
      '5 warning [fast] wieght: unknown option; did you mean [fast] weight?',
      '6 warning [fst] : unknown section; did you mean [fast]?',
    ])
    const quiet: ConfigProblem[] = []
    loadConfig(schema, { files: [file!], onWarning: (w) => quiet.push(w) })
    assert.deepEqual(quiet, [], 'without warnUnknown the loader stays silent, as oslo.config')
  })
})

describe('shared options', () => {
  it('two services may declare one option shared, of the same kind and default; help is joined', () => {
    const help = schema.DEFAULT.backends.help
    assert.equal(help, 'Backends, bare or <id>:disk.')
    const a = defineSections({ DEFAULT: { x: opt.int({ default: 1, shared: true, help: 'A reads x.' }) } })
    const b = defineSections({ DEFAULT: { x: opt.int({ default: 1, shared: true, help: 'B reads x.' }) } })
    assert.equal(mergeSchemas(a, b).DEFAULT.x.help, 'A reads x. B reads x.')
  })

  it('any other second declaration is refused', () => {
    const shared = (spec: { default: number; shared?: boolean }) =>
      defineSections({ DEFAULT: { x: opt.int({ help: 'x', ...spec }) } })
    for (const [a, b] of [
      [shared({ default: 1 }), shared({ default: 1 })],
      [shared({ default: 1, shared: true }), shared({ default: 1 })],
      [shared({ default: 1, shared: true }), shared({ default: 2, shared: true })],
    ] as const)
      assert.throws(() => mergeSchemas(a, b), /declared twice/)
  })
})
