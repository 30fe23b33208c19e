// Peak WebAssembly memory per model: what a device needs (wasmtime --max-memory, a kiosk's budget).
// Converts the default model (f32, int8-weights, int8) and the fixtures, loads each at maxBatch 1 and 16,
// runs every entry once, and prints the module's linear memory (it never shrinks, so this is the peak).
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { readDefaultWasm } from '../runtime/node.js';

type Quant = 'f32' | 'int8-weights' | 'int8';
const MODELS: { name: string; encoder: string; decoder: string; quants: Quant[] }[] = [
  { name: 'default conv VAE (models/default)', encoder: 'models/default/encoder.onnx', decoder: 'models/default/decoder.onnx', quants: ['f32', 'int8-weights', 'int8'] },
  { name: 'MLP VAE 784-400-20 (fixture)', encoder: 'tests/fixtures/mlp.encoder.op13.onnx', decoder: 'tests/fixtures/mlp.decoder.op13.onnx', quants: ['f32'] },
  { name: 'BN + upsample VAE (fixture)', encoder: 'tests/fixtures/bn.encoder.op13.onnx', decoder: 'tests/fixtures/bn.decoder.op13.onnx', quants: ['f32'] },
];

const wasm = readDefaultWasm();
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log('| model | quant | file | wasm memory, maxBatch 1 | wasm memory, maxBatch 16 |');
console.log('|---|---|---:|---:|---:|');
for (const m of MODELS) {
  for (const quant of m.quants) {
    const opts = quant === 'f32' ? {} : { quant, calib: 'models/default/calib.npy' };
    const { bytes } = await convert({ encoder: m.encoder, decoder: m.decoder, ...opts } as Parameters<typeof convert>[0]);
    const peaks: number[] = [];
    for (const maxBatch of [1, 16]) {
      const vae = await EdgeVae.load(bytes, { wasm, maxBatch });
      const x = new Float32Array(maxBatch * (vae.info.inputShape ?? []).reduce((a, b) => a * b, 1)).fill(0.5);
      vae.encode(x, maxBatch);
      vae.sample(maxBatch, { seed: 1 });
      peaks.push(vae.memoryBytes);
    }
    console.log(`| ${m.name} | ${quant} | ${kib(bytes.length)} | ${kib(peaks[0]!)} | ${kib(peaks[1]!)} |`);
  }
}
