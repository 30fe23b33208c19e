// What the int8-relaxed scheme (relu results as 7 bits, docs/quantization.md) costs in accuracy: decoder PSNR of int8
// and int8-relaxed against onnxruntime-node (float), on the default model and every zoo decoder (dynamo export),
// and how many int8 ops the relaxed build runs with the relaxed dot. Writes bench/relaxed-psnr.md.
//   npx tsx bench/relaxed-psnr.ts [--samples=64]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert, type ConvertOptions } from '../converter/index.js';
import { psnr } from '../converter/quantize/metrics.js';
import { readModel } from '../runtime/format.js';
import { EdgeVae, readDefaultWasm } from '../runtime/node.js';
import { relaxedDotOps } from '../runtime/relaxed-ops.js';
import { runOnnx, ortSignature } from '../tests/helpers/ort.js';
import { seededNormal } from '../tests/helpers/seeded-data.js';
import { ZOO_FIXTURES, size } from '../tests/helpers/zoo.js';

const ROOT = join(import.meta.dirname, '..');
const samples = Number(process.argv.find((a) => a.startsWith('--samples='))?.split('=')[1] ?? 64);

interface Case { name: string; path: string; latent: number[]; opts: ConvertOptions }
const cases: Case[] = [
  { name: 'default (Fashion-MNIST conv)', path: join(ROOT, 'models', 'default', 'decoder.onnx'), latent: [16], opts: {} },
  ...ZOO_FIXTURES.filter((f) => f.part === 'decoder' && f.tag.startsWith('dynamo')).map((f) => ({
    name: f.model.name, path: f.path, latent: f.model.latent, opts: f.model.fixedShapes?.[f.tag]
      ? { latentShape: f.model.fixedShapes[f.tag]!.decoder } : {},
  })),
];

/** Mean per-sample PSNR, peak = the reference output's range (as tests/zoo.test.ts). */
function meanPsnr(ref: Float32Array, ours: Float32Array, n: number): number {
  let lo = Infinity, hi = -Infinity;
  for (const v of ref) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const per = ref.length / n;
  let sum = 0;
  for (let s = 0; s < n; s++) sum += psnr(ref.subarray(s * per, (s + 1) * per), ours.subarray(s * per, (s + 1) * per), hi - lo);
  return sum / n;
}

const rows: string[] = [];
for (const c of cases) {
  const z = seededNormal(samples * size(c.latent), 4321);
  const sig = await ortSignature(c.path);
  const ref = (await runOnnx(c.path, { [sig.inputs[0]!]: { data: z, dims: [samples, ...c.latent] } }))[sig.outputs[0]!]!.data;
  const result: Record<string, { psnr: number; ops: string }> = {};
  for (const quant of ['int8', 'int8-relaxed']) {
    const { bytes } = await convert({ decoder: c.path, quant, ...c.opts });
    const vae = await EdgeVae.load(bytes, { wasm: readDefaultWasm(), simd: 'fixed', maxBatch: 16 });
    const ours = new Float32Array(ref.length);
    const per = ref.length / samples;
    for (let s = 0; s < samples; s += 16) {
      const n = Math.min(16, samples - s);
      ours.set(vae.decode(z.subarray(s * size(c.latent), (s + n) * size(c.latent)), n), s * per);
    }
    const info = readModel(bytes);
    const int8Ops =
      info.ops.filter((o) => [1, 2, 3].includes(o.opcode) && info.tensors[o.b]?.dtype === 'i8' && info.tensors[o.a]!.dtype === 'i8').length;
    result[quant] = { psnr: meanPsnr(ref, ours, samples), ops: `${relaxedDotOps(info).length} of ${int8Ops}` };
  }
  const loss = result.int8!.psnr - result['int8-relaxed']!.psnr;
  rows.push(
    `| ${c.name} | ${result.int8!.psnr.toFixed(2)} | ${result['int8-relaxed']!.psnr.toFixed(2)} | ${loss.toFixed(2)}${loss > 0.5
      ? ' **(> 0.5)**' : ''} | ${result['int8-relaxed']!.ops} |`);
  console.log(rows[rows.length - 1]);
}
const md = `# int8 vs int8-relaxed decoder PSNR

\`npx tsx bench/relaxed-psnr.ts --samples=${samples}\`: mean PSNR (dB) of ${samples} seeded N(0, I) latents against onnxruntime-node
(float), peak = the reference output's range; both files run on the fixed build (the relaxed build gives the same bytes).
"relaxed-dot ops": int8 ops the relaxed build runs with \`i32x4.relaxed_dot_i8x16_i7x16_add_s\` (7-bit relu input, 16-channel
multiples, not the narrow/tap-row forms).

| decoder | int8 | int8-relaxed | loss | relaxed-dot ops |
|---|---|---|---|---|
${rows.join('\n')}
`;
writeFileSync(join(ROOT, 'bench', 'relaxed-psnr.md'), md);
console.log(md);
