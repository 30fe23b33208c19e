// edgevae encode: inputs (.npy) -> mu.npy and logvar.npy.
import { join } from 'node:path';
import type { BuiltinCommand } from '../command.js';
import { requireString, type Flags } from '../args.js';
import { ensureDirectory, readNpyFile, writeNpyFile } from '../io.js';
import { checkFinite, loadModelFromFlags, MODEL_FLAGS, MODEL_HELP, NON_FINITE_FLAG, NON_FINITE_HELP, samplesIn, TRAINING_RANGE, warnOutsideTrainingRange } from './model-io.js';

export const encodeCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'encode inputs from an .npy file into mu.npy and logvar.npy',
  help: `Usage: edgevae encode --model model.evae --input x.npy --out-dir DIR

Reads x of shape [n, ...inputShape] (the model's ONNX layout, e.g. [n, 1, 28, 28]) or flat [n, C*H*W]
(e.g. [n, 784]); other layouts such as NHWC [n, 28, 28, 1] are refused. Values are expected in
[${TRAINING_RANGE.join(', ')}] like the training images (a warning says when they are not). Writes DIR/mu.npy
and DIR/logvar.npy of shape [n, latent]. DIR is created if needed.

${MODEL_HELP}
  -i, --input FILE     inputs (.npy)
  --out-dir DIR        output directory
${NON_FINITE_HELP}`,
  flags: { ...MODEL_FLAGS, ...NON_FINITE_FLAG, input: { type: 'string', short: 'i' }, 'out-dir': { type: 'string' } },
  async run(flags: Flags) {
    const input = requireString(flags, 'input', 'encode');
    const outDir = requireString(flags, 'out-dir', 'encode');
    const vae = await loadModelFromFlags(flags, 'encode');
    const x = readNpyFile(input);
    const sampleShape = vae.info.inputShape ?? [];
    const per = sampleShape.reduce((p, d) => p * d, 1);
    const n = vae.info.entries.includes('encode') ? samplesIn(x.shape, per, sampleShape, input) : 1;
    checkFinite(x.data, per, input, flags);
    warnOutsideTrainingRange(x.data, input, 'encode');
    const { mu, logvar } = vae.encode(x.data, n);
    ensureDirectory(outDir);
    const L = vae.info.latentSize;
    writeNpyFile(join(outDir, 'mu.npy'), mu, [n, L]);
    writeNpyFile(join(outDir, 'logvar.npy'), logvar, [n, L]);
    console.log(`wrote ${join(outDir, 'mu.npy')} and ${join(outDir, 'logvar.npy')} [${n}, ${L}]`);
  },
};
