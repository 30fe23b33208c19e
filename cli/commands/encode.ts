// edgevae encode: inputs (.npy) -> mu.npy and logvar.npy.
import { join } from 'node:path';
import type { BuiltinCommand } from '../command.js';
import { requireString, type Flags } from '../args.js';
import { ensureDirectory, readNpyFile, writeNpyFile } from '../io.js';
import { loadModelFromFlags, MODEL_FLAGS, MODEL_HELP, samplesIn } from './model-io.js';

export const encodeCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'encode inputs from an .npy file into mu.npy and logvar.npy',
  help: `Usage: edgevae encode --model model.evae --input x.npy --out-dir DIR

Reads x of shape [n, ...inputShape] (ONNX layout, e.g. [n, 1, 28, 28]); writes DIR/mu.npy and
DIR/logvar.npy of shape [n, latent]. DIR is created if needed.

${MODEL_HELP}
  -i, --input FILE     inputs (.npy)
  --out-dir DIR        output directory`,
  flags: { ...MODEL_FLAGS, input: { type: 'string', short: 'i' }, 'out-dir': { type: 'string' } },
  async run(flags: Flags) {
    const input = requireString(flags, 'input', 'encode');
    const outDir = requireString(flags, 'out-dir', 'encode');
    const vae = await loadModelFromFlags(flags, 'encode');
    const x = readNpyFile(input);
    const sampleShape = vae.info.inputShape ?? [];
    const per = sampleShape.reduce((p, d) => p * d, 1);
    const n = vae.info.entries.includes('encode') ? samplesIn(x.shape, per, sampleShape, input) : 1;
    const { mu, logvar } = vae.encode(x.data, n);
    ensureDirectory(outDir);
    const L = vae.info.latentSize;
    writeNpyFile(join(outDir, 'mu.npy'), mu, [n, L]);
    writeNpyFile(join(outDir, 'logvar.npy'), logvar, [n, L]);
    console.log(`wrote ${join(outDir, 'mu.npy')} and ${join(outDir, 'logvar.npy')} [${n}, ${L}]`);
  },
};
