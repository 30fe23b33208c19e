// What defines a training run beyond the model config and the settings: the data and its limits.
// The checkpoint stores it so `edgevae train --out DIR --resume` needs no other flag, and a flag given
// with --resume that contradicts the stored run is refused instead of silently training something else.
// Image runs (train.ts) and sequence runs (seq-train.ts) share it: each kind lists the flag values its
// checkpoint stands for, and the agreement check, the resume flow and the resume command are the same.
import { existsSync } from 'node:fs';
import { usageError, UserError } from '../cli/errors.js';
import { loadCheckpoint } from './checkpoint.js';

export { dataSourceKey, runValues, type RunDefinition } from './run-values.js';
import { dataSourceKey, type RunDefinition } from './run-values.js';

/** Flags compared as text; everything not listed here and not `data`/`widths` is compared as a number. */
const TEXT_FLAGS = new Set(['model', 'recon', 'ae', 'cell', 'kl-schedule', 'bidirectional']);

function sameValue(flag: string, given: string, stored: string | undefined): boolean {
  if (stored === undefined) return false; // e.g. --limit-train given, the run used all images
  if (flag === 'data') return dataSourceKey(given) === stored;
  if (TEXT_FLAGS.has(flag)) return given === stored;
  if (flag === 'widths') return given.split(',').map(Number).join(',') === stored;
  return Number(given) === Number(stored);
}

/**
 * "--limit-train 500 (the run has 128)" for every run-defining flag in `given` that differs from the
 * stored values. `given` maps flag names to their raw values ('true' for flags without a value).
 */
export function resumeConflicts(given: Map<string, string>, stored: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [flag, value] of given) {
    if (!Object.hasOwn(stored, flag)) continue;
    if (!sameValue(flag, value, stored[flag])) {
      const was = stored[flag] === undefined ? 'none' : stored[flag];
      if (flag === 'ae') out.push(`--ae (the run is ${stored.ae === 'true' ? 'an autoencoder' : 'a VAE'})`);
      else if (value === 'true' && (was === 'true' || was === 'false')) out.push(
        `--${flag} (the run has ${was === 'true' ? 'it' : 'no --' + flag})`);
      else out.push(`--${flag} ${value} (the run has ${was})`);
    }
  }
  return out;
}

/** The run-defining flags of `flagNames` that were given: value flags as given, flags without a value as 'true'. */
export function givenRunFlags(args: { values: Map<string, string>; flags: Set<string> },
  flagNames: readonly string[]): Map<string, string> {
  const given = new Map<string, string>();
  for (const name of flagNames) {
    if (args.values.has(name)) given.set(name, args.values.get(name)!);
    else if (args.flags.has(name)) given.set(name, 'true');
  }
  return given;
}

/**
 * The --resume / fresh-start checks both kinds of run make before loading data: with --resume the
 * checkpoint must exist and every given run-defining flag must agree with it (a usage error naming them
 * otherwise); without it, an existing checkpoint is not overwritten. Returns the stored metadata.
 */
export function openRun<Meta extends { format: string }>(
  checkpointPath: string, out: string, resume: boolean, given: Map<string, string>, kind: RunKind,
  storedValues: (meta: Meta) => Record<string, string | undefined>,
): Meta | undefined {
  if (!resume) {
    if (existsSync(checkpointPath)) throw new UserError(
      `${checkpointPath} exists: pass --resume to continue that run, or choose another --out`);
    return undefined;
  }
  if (!existsSync(checkpointPath)) throw new UserError(`--resume: no checkpoint at ${checkpointPath}`);
  const meta = loadCheckpoint<Meta>(checkpointPath).meta;
  const found = kindOfFormat(meta.format);
  if (found !== kind) {
    throw usageError(
      `--resume: the run ` +
        `in ${out} is ${found === 'seq' ? 'a sequence model (--model seq)' : found === 'image'
          ? 'an image model (--model conv or mlp)' : 'not a training run'}`);
  }
  const conflicts = resumeConflicts(given, storedValues(meta));
  if (conflicts.length) {
    throw usageError(`--resume continues the run in ${out} as it was started; these flags disagree with it: ${conflicts.join(', ')} ` +
      '(drop them, or start a new run with another --out)');
  }
  return meta;
}

/** The command that continues a stopped run: --out and --resume are all it needs. */
/** The line `train --resume` prints: where the run continues, and on which data and limits. */
export function resumingLine(t: { epoch: number; batchInEpoch: number; adam: { step: number } }, definition: RunDefinition): string {
  const limits = [definition.limitTrain && `--limit-train ${definition.limitTrain}`, definition.limitTest &&
    `--limit-test ${definition.limitTest}`].filter(Boolean);
  return `resuming at epoch ${t.epoch + 1}, batch ${t.batchInEpoch + 1} (step ${t.adam.step}) of the run ` +
    `on ${definition.data}${limits.length ? ` (${limits.join(' ')})` : ''}\n`;
}

export function resumeCommand(out: string): string {
  const quoted = /^[\w@%+=:,./-]+$/.test(out) ? out : `'${out.replace(/'/g, `'\\''`)}'`;
  return `edgevae train --out ${quoted} --resume`;
}

/** Runs `body` with Ctrl-C asking it to stop after the current batch (a second Ctrl-C quits at once). */
export async function withCtrlC<T>(body: (shouldStop: () => boolean) => Promise<T>): Promise<T> {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nstopping after this batch (Ctrl-C again to quit without saving)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    return await body(() => stop);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export type RunKind = 'seq' | 'image';

function kindOfFormat(format: unknown): RunKind | undefined {
  return format === 'edgevae-seq-checkpoint' ? 'seq' : format === 'edgevae-checkpoint' ? 'image' : undefined;
}

/** The kind of run whose checkpoint is at `path`, or undefined when there is none (or it is no training checkpoint). */
export function storedRunKind(path: string): RunKind | undefined {
  if (!existsSync(path)) return undefined;
  return kindOfFormat(loadCheckpoint<{ format?: string }>(path).meta.format);
}
