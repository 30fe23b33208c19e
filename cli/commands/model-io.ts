// Shared pieces of the commands that run a model: loading with a maxBatch flag, input layout and value checks.
import { loadModelFile, SIMD_MODES, type EdgeVae, type SimdMode } from '../../runtime/node.js';
import { intFlag, requireString, type FlagSpec, type Flags } from '../args.js';
import { UserError, usageError } from '../errors.js';

export const MODEL_FLAGS: FlagSpec = {
  model: { type: 'string', short: 'm' },
  'max-batch': { type: 'string' },
  simd: { type: 'string' },
  'relaxed-f32': { type: 'boolean' },
  threads: { type: 'string' },
};

export const MODEL_HELP = `  -m, --model FILE     the .evae model
      --max-batch N    samples per runtime call (default 16)
      --simd MODE      auto (default): the relaxed-SIMD runtime when this engine runs it correctly, else fixed | fixed | relaxed
      --relaxed-f32    fused multiply-adds in f32 convolutions (relaxed build): faster, exact per machine but not across engines

      --threads N|auto threads computing each image together (default 1; auto: min(cores, 4); docs/threads.md)`;

/** Flag of the commands that read tensors: run on NaN/Infinity instead of refusing them. */
export const NON_FINITE_FLAG: FlagSpec = { 'allow-non-finite': { type: 'boolean' } };
export const NON_FINITE_HELP = `      --allow-non-finite  run even when the input holds NaN or Infinity (refused by default)`;

export async function loadModelFromFlags(flags: Flags, command: string): Promise<EdgeVae> {
  const path = requireString(flags, 'model', command);
  const maxBatch = intFlag(flags, 'max-batch', command, 16, 1, 65535);
  const simd = flags.simd === undefined ? 'auto' : String(flags.simd);
  if (!SIMD_MODES.includes(simd as SimdMode)) throw usageError(`${command}: --simd must be one of ${SIMD_MODES.join(', ')}, got '${simd}'`);
  const threads = flags.threads === 'auto' ? 'auto' : intFlag(flags, 'threads', command, 1, 1, 64);
  const vae = await loadModelFile(path, {
    maxBatch, threads, allowNonFinite: flags['allow-non-finite'] === true, simd: simd as SimdMode,
      relaxedF32: flags['relaxed-f32'] === true,
  });
  if (process.env.EDGEVAE_DEBUG === '1' || flags.simd !== undefined || flags['relaxed-f32'] === true) {
    const r = vae.info.runtime;
    console.error(
      `edgevae ${command}: ${r.build} SIMD runtime (${r.reason}); ` +
        `f32 ${r.f32 === 'fused' ? 'fused: exact on this machine only' : 'bit-exact'}` +
      `${r.int8RelaxedDot ? '; int8 relaxed dot' : ''}`);
  }
  return vae;
}

/**
 * Number of samples in an array of `shape` whose samples have shape `sampleShape` (`per` values): the
 * model's layout [n, ...sampleShape], the flat layout [n, per], or one sample (sampleShape or [per]).
 * Any other shape with the right element count (e.g. NHWC [n, 28, 28, 1]) is refused: its values
 * would be read in the wrong order.
 */
export function samplesIn(shape: number[], per: number, sampleShape: number[], what: string): number {
  if (shape.length >= 2 && shape[0] >= 1 &&
    (sameShape(shape.slice(1), sampleShape) || (shape.length === 2 && shape[1] === per))) return shape[0];
  if (sameShape(shape, sampleShape) || (shape.length === 1 && shape[0] === per)) return 1;
  const flat = sampleShape.length > 1 ? ` or [n, ${per}]` : '';
  throw new UserError(`${what} has shape [${shape.join(', ')}], expected [n, ${sampleShape.join(', ')}]${flat} (${per} values per sample)`);
}

/** Refuses NaN/Infinity with the file, sample and element named, unless --allow-non-finite. */
export function checkFinite(data: Float32Array, per: number, what: string, flags: Flags): void {
  if (flags['allow-non-finite'] === true) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new UserError(`${what}: value ${i} (sample ${Math.floor(i / per)}, element ${i % per}) is ${data[i]}; ` +
        'inputs must be finite (--allow-non-finite runs anyway)');
    }
  }
}

/** The value range the models are trained on: the trainer scales pixels to [0, 1]. */
export const TRAINING_RANGE: readonly [number, number] = [0, 1];

/** One stderr line when inputs lie outside the training range (e.g. raw 0-255 pixels); returns whether it warned. */
export function warnOutsideTrainingRange(data: Float32Array, what: string, command: string,
  range: readonly [number, number] = TRAINING_RANGE): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const slack = 1e-3 * (range[1] - range[0]);
  if (!(lo < range[0] - slack || hi > range[1] + slack)) return false;
  const hint = hi > 2 && hi <= 255 && lo >= 0 ? ' (pixels 0..255? divide by 255)' : '';
  process.stderr.write(
    `edgevae ${command}: warning: ${what} holds values in ${fmt(lo)}..${fmt(hi)}, the model was trained on ` +
      `[${range[0]}, ${range[1]}]${hint}; results will be off\n`);
  return true;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
