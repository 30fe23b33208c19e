// The fixture zoo (tests/fixtures/zoo/README.md) against onnxruntime-node: every published-architecture
// re-creation, both PyTorch exports. f32: encoder and decoder within 1e-4 (absolute, or relative to the largest
// reference value when that is above 1). int8: the decoder's mean PSNR >= 35 dB, peak = the reference output's
// range. Fixtures still refused must be refused with a message naming the node, the op and the missing feature.
import { afterAll, describe, expect, it } from 'vitest';
import { convert, type ConvertOptions } from '../converter/index.js';
import { EdgeVae, readDefaultWasm } from '../runtime/node.js';
import { psnr } from '../converter/quantize/metrics.js';
import { runOnnx, ortSignature } from './helpers/ort.js';
import { EXPECTED_REFUSALS, zooInput, ZOO_FIXTURES, type ZooFixture } from './helpers/zoo.js';

const SAMPLES = 8;
const INT8_SAMPLES = 16;
const F32_TOLERANCE = 1e-4;
const INT8_MIN_PSNR = 35;

/** Loose ceilings on conversion CPU time (targets: f32 < 2 s, int8 < 5 s; bench/zoo-convert.ts measures). */
const F32_CPU_LIMIT_S = 6;
const INT8_CPU_LIMIT_S = 15;

const report: string[] = [];

async function timedConvert(opts: ConvertOptions) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await convert(opts);
  const c = process.cpuUsage(c0);
  return { ...result, ms: performance.now() - t0, cpu: (c.user + c.system) / 1e6 };
}
afterAll(() => console.log(`zoo vs onnxruntime-node (f32 ${SAMPLES} samples, int8 decoder ${INT8_SAMPLES} samples)\n${report.join('\n')}`));

function convertOptions(f: ZooFixture, quant?: string): ConvertOptions {
  const fixed = f.model.fixedShapes?.[f.tag];
  const opts: ConvertOptions = { [f.part]: f.path, name: f.key, quant };
  if (fixed) {
    if (f.part === 'encoder') opts.inputShape = fixed.encoder;
    else opts.latentShape = fixed.decoder;
  }
  return opts;
}

/** onnxruntime on n seeded samples: every output, concatenated per sample in graph order (mu then logvar). */
async function reference(f: ZooFixture, n: number, input: Float32Array): Promise<{ outputs: Float32Array[]; perSample: number[] }> {
  const shape = f.part === 'encoder' ? f.model.input : f.model.latent;
  const sig = await ortSignature(f.path);
  const out = await runOnnx(f.path, { [sig.inputs[0]!]: { data: input, dims: [n, ...shape] } });
  const outputs = sig.outputs.map((name) => out[name]!.data);
  return { outputs, perSample: outputs.map((o) => o.length / n) };
}

function maxAbsError(ours: Float32Array, ref: Float32Array): number {
  expect(ours.length).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    const e = Math.abs(ours[i]! - ref[i]!);
    if (!(e <= worst)) worst = e; // NaN becomes the worst
  }
  return worst;
}
const maxAbs = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

async function runOurs(bytes: Uint8Array, f: ZooFixture, n: number, input: Float32Array): Promise<Float32Array[]> {
  const vae = await EdgeVae.load(bytes, { wasm: readDefaultWasm(), maxBatch: n });
  if (f.part === 'decoder') return [vae.decode(input, n)];
  const { mu, logvar } = vae.encode(input, n);
  return [mu, logvar];
}

/** Our encoder outputs against onnxruntime's: two outputs as they are; one output (TAESD) is mu || logvar per sample. */
function alignEncoder(ours: Float32Array[], ref: Float32Array[], n: number): Float32Array[] {
  if (ref.length >= 2) return ours;
  const [mu, logvar] = ours as [Float32Array, Float32Array];
  const half = mu.length / n;
  const joined = new Float32Array(mu.length * 2);
  for (let s = 0; s < n; s++) {
    joined.set(mu.subarray(s * half, (s + 1) * half), s * 2 * half);
    joined.set(logvar.subarray(s * half, (s + 1) * half), (s * 2 + 1) * half);
  }
  return [joined];
}

