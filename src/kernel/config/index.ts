/**
 * Configuration: oslo.config-style INI files and `OS_<SECTION>__<OPTION>` variables read
 * into one validated, frozen, typed object; plus the checks and samples operators need.
 */
export { type CheckResult, checkConfig } from './check-config.js'
export { ConfigError, type ConfigProblem, formatProblem, formatProblems } from './config-error.js'
export { describeSchema, formatConfig } from './describe-schema.js'
export { envName, type LoadOptions, loadConfig } from './load-config.js'
export { type IniDocument, type IniEntry, parseIni } from './parse-ini.js'
export {
  type ConfigOf,
  type DeprecatedName,
  defineSections,
  type EnumSpec,
  type MergedSchema,
  mergeSchemas,
  type NamedSections,
  namedSection,
  namedSectionsOf,
  type Opt,
  type OptKind,
  type OptSpec,
  opt,
  type ParseResult,
  type RangeSpec,
  type SchemaShape,
  type SectionShape,
  type SectionsExtras,
  type StrSpec,
} from './schema.js'
