// Shared pieces of the commands that run a model: loading with a maxBatch flag, sample-count checks.
import { loadModelFile, type EdgeVae } from '../../runtime/node.js';
import { intFlag, requireString, type FlagSpec, type Flags } from '../args.js';
import { UserError } from '../errors.js';

export const MODEL_FLAGS: FlagSpec = {
  model: { type: 'string', short: 'm' },
  'max-batch': { type: 'string' },
};

export const MODEL_HELP = `  -m, --model FILE     the .evae model
      --max-batch N    samples per runtime call (default 16)`;

export async function loadModelFromFlags(flags: Flags, command: string): Promise<EdgeVae> {
  const path = requireString(flags, 'model', command);
  const maxBatch = intFlag(flags, 'max-batch', command, 16, 1, 65535);
  return loadModelFile(path, { maxBatch });
}

/**
 * Number of samples in an array of `shape` whose samples have `per` values and shape `sampleShape`:
 * [n, ...sampleShape], [n, per] or exactly sampleShape (one sample).
 */
export function samplesIn(shape: number[], per: number, sampleShape: number[], what: string): number {
  const total = shape.reduce((p, d) => p * d, 1);
  const rest = shape.slice(1).reduce((p, d) => p * d, 1);
  if (shape.length >= 2 && rest === per && shape[0] >= 1) return shape[0];
  if (shape.length >= 1 && total === per && sameShape(shape, sampleShape)) return 1;
  if (shape.length === 1 && total === per) return 1;
  throw new UserError(`${what} has shape [${shape.join(', ')}], expected [n, ${sampleShape.join(', ')}] (${per} values per sample)`);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
