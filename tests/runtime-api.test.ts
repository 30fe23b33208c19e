import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { EdgeVae, Engine, InputError, ModelFormatError, RuntimeError } from '../runtime/index.js';
import { defaultWasmPath, loadModel, loadModelFile, packageVersion } from '../runtime/node.js';
import { denseVaeBytes, referenceDecode, referenceEncode, seededValues, DENSE_VAE } from './format-fixtures.js';

const wasmPath = defaultWasmPath();
const haveWasm = existsSync(wasmPath);
if (!haveWasm && process.env.CI) throw new Error(`${wasmPath} is missing; npm test builds it first`);

const L = DENSE_VAE.latentSize;
const X = 12;

/** Runs the plain reference per sample over a packed batch. */
function refBatch(f: (v: Float32Array) => Float32Array, data: Float32Array, inSize: number): Float32Array {
  const n = data.length / inSize;
  const parts = Array.from({ length: n }, (_, s) => f(data.subarray(s * inSize, (s + 1) * inSize)));
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function expectClose(actual: Float32Array, expected: Float32Array, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe.skipIf(!haveWasm)('EdgeVae runtime API', () => {
  let wasm: Uint8Array;
  let vae: EdgeVae;
  beforeAll(async () => {
    wasm = readFileSync(wasmPath);
    vae = await EdgeVae.load(denseVaeBytes(), { wasm, maxBatch: 4 });
  });

  it('describes the model', () => {
    expect(vae.info.entries).toEqual(['encode', 'decode']);
    expect(vae.info.inputShape).toEqual([1, 3, 4]);
    expect(vae.info.outputShape).toEqual([1, 3, 4]);
    expect(vae.info.latentSize).toBe(L);
    expect(vae.info.quantization).toBe('f32');
    expect(vae.info.sizes.maxBatch).toBe(4);
    expect(vae.info.sizes.fileBytes).toBe(denseVaeBytes().length);
    expect(vae.info.metadata.name).toBe('dense-fixture');
  });

  it('encode and decode match the plain reference, including batches split into chunks', () => {
    for (const n of [1, 4, 11]) {
      const x = seededValues(n * X, 20 + n);
      const { mu, logvar } = vae.encode(x, n);
      expectClose(mu, refBatch((v) => referenceEncode(v).mu, x, X));
      expectClose(logvar, refBatch((v) => referenceEncode(v).logvar, x, X));
      const z = seededValues(n * L, 40 + n, 2);
      expectClose(vae.decode(z, n), refBatch(referenceDecode, z, L));
    }
  });

  it('reconstruct is decode(encode(x).mu)', () => {
    const x = seededValues(3 * X, 7);
    expectClose(vae.reconstruct(x, 3), refBatch((v) => referenceDecode(referenceEncode(v).mu), x, X));
  });

  it('sample is deterministic per seed, roughly N(0, T^2), and decodes its latents', () => {
    const a = vae.sample(6, { seed: 7 });
    const b = vae.sample(6, { seed: 7 });
    const c = vae.sample(6, { seed: 8 });
    expect(Array.from(a.z)).toEqual(Array.from(b.z));
    expect(Array.from(a.z)).not.toEqual(Array.from(c.z));
    expectClose(a.images, refBatch(referenceDecode, a.z, L));
    for (const T of [1, 0.5]) {
      const z = vae.sampleLatents(5000, { seed: 3, temperature: T }); // 20000 values
      const mean = z.reduce((s, v) => s + v, 0) / z.length;
      const std = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
      expect(Math.abs(mean)).toBeLessThan(0.05 * T);
      expect(Math.abs(std - T)).toBeLessThan(0.05 * T);
    }
    expect(vae.sampleLatents(2, { temperature: 0 }).every((v) => v === 0)).toBe(true);
  });

  it('interpolates and does latent arithmetic', () => {
    const zA = seededValues(L, 1, 2), zB = seededValues(L, 2, 2);
    for (const mode of ['lerp', 'slerp'] as const) {
      const { z, images } = vae.interpolateImages(zA, zB, 5, mode);
      expectClose(z.subarray(0, L), zA, 1e-6);
      expectClose(z.subarray(4 * L), zB, 1e-6);
      expectClose(images, refBatch(referenceDecode, z, L));
    }
    const mid = vae.interpolate(zA, zB, 3, 'lerp').subarray(L, 2 * L);
    expectClose(mid, zA.map((v, i) => (v + zB[i]) / 2), 1e-6);
    const plus = [seededValues(L, 3), seededValues(L, 4)];
    const minus = seededValues(3 * L, 5);
    const z = vae.latentArithmetic({ base: zA, plus, minus });
    const expected = zA.map((v, i) => v + (plus[0][i] + plus[1][i]) / 2 - (minus[i] + minus[L + i] + minus[2 * L + i]) / 3);
    expectClose(z, expected, 1e-6);
  });

  it('rejects bad inputs with messages naming the problem', () => {
    const x = seededValues(2 * X, 1);
    expect(() => vae.encode(x, 3)).toThrow('encode: input has 24 values, expected batch 3 x 12 = 36');
    expect(() => vae.encode(x, 0)).toThrow('encode: batch must be a positive integer, got 0');
    expect(() => vae.decode(new Float32Array(4), -1)).toThrow('decode: batch must be a positive integer, got -1');
    expect(() => vae.decode(new Float32Array(4), 1.5)).toThrow('got 1.5');
    expect(() => vae.decode([1, 2, 3, 4] as unknown as Float32Array, 1)).toThrow('decode: input must be a Float32Array');
    const bad = x.slice();
    bad[17] = Number.NaN;
    expect(() => vae.encode(bad, 2)).toThrow('encode: input[17] (sample 1, element 5) is NaN');
    bad[17] = Number.POSITIVE_INFINITY;
    expect(() => vae.encode(bad, 2)).toThrow(InputError);
    expect(() => vae.encode(bad, 2, { allowNonFinite: true })).not.toThrow();
    expect(() => vae.sample(0)).toThrow('sample: batch must be a positive integer');
    expect(() => vae.sample(1, { seed: -1 })).toThrow('seed must be an integer in 0..4294967295, got -1');
    expect(() => vae.sample(1, { temperature: Number.NaN })).toThrow('temperature must be a finite number >= 0');
    expect(() => vae.interpolate(new Float32Array(3), new Float32Array(L), 4)).toThrow('zA has 3 values, expected the latent size 4');
    expect(() => vae.interpolate(new Float32Array(L), new Float32Array(L), 1)).toThrow('steps must be an integer >= 2, got 1');
    expect(() => vae.interpolate(new Float32Array(L), new Float32Array(L), 3, 'cubic' as 'lerp')).toThrow("mode must be 'lerp' or 'slerp'");
    expect(() => vae.latentArithmetic({ base: new Float32Array(L), plus: new Float32Array(L + 1) })).toThrow('plus has 5 values, not a multiple of the latent size 4');
    expect(() => vae.latentArithmetic({ base: new Float32Array(L), minus: [] })).toThrow('minus is empty');
  });

  it('a model without an entry says so', async () => {
    const dec = await EdgeVae.load(denseVaeBytes('decode'), { wasm });
    expect(dec.info.entries).toEqual(['decode']);
    expect(dec.info.inputShape).toBeUndefined();
    expect(() => dec.encode(new Float32Array(X), 1)).toThrow('the model has no encode entry (it has: decode)');
    expect(() => dec.reconstruct(new Float32Array(X), 1)).toThrow('no encode entry');
    const enc = await EdgeVae.load(denseVaeBytes('encode'), { wasm });
    expect(() => enc.sample(2)).toThrow('the model has no decode entry (it has: encode)');
    expect(enc.info.latentSize).toBe(L);
  });

  it('load rejects bad models, options and runtime modules', async () => {
    const corrupt = denseVaeBytes();
    corrupt[corrupt.length - 3] ^= 1;
    await expect(EdgeVae.load(corrupt, { wasm })).rejects.toThrow(ModelFormatError);
    await expect(EdgeVae.load(corrupt, { wasm })).rejects.toThrow(/^checksum mismatch/);
    await expect(EdgeVae.load(denseVaeBytes(), { wasm, maxBatch: 0 })).rejects.toThrow('maxBatch must be an integer in 1..65535, got 0');
    await expect(EdgeVae.load(denseVaeBytes(), {} as { wasm: Uint8Array })).rejects.toThrow('options.wasm (the runtime module) is required');
    // A valid wasm module that is not the runtime: magic + version only.
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    await expect(EdgeVae.load(denseVaeBytes(), { wasm: empty })).rejects.toThrow(RuntimeError);
    await expect(EdgeVae.load(denseVaeBytes(), { wasm: empty })).rejects.toThrow('export "memory" is missing');
  });

  it('Engine reloads into a fresh instance and keeps the sampler usable', async () => {
    const engine = await Engine.create(wasm);
    const before = engine.sampleNormal(8, 5, 1);
    await engine.load(denseVaeBytes('decode'), 2);
    await engine.load(denseVaeBytes(), 3);
    expect(engine.maxBatch).toBe(3);
    expect(Array.from(engine.sampleNormal(8, 5, 1))).toEqual(Array.from(before));
    const z = seededValues(7 * L, 9);
    expectClose(engine.run('decode', z, 7)[0], refBatch(referenceDecode, z, L));
    expect(() => engine.run('decode', z, 6)).toThrow('decode: input has 28 values, expected 6 x 4 = 24');
  });

  it('Node helpers find the packaged runtime module', async () => {
    const vae = await loadModel(denseVaeBytes('decode'), { maxBatch: 1 });
    const z = seededValues(2 * L, 12);
    expectClose(vae.decode(z, 2), refBatch(referenceDecode, z, L));
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('loadModelFile reads from disk and reports missing files', async () => {
    await expect(loadModelFile('/nonexistent/model.evae')).rejects.toThrow('model file /nonexistent/model.evae does not exist');
  });
});
