// edgevae decode: latents (.npy) -> decoder outputs (.npy tensor or .png picture).
import type { BuiltinCommand } from '../command.js';
import { intFlag, requireString, type Flags } from '../args.js';
import { usageError, UserError } from '../errors.js';
import { checkOutputPath, isImageShape, outputKind, readNpyFile, scaleFlag, SCALE_HELP, writeImageGrid, writeNpyFile } from '../io.js';
import { checkFinite, loadModelFromFlags, MODEL_FLAGS, MODEL_HELP, NON_FINITE_FLAG, NON_FINITE_HELP, samplesIn } from './model-io.js';

export const decodeCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'decode latents from an .npy file into an .npy tensor or a PNG grid',
  help: `Usage: edgevae decode --model model.evae --input z.npy --output x.npy|x.png [--scale N]

Reads z of shape [n, latent] (float32 or float64). Writes x.npy: [n, ...outputShape] (float32), or
x.png: a picture of the n decoded images.

${MODEL_HELP}
  -i, --input FILE     latents (.npy)
  -o, --output FILE    x.npy (tensor) or x.png (picture)
  --columns C          picture: grid columns (default: square-ish)
${SCALE_HELP}
${NON_FINITE_HELP}`,
  flags: {
    ...MODEL_FLAGS, ...NON_FINITE_FLAG, input: { type: 'string', short: 'i' }, output: { type: 'string', short: 'o' },
    scale: { type: 'string' }, columns: { type: 'string' },
  },
  async run(flags: Flags) {
    const input = requireString(flags, 'input', 'decode');
    const output = requireString(flags, 'output', 'decode');
    const kind = outputKind(output, 'output', 'decode');
    const scale = scaleFlag(flags, 'decode');
    const columns = flags.columns === undefined ? undefined : intFlag(flags, 'columns', 'decode', undefined, 1);
    if (scale !== undefined && kind !== 'png') throw usageError('decode: --scale applies to a .png picture (--output x.png)');
    checkOutputPath(output);
    const vae = await loadModelFromFlags(flags, 'decode');
    const z = readNpyFile(input);
    const L = vae.info.latentSize;
    const n = samplesIn(z.shape, L, [L], input);
    checkFinite(z.data, L, input, flags);
    const x = vae.decode(z.data, n);
    const sample = vae.info.outputShape ?? [x.length / n];
    if (kind === 'png') {
      if (!isImageShape(sample)) throw new UserError(`decode: decoder output shape [${sample.join(', ')}] is not an image ([1|3, H, W]); write .npy instead`);
      const size = writeImageGrid(output, x, n, sample, { columns, scale });
      console.log(`wrote ${output} (${n} images, ${size.width}x${size.height} px, scale ${size.scale})`);
      return;
    }
    writeNpyFile(output, x, [n, ...sample]);
    console.log(`wrote ${output} [${[n, ...sample].join(', ')}]`);
  },
};
