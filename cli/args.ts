// Flag parsing for the CLI on top of node:util parseArgs, with errors that say which flag is wrong.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.js';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;
export type Flags = Record<string, string | boolean | undefined>;

export function parseFlags(argv: string[], spec: FlagSpec, command: string): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: attachNegativeValues(argv, spec), options: { ...spec, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { flags: values as Flags, positionals };
  } catch (e) {
    // parseArgs messages are already specific ("Unknown option '--x'"); add how to get help.
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw usageError(`${command}: ${message} (see "edgevae ${command} --help")`);
  }
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * parseArgs takes `--n -3` for two options ("argument is ambiguous"); a negative number right after a
 * flag that takes a value is that flag's value, so the range check can name it.
 */
export function attachNegativeValues(argv: string[], spec: FlagSpec): string[] {
  const byShort = new Map(Object.entries(spec).filter(([, o]) => o.short).map(([name, o]) => [o.short!, name]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith('--') ? arg.slice(2) : /^-[^-\d]$/.test(arg) ? byShort.get(arg[1]) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && spec[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function requireString(flags: Flags, name: string, command: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.length === 0) throw usageError(`${command}: missing --${name} (see "edgevae ${command} --help")`);
  return v;
}

/** Integer flag in [min, max]; `fallback` when absent. */
export function intFlag(flags: Flags, name: string, command: string, fallback: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = flags[name];
  if (v === undefined) {
    if (fallback === undefined) throw usageError(`${command}: missing --${name} (see "edgevae ${command} --help")`);
    return fallback;
  }
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${command}: --${name} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}, got '${String(v)}'`);
  }
  return n;
}

export function numberFlag(flags: Flags, name: string, command: string, fallback: number, min: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < min) throw usageError(`${command}: --${name} must be a number >= ${min}, got '${String(v)}'`);
  return n;
}
