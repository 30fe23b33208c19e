// Typed values of `--name value` flags held in a map (the `train` command's parser), each refused with a usage
// error that names the flag and what it expected.
import { usageError } from './errors.js';

export interface FlagValues {
  values: Map<string, string>;
}

/** A number (an integer when `integer`), or `fallback` when the flag is absent. */
export function num(args: FlagValues, name: string, fallback: number, integer: boolean): number {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw usageError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  return v;
}

/** An integer >= 1, or undefined when the flag is absent. */
export function positive(args: FlagValues, name: string): number | undefined {
  if (!args.values.has(name)) return undefined;
  const v = num(args, name, 0, true);
  if (v < 1) throw usageError(`--${name}: expected a positive integer, got '${args.values.get(name)}'`);
  return v;
}

/** One of `choices`, or `fallback` when the flag is absent. */
export function oneOf<T extends string>(args: FlagValues, name: string, choices: readonly T[], fallback: T): T {
  const raw = args.values.get(name) ?? fallback;
  if (!(choices as readonly string[]).includes(raw)) throw usageError(`--${name}: expected ${choices.join(' | ')}, got '${raw}'`);
  return raw as T;
}
