// edgevae sample: draw latents with the runtime's deterministic sampler, decode, write a PNG grid / .npy.
import type { BuiltinCommand } from '../command.js';
import { intFlag, numberFlag, type Flags } from '../args.js';
import { usageError, UserError } from '../errors.js';
import { checkOutputPath, isImageShape, outputKind, scaleFlag, SCALE_HELP, writeImageGrid, writeNpyFile } from '../io.js';
import { loadModelFromFlags, MODEL_FLAGS, MODEL_HELP } from './model-io.js';
import { sampleSequences, sequenceModelBytes, SEQUENCE_FLAGS, SEQUENCE_SAMPLE_HELP } from './sequence.js';

export const sampleCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'decode random latents into a PNG grid (and/or .npy)',
  help: `Usage: edgevae sample --model model.evae --n 16 --seed 7 [--temperature 1] --out grid.png [--npy x.npy] [--scale N]

Draws n latents from N(0, temperature^2) with the runtime's deterministic sampler (same seed, same
images on every host) and decodes them.

${MODEL_HELP}
  --n N                number of samples (default 16)
  --seed S             sampler seed, 0..4294967295 (default 0)
  --temperature T      standard deviation of the latents (default 1)
  --out FILE           grid.png: a picture of the samples; x.npy: the decoded samples [n, ...outputShape]
  --columns C          grid columns (default: square-ish)
${SCALE_HELP}
  --npy FILE           also write the decoded samples as .npy [n, ...outputShape]

${SEQUENCE_SAMPLE_HELP}`,
  flags: {
    ...MODEL_FLAGS, n: { type: 'string' }, seed: { type: 'string' }, temperature: { type: 'string' },
    out: { type: 'string', short: 'o' }, npy: { type: 'string' }, columns: { type: 'string' }, scale: { type: 'string' },
    ...SEQUENCE_FLAGS,
  },
  async run(flags: Flags) {
    const sequenceModel = sequenceModelBytes(flags);
    if (sequenceModel) return sampleSequences(sequenceModel, flags);
    for (const k of Object.keys(SEQUENCE_FLAGS)) if (flags[k] !== undefined) throw usageError(`sample: --${k} is for sequence models`);
    const n = intFlag(flags, 'n', 'sample', 16, 1, 65536);
    const seed = intFlag(flags, 'seed', 'sample', 0, 0, 0xffffffff);
    const temperature = numberFlag(flags, 'temperature', 'sample', 1, 0);
    const columns = flags.columns === undefined ? undefined : intFlag(flags, 'columns', 'sample', undefined, 1);
    const scale = scaleFlag(flags, 'sample');
    const out = flags.out as string | undefined;
    const npy = flags.npy as string | undefined;
    if (!out && !npy) throw usageError('sample: give --out grid.png and/or --npy x.npy (see "edgevae sample --help")');
    const outKind = out ? outputKind(out, 'out', 'sample') : undefined;
    if (npy) outputKind(npy, 'npy', 'sample', ['npy']);
    if (scale !== undefined && outKind !== 'png') throw usageError('sample: --scale applies to a .png picture (--out x.png)');
    for (const p of [out, npy]) if (p) checkOutputPath(p);
    const vae = await loadModelFromFlags(flags, 'sample');
    if (!vae.info.entries.includes('decode')) throw new UserError('sample: the model has no decode entry');
    const shape = vae.info.outputShape ?? [];
    if (outKind === 'png' && !isImageShape(shape)) {
      throw new UserError(`sample: decoder output shape [${shape.join(', ')}] is not an image ([1|3, H, W]); use --npy instead of --out`);
    }
    const { images } = vae.sample(n, { seed, temperature });
    if (npy) {
      writeNpyFile(npy, images, [n, ...shape]);
      console.log(`wrote ${npy} [${[n, ...shape].join(', ')}]`);
    }
    if (out && outKind === 'npy') {
      writeNpyFile(out, images, [n, ...shape]);
      console.log(`wrote ${out} [${[n, ...shape].join(', ')}]`);
    } else if (out) {
      const size = writeImageGrid(out, images, n, shape, { columns, scale });
      console.log(`wrote ${out} (${n} samples, ${size.width}x${size.height} px, scale ${size.scale})`);
    }
  },
};
