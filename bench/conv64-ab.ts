// Two or more runtime builds side by side on the 64x64x3 decoder prefixes (tests/helpers/conv64-decoder.ts) or the
// encoder fixture, interleaved round by round in one process so machine load hits them alike; prints the minimum
// CPU time per call of each (the least-disturbed round), batch 1, one thread.
//   nice npx tsx bench/conv64-ab.ts OLD.wasm NEW.wasm [--from=0] [--rounds=30] [--calls=10] [--encoder]
// (--encoder reads tests/fixtures/bench/conv64.encoder.op13.onnx.)
import { readFileSync } from 'node:fs';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { conv64DecoderOnnx } from '../tests/helpers/conv64-decoder.js';
import { seededNormal } from '../tests/helpers/seeded-data.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const wasms = args.filter((a) => !a.startsWith('--')).map((p) => new Uint8Array(readFileSync(p)));
if (wasms.length < 2) throw new Error('conv64-ab: give at least two .wasm builds');
const rounds = arg('rounds', 30), calls = arg('calls', 10), from = arg('from', 0);
const encoder = args.includes('--encoder');

for (let layers = encoder ? 4 : from; layers <= 4; layers++) {
  const bytes = encoder
    ? (await convert({ encoder: readFileSync('tests/fixtures/bench/conv64.encoder.op13.onnx') })).bytes
    : (await convert({ decoder: conv64DecoderOnnx(404, layers) })).bytes;
  const vaes = await Promise.all(wasms.map((wasm) => EdgeVae.load(bytes, { wasm, maxBatch: 1 })));
  const input = seededNormal(encoder ? 3 * 64 * 64 : 128, 5);
  const run = (v: EdgeVae) => (encoder ? v.encode(input, 1) : v.decode(input, 1));
  for (const v of vaes) for (let i = 0; i < 10; i++) run(v);
  const best = vaes.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    vaes.forEach((v, k) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < calls; i++) run(v);
      const c = process.cpuUsage(c0);
      best[k] = Math.min(best[k]!, (c.user + c.system) / 1000 / calls);
    });
  }
  console.log(`${encoder ? 'encoder' : `decoder prefix ${layers}`}: ${best.map((b) => b.toFixed(3)).join(' / ')} ms`);
}
