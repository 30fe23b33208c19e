// Peak WebAssembly memory per model: what a device needs (wasmtime --max-memory, a kiosk's budget).
// Converts the default model (f32, int8-weights, int8) and the fixtures, loads each at maxBatch 1 and 16,
// runs every entry once, and prints the module's linear memory (it never shrinks, so this is the peak).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
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
const wasiModule = new WebAssembly.Module(readFileSync('build/edgevae-wasi.wasm'));
const work = mkdtempSync(join(tmpdir(), 'edgevae-memory-'));

/** Linear memory of the WASI command at exit after `sample --n B --max-batch B` (its peak: memory never shrinks). */
async function wasiSamplePeak(model: Uint8Array, batch: number): Promise<number> {
  writeFileSync(join(work, 'm.evae'), model);
  const out = openSync(join(work, 'out.txt'), 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: ['edgevae-wasi.wasm', 'sample', '--model', 'm.evae', '--n', String(batch),
      '--max-batch', String(batch), '--out', 'g.png'], env: {}, preopens: { '.': work }, stdout: out, stderr: out, returnOnExit: true });
    const instance = await WebAssembly.instantiate(wasiModule, wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`WASI sample failed: ${readFileSync(join(work, 'out.txt'), 'utf8')}`);
    return (instance.exports.memory as WebAssembly.Memory).buffer.byteLength;
  } finally {
    closeSync(out);
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log('| model | quant | file | runtime, maxBatch 1 | runtime, maxBatch 16 | WASI sample, maxBatch 1 | WASI sample --n 16 |');
console.log('|---|---|---:|---:|---:|---:|---:|');
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
    const wasiPeaks = [await wasiSamplePeak(bytes, 1), await wasiSamplePeak(bytes, 16)];
    console.log(`| ${m.name} | ${quant} | ${kib(bytes.length)} | ${kib(peaks[0]!)} | ${kib(peaks[1]!)} | ${kib(wasiPeaks[0]!)} | ${kib(wasiPeaks[1]!)} |`);
  }
}
rmSync(work, { recursive: true, force: true });
