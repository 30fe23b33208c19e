// Float parity of converter + wasm runtime against onnxruntime-node on the PyTorch-exported fixtures
// (tests/fixtures/README.md). Each fixture's encoder and decoder are converted into one .evae, then 32
// seeded samples go through our runtime in batches of 1, of 7 (= maxBatch; the last batch is partial) and
// in one call of 32 (the API splits it into maxBatch chunks), and through onnxruntime-node in one batch of 32.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { EdgeVae, readDefaultWasm } from '../runtime/node.js';
import { runOnnx } from './helpers/ort.js';
import { seededNormal, seededUniform } from './helpers/seeded-data.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const SAMPLES = 32;
const BATCHES = [1, 7, 32];
const MAX_BATCH = 7;
const DECODER_MAX_ABS = 1e-5;
const ENCODER_MAX_REL = 1e-4;

interface Fixture { model: string; variant: 'op13' | 'op18'; dir: string; inputShape: number[]; outputShape: number[] }

const committed = ['mlp', 'conv', 'bn', 'mixed'].flatMap((model) => (['op13', 'op18'] as const).map((variant) => ({
  model, variant, dir: FIXTURES, inputShape: [1, 28, 28],
  outputShape: model === 'mixed' ? [784] : [1, 28, 28], // the mixed decoder returns flat images
})));
// The 64x64x3 benchmark VAE is too big to commit; `make_fixtures.py --bench` writes it.
const benchDir = join(FIXTURES, 'bench');
const bench = (['op13', 'op18'] as const).map((variant) =>
  ({ model: 'conv64', variant, dir: benchDir, inputShape: [3, 64, 64], outputShape: [3, 64, 64] }));
const benchPresent = bench.every((f) => existsSync(join(f.dir, `${f.model}.decoder.${f.variant}.onnx`)));
if (!benchPresent) console.warn('parity: conv64 fixtures not generated (python3 scripts/fixtures/make_fixtures.py --bench): not tested');
const fixtures: Fixture[] = [...committed, ...(benchPresent ? bench : [])];

const measured: string[] = [];
afterAll(() => {
  console.log(`parity vs onnxruntime-node (${SAMPLES} samples; decoder max abs <= ${DECODER_MAX_ABS}, encoder max abs / max |ref| <= ${ENCODER_MAX_REL})\n${measured.join('\n')}`);
});

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function maxAbsError(ours: Float32Array, reference: Float32Array): number {
  if (ours.length !== reference.length) throw new Error(`length ${ours.length} != reference length ${reference.length}`);
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    const err = Math.abs(ours[i] - reference[i]);
    if (!(err <= worst)) worst = err; // a NaN becomes the worst error
  }
  return worst;
}

const maxAbs = (values: Float32Array) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Runs `fn` over consecutive chunks of `batch` samples and concatenates the results. */
function inBatches(input: Float32Array, perSample: number, batch: number,
  fn: (chunk: Float32Array, n: number) => Float32Array[]): Float32Array[] {
  const samples = input.length / perSample;
  const parts: Float32Array[][] = [];
  for (let s = 0; s < samples; s += batch) {
    const n = Math.min(batch, samples - s);
    parts.push(fn(input.subarray(s * perSample, (s + n) * perSample), n));
  }
  return parts[0].map((_, k) => {
    const joined = new Float32Array(parts.reduce((total, p) => total + p[k].length, 0));
    let at = 0;
    for (const p of parts) { joined.set(p[k], at); at += p[k].length; }
    return joined;
  });
}

describe.each(fixtures)('parity $model ($variant)', ({ model, variant, dir, inputShape, outputShape }) => {
  const encoderPath = join(dir, `${model}.encoder.${variant}.onnx`);
  const decoderPath = join(dir, `${model}.decoder.${variant}.onnx`);
  const images = seededUniform(SAMPLES * size(inputShape), 1234);
  let runtime: EdgeVae;
  let latent: number;
  let latents: Float32Array;
  let reference: { mu: Float32Array; logvar: Float32Array; image: Float32Array };

  beforeAll(async () => {
    const encoded = await runOnnx(encoderPath, { x: { data: images, dims: [SAMPLES, ...inputShape] } });
    latent = encoded.mu.dims[1];
    latents = seededNormal(SAMPLES * latent, 5678);
    const decoded = await runOnnx(decoderPath, { z: { data: latents, dims: [SAMPLES, latent] } });
    expect(decoded.x_hat.dims).toEqual([SAMPLES, ...outputShape]);
    reference = { mu: encoded.mu.data, logvar: encoded.logvar.data, image: decoded.x_hat.data };
    const { bytes } = await convert({ encoder: encoderPath, decoder: decoderPath, name: `${model}-${variant}` });
    runtime = await EdgeVae.load(bytes, { wasm: readDefaultWasm(), maxBatch: MAX_BATCH });
  });

  it.each(BATCHES)('decode, batch %i', (batch) => {
    const [image] = inBatches(latents, latent, batch, (z, n) => [runtime.decode(z, n)]);
    const err = maxAbsError(image, reference.image);
    measured.push(`${model} ${variant} decode batch ${batch}: max abs ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(DECODER_MAX_ABS);
  });

  it.each(BATCHES)('encode, batch %i', (batch) => {
    const [mu, logvar] = inBatches(images, size(inputShape), batch, (x, n) => {
      const out = runtime.encode(x, n);
      return [out.mu, out.logvar];
    });
    const muRel = maxAbsError(mu, reference.mu) / maxAbs(reference.mu);
    const logvarRel = maxAbsError(logvar, reference.logvar) / maxAbs(reference.logvar);
    measured.push(`${model} ${variant} encode batch ${batch}: mu rel ${muRel.toExponential(2)}, logvar rel ${logvarRel.toExponential(2)}`);
    expect(muRel).toBeLessThanOrEqual(ENCODER_MAX_REL);
    expect(logvarRel).toBeLessThanOrEqual(ENCODER_MAX_REL);
  });
});

describe('external-data fixtures need their .onnx.data file', () => {
  const path = join(FIXTURES, 'bn.decoder.op18.onnx');

  it('bytes instead of a path: the error names the external data and says to pass a path', async () => {
    await expect(convert({ decoder: new Uint8Array(readFileSync(path)) })).rejects.toThrow(/external data.*path/);
  });

  it('a data file missing next to the model: the error names the file', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'edgevae-parity-'));
    try {
      copyFileSync(path, join(alone, 'bn.decoder.op18.onnx'));
      await expect(convert({ decoder: join(alone, 'bn.decoder.op18.onnx') })).rejects.toThrow(/bn\.decoder\.op18\.onnx\.data/);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });
});
