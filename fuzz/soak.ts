// Soak test: a long run of decode calls in ONE runtime instance must not grow memory. After a warm-up,
// the JS heap (after a forced GC) and the wasm linear memory are measured, the calls run, and they are
// measured again; a fixed probe decoded every `probeEvery` calls must stay bit-identical (no state drift).
// `npm run soak` runs 1,000,000 calls; tests/soak.test.ts runs a short version.
//   tsx fuzz/soak.ts [--calls N] [--model mlp|mixed] [--quant f32|f16|int8-weights|int8] [--max-batch N]
import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { convert } from '../converter/index.js';
import { quantizeModel, type QuantMode } from '../converter/quantize/index.js';
import { EdgeVae } from '../runtime/index.js';
import { Rng } from './rng.js';

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

export interface MemorySnapshot { heapUsed: number; arrayBuffers: number; rss: number; wasm: number }

export interface SoakResult {
  model: string;
  calls: number;
  samples: number;
  seconds: number;
  before: MemorySnapshot;
  after: MemorySnapshot;
  probes: number;
}

/** A forced full GC: `--expose-gc` enabled at runtime, so plain `tsx` and vitest work too. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function snapshot(vae: EdgeVae): MemorySnapshot {
  collectGarbage();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss, wasm: wasmMemoryBytes(vae) };
}

/** Linear memory size of the instance behind an EdgeVae (a private field: the soak needs to see it). */
function wasmMemoryBytes(vae: EdgeVae): number {
  const engine = (vae as unknown as { engine: { instance: { memory: WebAssembly.Memory } } }).engine;
  return engine.instance.memory.buffer.byteLength;
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
      for (let k = 0; k < got.length; k++) {
        if (!Object.is(got[k], expected[k])) throw new Error(`soak: probe output ${k} changed after ${i} calls: ${expected[k]} -> ${got[k]}`);
      }
    }
  };
  for (let i = 0; i < warmup; i++) call(i);
  const before = snapshot(vae);
  const t0 = performance.now();
  const step = Math.max(1, Math.floor(o.calls / 20));
  for (let i = 0; i < o.calls; i++) {
    call(warmup + i);
    if ((i + 1) % step === 0) o.onProgress?.(i + 1, o.calls);
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = snapshot(vae);
  return { model: `${fixture} ${quant}`, calls: o.calls, samples, seconds, before, after, probes };
}

export function soakLine(r: SoakResult): string {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(2)} MB`;
  const delta = (k: keyof MemorySnapshot) => `${mb(r.before[k])} -> ${mb(r.after[k])}`;
  return `soak (${r.model}): ${r.calls} decode calls (${r.samples} samples) in ${r.seconds.toFixed(1)} s, ` +
    `${(r.calls / r.seconds).toFixed(0)} calls/s; wasm memory ${delta('wasm')}; JS heap ${delta('heapUsed')}; ` +
    `array buffers ${delta('arrayBuffers')}; RSS ${delta('rss')}; ${r.probes} probes bit-identical`;
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
  const t0 = performance.now();
  const r = await soak({ ...o, onProgress: (done, total) => console.log(`[${done}/${total}] ${((performance.now() - t0) / 1000).toFixed(0)} s`) });
  console.log(soakLine(r));
  const grew = r.after.wasm !== r.before.wasm || r.after.heapUsed - r.before.heapUsed > 4 * 2 ** 20;
  if (grew) console.log('soak: FAILED: memory grew');
  return grew ? 1 : 0;
}

const invoked = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : '';
if (invoked === import.meta.url) {
  cli().then((code) => { process.exitCode = code; }, (e) => { console.error((e as Error).message); process.exitCode = 2; });
}
