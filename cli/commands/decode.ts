// edgevae decode: latents (.npy) -> decoder outputs (.npy).
import type { BuiltinCommand } from '../command.js';
import { requireString, type Flags } from '../args.js';
import { checkOutputPath, readNpyFile, writeNpyFile } from '../io.js';
import { loadModelFromFlags, MODEL_FLAGS, MODEL_HELP, samplesIn } from './model-io.js';

export const decodeCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'decode latents from an .npy file',
  help: `Usage: edgevae decode --model model.evae --input z.npy --output x.npy

Reads z of shape [n, latent] (float32 or float64), writes x of shape [n, ...outputShape] (float32).

${MODEL_HELP}
  -i, --input FILE     latents (.npy)
  -o, --output FILE    decoded samples (.npy)`,
  flags: { ...MODEL_FLAGS, input: { type: 'string', short: 'i' }, output: { type: 'string', short: 'o' } },
  async run(flags: Flags) {
    const input = requireString(flags, 'input', 'decode');
    const output = requireString(flags, 'output', 'decode');
    checkOutputPath(output);
    const vae = await loadModelFromFlags(flags, 'decode');
    const z = readNpyFile(input);
    const L = vae.info.latentSize;
    const n = samplesIn(z.shape, L, [L], input);
    const x = vae.decode(z.data, n);
    const shape = [n, ...(vae.info.outputShape ?? [x.length / n])];
    writeNpyFile(output, x, shape);
    console.log(`wrote ${output} [${shape.join(', ')}]`);
  },
};
