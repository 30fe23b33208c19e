// edgevae interpolate: walk between two sampled latents and write the decoded strip as a PNG.
import type { BuiltinCommand } from '../command.js';
import { intFlag, numberFlag, requireString, type Flags } from '../args.js';
import { usageError, UserError } from '../errors.js';
import { checkOutputPath, isImageShape, outputKind, scaleFlag, SCALE_HELP, writeImageGrid, writeNpyFile } from '../io.js';
import { loadModelFromFlags, MODEL_FLAGS, MODEL_HELP } from './model-io.js';
import { interpolateSequences, sequenceModelBytes, SEQUENCE_INTERPOLATE_HELP } from './sequence.js';

export const interpolateCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'decode an interpolation between two sampled latents into a PNG strip',
  help: `Usage: edgevae interpolate --model model.evae --seed-a 1 --seed-b 2 --steps 8 --out strip.png

The two end points are sampled like "edgevae sample --n 1 --seed A" and "--seed B".

${MODEL_HELP}
  --seed-a S, --seed-b S  sampler seeds of the two end points
  --steps N               number of images, end points included (default 8)
  --mode lerp|slerp       interpolation (default slerp)
  --temperature T         standard deviation of the end points (default 1)
  --out FILE              strip.png: a picture of the steps; x.npy: the decoded images [steps, ...outputShape]
${SCALE_HELP}
  --npy FILE              also write the decoded images as .npy

${SEQUENCE_INTERPOLATE_HELP}`,
  flags: {
    ...MODEL_FLAGS, 'seed-a': { type: 'string' }, 'seed-b': { type: 'string' }, steps: { type: 'string' },
    mode: { type: 'string' }, temperature: { type: 'string' }, out: { type: 'string', short: 'o' }, npy: { type: 'string' },
    scale: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, seed: { type: 'string' },
    'top-k': { type: 'string' }, 'max-length': { type: 'string' },
  },
  async run(flags: Flags) {
    const sequenceModel = sequenceModelBytes(flags);
    if (sequenceModel) return interpolateSequences(sequenceModel, flags);
    const seedA = intFlag(flags, 'seed-a', 'interpolate', undefined, 0, 0xffffffff);
    const seedB = intFlag(flags, 'seed-b', 'interpolate', undefined, 0, 0xffffffff);
    const steps = intFlag(flags, 'steps', 'interpolate', 8, 2, 4096);
    const temperature = numberFlag(flags, 'temperature', 'interpolate', 1, 0);
    const mode = (flags.mode as string | undefined) ?? 'slerp';
    if (mode !== 'lerp' && mode !== 'slerp') throw usageError(`interpolate: --mode must be lerp or slerp, got '${mode}'`);
    const scale = scaleFlag(flags, 'interpolate');
    const out = requireString(flags, 'out', 'interpolate');
    const npy = flags.npy as string | undefined;
    const outKind = outputKind(out, 'out', 'interpolate');
    if (npy) outputKind(npy, 'npy', 'interpolate', ['npy']);
    if (scale !== undefined && outKind !== 'png') throw usageError('interpolate: --scale applies to a .png picture (--out x.png)');
    for (const p of [out, npy]) if (p) checkOutputPath(p);
    const vae = await loadModelFromFlags(flags, 'interpolate');
    const shape = vae.info.outputShape ?? [];
    if (!vae.info.entries.includes('decode')) throw new UserError('interpolate: the model has no decode entry');
    if (outKind === 'png' && !isImageShape(shape)) throw new UserError(`interpolate: decoder output shape [${shape.join(', ')}] is not an image ([1|3, H, W])`);
    const zA = vae.sampleLatents(1, { seed: seedA, temperature });
    const zB = vae.sampleLatents(1, { seed: seedB, temperature });
    const { images } = vae.interpolateImages(zA, zB, steps, mode);
    if (npy) writeNpyFile(npy, images, [steps, ...shape]);
    if (outKind === 'npy') {
      writeNpyFile(out, images, [steps, ...shape]);
      console.log(`wrote ${out} [${[steps, ...shape].join(', ')}] (${mode})`);
      return;
    }
    const size = writeImageGrid(out, images, steps, shape, { columns: steps, scale });
    console.log(`wrote ${out} (${steps} steps, ${mode}, ${size.width}x${size.height} px, scale ${size.scale})`);
  },
};
