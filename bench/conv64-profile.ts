// Where the 64x64x3 decoder's time goes, layer by layer: prefixes of the decoder (tests/helpers/conv64-decoder.ts:
// the dense layer, then one to four transposed convs) run by the fixed runtime on one thread, batch 1, f32 and int8;
// a layer's cost is the difference of consecutive prefixes' median CPU time per call (not counting time preempted).
// GMAC/s against the layer's multiply-adds show which layers run near the SIMD peak (bench/simd-peak.ts).
//   nice npx tsx bench/conv64-profile.ts [--rounds=9] [--calls=40]
import { readFileSync } from 'node:fs';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { EdgeVae } from '../runtime/index.js';
import { defaultWasmPath } from '../runtime/node.js';
import { conv64DecoderOnnx } from '../tests/helpers/conv64-decoder.js';
import { seededNormal } from '../tests/helpers/seeded-data.js';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const rounds = arg('rounds', 9), calls = arg('calls', 40);
const LAYERS = [
  { name: 'dense 128 -> 256x4x4 + relu', macs: 128 * 4096 },
  { name: 'convT 256 -> 128, 8x8 out + relu', macs: 8 * 8 * 128 * 256 * 4 },
  { name: 'convT 128 -> 64, 16x16 out + relu', macs: 16 * 16 * 64 * 128 * 4 },
  { name: 'convT 64 -> 32, 32x32 out + relu', macs: 32 * 32 * 32 * 64 * 4 },
  { name: 'convT 32 -> 3, 64x64 out + sigmoid', macs: 64 * 64 * 3 * 32 * 4 },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function prefixCpu(bytes: Uint8Array, wasm: Uint8Array): Promise<number> {
  const vae = await EdgeVae.load(bytes, { wasm, maxBatch: 1 });
  const z = seededNormal(vae.info.latentSize, 5);
  for (let i = 0; i < 10; i++) vae.decode(z, 1);
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) vae.decode(z, 1);
    const c = process.cpuUsage(c0);
    per.push((c.user + c.system) / 1000 / calls);
  }
  return median(per);
}

const wasm = readFileSync(defaultWasmPath());
const f32: number[] = [0], int8: number[] = [0];
for (let layers = 0; layers <= 4; layers++) {
  const bytes = (await convert({ decoder: conv64DecoderOnnx(404, layers) })).bytes;
  const q = (await quantizeModel(bytes, { mode: 'int8', latents: 16 })).bytes;
  f32.push(await prefixCpu(bytes, wasm));
  int8.push(await prefixCpu(q, wasm));
}
console.log(
  `conv64-profile: batch 1, one thread, median CPU ms per call over ${rounds} rounds of ${calls} calls; layer = prefix difference\n`);
console.log('| layer | M MACs | f32 ms | f32 GMAC/s | int8 ms | int8 GMAC/s |\n|---|---:|---:|---:|---:|---:|');
LAYERS.forEach((l, k) => {
  const a = f32[k + 1]! - f32[k]!, b = int8[k + 1]! - int8[k]!;
  console.log(
    `| ${l.name} | ${(l.macs / 1e6).toFixed(2)} | ${a.toFixed(3)} | ${(l.macs / a / 1e6).toFixed(1)} | ` +
      `${b.toFixed(3)} | ${(l.macs / b / 1e6).toFixed(1)} |`);
});
console.log(
  `| whole decoder | ${(LAYERS.reduce((s, l) => s + l.macs, 0) / 1e6).toFixed(2)} | ${f32[5]!.toFixed(3)} | | ${int8[5]!.toFixed(3)} | |`);
