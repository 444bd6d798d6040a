/** `--name value` options of a benchmark's command line. */
export function optionReader(argv: readonly string[]) {
  const get = (name: string, def?: string): string => {
    const i = argv.indexOf(`--${name}`)
    if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1]!
    if (def === undefined) throw new Error(`--${name} is required`)
    return def
  }
  /** The option's value, or undefined when it is not given. */
  const maybe = (name: string): string | undefined => (argv.includes(`--${name}`) ? get(name) : undefined)
  return { get, maybe }
}
