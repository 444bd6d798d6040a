/**
 * Shared request schema pieces, as Nova's parameter types define them: names of
 * printable characters, numbers that may come as strings, booleans in oslo's
 * spellings, metadata maps, list paging parameters.
 */

/** Printable: not a control, format or unassigned character, not a line or paragraph separator. */
const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u
const isPrintable = (s: string) =>
  // NOTE: upstream's character ranges stop at U+FFFF; characters beyond are refused.
  !NON_PRINTABLE.test(s) && [...s].every((c) => c.codePointAt(0)! <= 0xffff)
const isSpace = (c: string | undefined) => c !== undefined && /\p{Zs}/u.test(c)

interface NameFormat {
  test: (s: string) => boolean
  reason: string
}

function keypairChars(safe: string): NameFormat {
  return {
    test: (s) => [...s].every((c) => safe.includes(c)),
    reason: `Only expected characters: [${safe}]`,
  }
}

const DIGITS_LETTERS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** The name formats Nova checks with its own messages (InvalidName). */
export const NAME_FORMATS: Readonly<Record<string, NameFormat>> = {
  name: {
    test: (s) => isPrintable(s) && !isSpace(s[0]) && !isSpace(s[s.length - 1]),
    reason: 'printable characters. Can not start or end with whitespace.',
  },
  name_with_leading_trailing_spaces: {
    test: (s) => isPrintable(s) && /[^\p{Zs}]/u.test(s),
    reason: 'printable characters with at least one non space character',
  },
  az_name: {
    test: (s) => isPrintable(s) && !s.includes(':') && !isSpace(s[0]) && !isSpace(s[s.length - 1]),
    reason: 'printable characters except :.Can not start or end with whitespace.',
  },
  az_name_with_leading_trailing_spaces: {
    test: (s) => isPrintable(s) && !s.includes(':') && /[^\p{Zs}]/u.test(s),
    reason: 'printable characters except :, with at least one non space character',
  },
  keypair_name_20: keypairChars(`_- ${DIGITS_LETTERS}`),
  keypair_name_292: keypairChars(`@._- ${DIGITS_LETTERS}`),
}

export function nameFormatMessage(format: string, _value: unknown): string {
  return `An invalid 'name' value was provided. The name must be: ${NAME_FORMATS[format]!.reason}`
}

export const name = { type: 'string', minLength: 1, maxLength: 255, format: 'name' } as const
export const nameWithSpaces = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  format: 'name_with_leading_trailing_spaces',
} as const
export const azName = { type: 'string', minLength: 1, maxLength: 255, format: 'az_name' } as const

/** Printable characters (spaces included), any length the field allows. */
export const DESCRIPTION_PATTERN = '^[^\\p{C}\\p{Zl}\\p{Zp}]*$'

export const boolean = {
  type: ['boolean', 'string'],
  enum: [
    true,
    'True',
    'TRUE',
    'true',
    '1',
    'ON',
    'On',
    'on',
    'YES',
    'Yes',
    'yes',
    false,
    'False',
    'FALSE',
    'false',
    '0',
    'OFF',
    'Off',
    'off',
    'NO',
    'No',
    'no',
  ],
} as const

/** oslo's bool_from_string for the spellings `boolean` accepts. */
export function toBool(value: boolean | string): boolean {
  return typeof value === 'boolean' ? value : ['true', '1', 'on', 'yes'].includes(value.toLowerCase())
}

export const positiveInteger = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, minLength: 1 }
export const nonNegativeInteger = {
  type: ['integer', 'string'],
  pattern: '^[0-9]*$',
  minimum: 0,
  minLength: 1,
}

/** Flavor sizes: integers, or strings of digits, up to a 32-bit signed maximum. */
export const flavorPositive = {
  type: ['integer', 'string'],
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: 0x7fffffff,
}
export const flavorNonNegative = { ...flavorPositive, minimum: 0 }

const METADATA_KEY = '^[a-zA-Z0-9-_:. ]{1,255}$'

export const metadata = {
  type: 'object',
  patternProperties: { [METADATA_KEY]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
} as const

export const metadataWithNull = {
  type: 'object',
  patternProperties: { [METADATA_KEY]: { type: ['string', 'null'], maxLength: 255 } },
  additionalProperties: false,
} as const

/** A query parameter that may repeat: its values as a list. */
export const multi = (items: Record<string, unknown>) => ({ type: 'array', items })

export const paging = {
  limit: multi(nonNegativeInteger),
  marker: multi({ type: 'string' }),
}

/** A query schema: unknown parameters pass before 2.75 and are a 400 from 2.75 on. */
export function querySchema(properties: Record<string, unknown>, strict: boolean) {
  return { type: 'object', properties, additionalProperties: !strict }
}
