// Soak test: a long run of decode calls in ONE runtime instance must not grow memory. After a warm-up,
// the JS heap (after a forced GC) and the wasm linear memory are measured, the calls run, and they are
// measured again; a fixed probe decoded every `probeEvery` calls must stay bit-identical (no state drift).
// `npm run soak` runs 1,000,000 calls; tests/soak.test.ts runs a short version.
//   tsx fuzz/soak.ts [--calls N] [--model mlp|mixed] [--quant f32|f16|int8-weights|int8] [--max-batch N]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convert } from '../converter/index.js';
import { quantizeModel, type QuantMode } from '../converter/quantize/index.js';
import { EdgeVae } from '../runtime/index.js';
import { Rng } from './rng.js';
import { progressPrinter, runIfMain, verdict } from './soak-cli.js';
import { assertSameBits, memoryGrew, memoryLine, snapshot, type MemorySnapshot } from './soak-memory.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface SoakOptions {
  calls: number;
  /** calls before the first measurement (JIT, lazy allocations, the sampler scratch) */
  warmup?: number;
  /** fixture to convert: mlp (cheap dense layers, the default) or mixed (convs, resize, concat ...) */
  fixture?: 'mlp' | 'mixed';
  quant?: QuantMode;
  maxBatch?: number;
  probeEvery?: number;
  wasmPath?: string;
  onProgress?: (done: number, total: number) => void;
}

export type { MemorySnapshot } from './soak-memory.js';

export interface SoakResult {
  model: string;
  calls: number;
  samples: number;
  seconds: number;
  before: MemorySnapshot;
  after: MemorySnapshot;
  probes: number;
}

async function soakModel(fixture: string, quant: QuantMode): Promise<Uint8Array> {
  const fixtures = join(ROOT, 'tests', 'fixtures');
  const { bytes } = await convert({ encoder: join(fixtures, `${fixture}.encoder.op13.onnx`), decoder: join(fixtures, `${fixture}.decoder.op13.onnx`), name: 'soak' });
  if (quant === 'f32') return bytes;
  const rng = new Rng(3);
  const images = Array.from({ length: 8 }, () => Float32Array.from({ length: 784 }, () => rng.float()));
  return (await quantizeModel(bytes, { mode: quant, images, latents: 8 })).bytes;
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  const quant = o.quant ?? 'f32';
  const fixture = o.fixture ?? 'mlp';
  const maxBatch = o.maxBatch ?? 4;
  const warmup = o.warmup ?? Math.min(2000, Math.max(100, Math.floor(o.calls / 100)));
  const probeEvery = o.probeEvery ?? 1000;
  const wasm = readFileSync(o.wasmPath ?? process.env.EDGEVAE_WASM ?? join(ROOT, 'build', 'edgevae.wasm'));
  const vae = await EdgeVae.load(await soakModel(fixture, quant), { wasm, maxBatch });
  const L = vae.info.latentSize;
  // Batches 1..maxBatch+1, so some calls are split into chunks; latents come from a fixed pool.
  const rng = new Rng(17);
  const pool = Float32Array.from({ length: L * (maxBatch + 1) * 64 }, () => rng.float() * 4 - 2);
  const probe = pool.slice(0, L * 2);
  const expected = vae.decode(probe, 2);
  let samples = 0;
  let probes = 0;
  const call = (i: number) => {
    const n = 1 + (i % (maxBatch + 1));
    const at = (i % 64) * L * (maxBatch + 1);
    vae.decode(pool.subarray(at, at + n * L), n);
    samples += n;
    if (i % probeEvery === 0) {
      const got = vae.decode(probe, 2);
      probes++;
      assertSameBits(`soak: probe after ${i} calls`, expected, got);
    }
  };
  for (let i = 0; i < warmup; i++) call(i);
  const before = snapshot(vae.memoryBytes);
  const t0 = performance.now();
  const step = Math.max(1, Math.floor(o.calls / 20));
  for (let i = 0; i < o.calls; i++) {
    call(warmup + i);
    if ((i + 1) % step === 0) o.onProgress?.(i + 1, o.calls);
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = snapshot(vae.memoryBytes);
  return { model: `${fixture} ${quant}`, calls: o.calls, samples, seconds, before, after, probes };
}

export function soakLine(r: SoakResult): string {
  return `soak (${r.model}): ${r.calls} decode calls (${r.samples} samples) in ${r.seconds.toFixed(1)} s, ` +
    `${(r.calls / r.seconds).toFixed(0)} calls/s; ${memoryLine(r.before, r.after)}; ${r.probes} probes bit-identical`;
}

async function cli(): Promise<number> {
  const argv = process.argv.slice(2);
  const o: SoakOptions = { calls: 1_000_000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (flag === '--calls') o.calls = Number(value);
    else if (flag === '--max-batch') o.maxBatch = Number(value);
    else if (flag === '--quant') o.quant = value as QuantMode;
    else if (flag === '--model' && (value === 'mlp' || value === 'mixed')) o.fixture = value;
    else throw new Error(`soak: bad flag ${flag} ${value ?? ''} (--calls N, --model mlp|mixed, --quant MODE, --max-batch N)`);
  }
  if (!Number.isInteger(o.calls) || o.calls < 1) throw new Error('soak: --calls needs a positive integer');
  const r = await soak({ ...o, onProgress: progressPrinter() });
  return verdict('soak', soakLine(r), memoryGrew(r.before, r.after));
}

runIfMain(import.meta.url, cli);