describe.each(ZOO_FIXTURES)('zoo $key', (f) => {
  const refusal = EXPECTED_REFUSALS[f.key];
  if (refusal) {
    it(`is refused naming node "${refusal.node}", op ${refusal.op}, the missing feature and the PyTorch module`, async () => {
      const err = await convert(convertOptions(f)).then(() => null, (e: Error) => e);
      expect(err, `${f.key} converts now: remove it from EXPECTED_REFUSALS`).not.toBeNull();
      const msg = err!.message;
      expect(msg).toContain(`node "${refusal.node}" (${refusal.op}): `);
      expect(msg).toMatch(refusal.feature);
      if (refusal.module) expect(msg).toContain(`[PyTorch module ${refusal.module}]`);
      report.push(`${f.key}: refused: ${msg}`);
    });
    return;
  }

  it(`f32 ${f.part} matches onnxruntime within ${F32_TOLERANCE}`, async () => {
    const input = zooInput(f, SAMPLES);
    const ref = await reference(f, SAMPLES, input);
    const { bytes, ms, cpu } = await timedConvert(convertOptions(f));
    let ours = await runOurs(bytes, f, SAMPLES, input);
    if (f.part === 'encoder') ours = alignEncoder(ours, ref.outputs, SAMPLES);
    const errs = ref.outputs.slice(0, ours.length).map((r, k) => maxAbsError(ours[k]!, r) / Math.max(1, maxAbs(r)));
    report.push(`${f.key}: f32 convert ${cpu.toFixed(2)} s CPU (${(ms / 1000).toFixed(2)} s wall), max error ${errs.map((e) => e.toExponential(2)).join(' / ')}`);
    for (const e of errs) expect(e).toBeLessThanOrEqual(F32_TOLERANCE);
    expect(cpu).toBeLessThan(F32_CPU_LIMIT_S);
  });

  if (f.part === 'decoder') {
    it(`int8 decoder mean PSNR >= ${INT8_MIN_PSNR} dB (peak = output range)`, async () => {
      const input = zooInput(f, INT8_SAMPLES, 99);
      const ref = (await reference(f, INT8_SAMPLES, input)).outputs[0]!;
      const { bytes, report: r, ms, cpu } = await timedConvert(convertOptions(f, 'int8'));
      const [ours] = await runOurs(bytes, f, INT8_SAMPLES, input);
      let lo = Infinity, hi = -Infinity;
      for (const v of ref) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const per = ref.length / INT8_SAMPLES;
      let sum = 0;
      for (let s = 0; s < INT8_SAMPLES; s++) sum += psnr(ref.subarray(s * per, (s + 1) * per), ours!.subarray(s * per, (s + 1) * per), hi - lo);
      const mean = sum / INT8_SAMPLES;
      const q = r.quantization?.entries[0];
      report.push(`${f.key}: int8 convert ${cpu.toFixed(2)} s CPU (${(ms / 1000).toFixed(2)} s wall), ${q?.int8Ops} int8 ops / ${q?.floatOps} float, mean PSNR ${mean.toFixed(2)} dB`);
      expect(mean).toBeGreaterThanOrEqual(INT8_MIN_PSNR);
      expect(cpu).toBeLessThan(INT8_CPU_LIMIT_S);
    });
  }
});

it('the zoo holds exactly the fixtures the table lists', async () => {
  const { readdirSync } = await import('node:fs');
  const { ZOO_DIR } = await import('./helpers/zoo.js');
  const present = readdirSync(ZOO_DIR).filter((n) => n.endsWith('.onnx')).sort();
  expect(present).toEqual(ZOO_FIXTURES.map((f) => f.file).sort());
  for (const key of Object.keys(EXPECTED_REFUSALS)) expect(ZOO_FIXTURES.some((f) => f.key === key), key).toBe(true);
});
