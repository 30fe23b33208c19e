// The benchmark harness's own logic (bench/*): MAC counting, the ONNX -> tfjs mapping, statistics and the
// report. No timing assertions: speed is measured by `npm run bench`, not tested.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadOnnx } from '../converter/onnx-load.js';
import { buildModel, randomData } from './helpers/onnx-build.js';
import { countOnnxMacs } from '../bench/macs.js';
import { createEngine, NotAvailableError } from '../bench/engines.js';
import { zooBenchModels } from '../bench/models.js';
import { buildTfjsGraph, resolveShape } from '../bench/onnx-tfjs.js';
import { fmtMs, fmtRatio, gmacsPerSecond, markdownTable, renderMarkdown, type BenchResults } from '../bench/report.js';
import { matchOutputs, measure, percentile, relativeMaxDiff, seededInput, summarize } from '../bench/stats.js';

const fixture = (name: string) => `tests/fixtures/${name}.op13.onnx`;

describe('MAC counting', () => {
  it('counts the conv decoder by hand: Linear 16->3136, ConvT 64->64 and 64->32 (3x3 s2), Conv 32->1 3x3', async () => {
    const linear = 16 * 3136;
    const convT1 = 7 * 7 * 64 * 64 * 3 * 3; // every input pixel scatters Ci x Co x k x k
    const convT2 = 14 * 14 * 64 * 32 * 3 * 3;
    const conv = 28 * 28 * 1 * 32 * 3 * 3; // every output pixel gathers Ci x k x k per output channel
    expect(linear + convT1 + convT2 + conv).toBe(5_694_976); // the "5.7 M MACs" README quotes
    expect(await countOnnxMacs(fixture('conv.decoder'))).toBe(linear + convT1 + convT2 + conv);
  });

  it('counts the conv encoder and the MLP decoder by hand', async () => {
    const encoder = 14 * 14 * 32 * 1 * 9 + 7 * 7 * 64 * 32 * 9 + 3136 * 32;
    expect(await countOnnxMacs(fixture('conv.encoder'))).toBe(encoder);
    expect(await countOnnxMacs(fixture('mlp.decoder'))).toBe(20 * 400 + 400 * 784);
  });

  it('GMAC/s from MACs, batch and milliseconds', () => {
    expect(gmacsPerSecond(5_000_000, 64, 32)).toBeCloseTo(10, 10);
  });
});

describe('ONNX -> tfjs mapping agrees with onnxruntime-node', async () => {
  await tf.setBackend('cpu');
  for (const name of ['conv.encoder', 'conv.decoder', 'mlp.encoder', 'mlp.decoder', 'bn.encoder', 'bn.decoder']) {
    it(name, async () => {
      const model = await loadOnnx(fixture(name));
      const graph = buildTfjsGraph(tf, model);
      const dims = (model.inputs[0]!.dims ?? []).slice(1).map(Number);
      const per = dims.reduce((a, b) => a * b, 1);
      const x = seededInput(name.endsWith('encoder') ? 'image' : 'latent', 3 * per, 5);
      const session = await ort.InferenceSession.create(fixture(name), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
      const expected = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [3, ...dims]) });
      const got = graph.run(x, 3);
      expect(got.length).toBe(session.outputNames.length);
      session.outputNames.forEach((n, k) => {
        expect(relativeMaxDiff(got[k]!, expected[n]!.data as Float32Array)).toBeLessThan(1e-5);
      });
      graph.dispose();
      await session.release();
    });
  }

  // tfjs has no ONNX-style pads for conv2dTranspose: each case takes another path of the mapping
  const convTransposeCases = [
    { what: 'pads [0,0,1,1] (TF "same")', k: 3, pads: [0, 0, 1, 1], outPad: [0, 0] },
    { what: 'pads 1 + output_padding 1 (numeric pad)', k: 3, pads: [1, 1, 1, 1], outPad: [1, 1] },
    { what: 'unequal pads [2,1,0,1] (cropped valid output)', k: 4, pads: [2, 1, 0, 1], outPad: [0, 0] },
    { what: 'no pads + output_padding 1 (cropped and zero-filled)', k: 3, pads: [0, 0, 0, 0], outPad: [1, 1] },
  ];
  for (const c of convTransposeCases) {
    it(`ConvTranspose with ${c.what}`, async () => {
      const [ci, co, h] = [3, 4, 5];
      const bytes = buildModel({
        inputs: [{ name: 'x', dims: ['N', ci, h, h] }],
        outputs: [{ name: 'y' }],
        nodes: [{ op: 'ConvTranspose', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [c.k, c.k], strides: [2, 2], pads: c.pads, output_padding: c.outPad } }],
        initializers: { w: { dims: [ci, co, c.k, c.k], data: randomData(ci * co * c.k * c.k, 1) }, b: { dims: [co], data: randomData(co, 2) } },
      });
      const graph = buildTfjsGraph(tf, await loadOnnx(bytes));
      const x = randomData(2 * ci * h * h, 3);
      const session = await ort.InferenceSession.create(bytes);
      const expected = (await session.run({ x: new ort.Tensor('float32', x, [2, ci, h, h]) })).y!;
      const got = graph.run(x, 2)[0]!;
      expect(got.length).toBe(expected.data.length);
      expect(relativeMaxDiff(got, expected.data as Float32Array)).toBeLessThan(1e-5);
      graph.dispose();
      await session.release();
    });
  }

  it('rejects an op it does not map, naming it', async () => {
    const model = await loadOnnx(fixture('mixed.decoder'));
    expect(() => buildTfjsGraph(tf, model)).toThrow(/^Elu \/Elu: op is not supported by the tfjs mapping$/);
  });

  it('the bench lists the zoo decoders, and the tfjs engine reports one it cannot map as n/a instead of failing', async () => {
    const models = zooBenchModels(process.cwd());
    const sdvae = models.find((m) => m.id === 'sdvae')!;
    expect(sdvae.decoder).toMatch(/zoo\/sdvae\.decoder\.dynamo18\.onnx$/);
    expect(sdvae.encoder).toBeUndefined();
    expect(models.find((m) => m.id === 'taesd')?.decoder).toMatch(/zoo\/taesd\.decoder\.dynamo20\.onnx$/);
    const engine = await createEngine('tfjs-wasm', process.cwd());
    const job = { id: 'sdvae.decoder', model: 'sdvae', part: 'decoder' as const, path: sdvae.decoder, inputDims: [4, 8, 8] };
    const load = engine.load(await engine.prepare(job), job);
    await expect(load).rejects.toBeInstanceOf(NotAvailableError);
    await expect(load).rejects.toThrow(/^n\/a \(ops not mapped: InstanceNormalization \S+: op is not supported by the tfjs mapping\)$/);
  });
});

describe('statistics', () => {
  it('nearest-rank percentiles and summaries', () => {
    const xs = [5, 1, 4, 2, 3, 10, 6, 7, 9, 8];
    const sorted = [...xs].sort((a, b) => a - b);
    expect(percentile(sorted, 0.5)).toBe(5);
    expect(percentile(sorted, 0.9)).toBe(9);
    expect(percentile([7], 0.9)).toBe(7);
    const s = summarize(xs);
    expect(s).toEqual({ median: 5, p90: 9, mean: 5.5, samples: 10 });
    expect(() => percentile([], 0.5)).toThrow(/empty/);
  });

  it('measure: one warm-up call when the warm-up window is empty, then stops at maxSamples', async () => {
    let calls = 0;
    const t = await measure(() => { calls++; }, { warmupMs: 0, measureMs: 1e9, minSamples: 4, maxSamples: 6 });
    expect(t.samples).toBe(6);
    expect(calls).toBe(7);
  });

  it('measure: calls slower than a third of the window need only 3 samples', async () => {
    let calls = 0;
    const t = await measure(() => { calls++; }, { warmupMs: 0, measureMs: 0, minSamples: 7, maxSamples: 100 });
    expect(t.samples).toBe(3);
    expect(calls).toBe(4);
  });

  it('seeded inputs are deterministic and in range', () => {
    const a = seededInput('image', 1000, 3), b = seededInput('image', 1000, 3);
    expect(a).toEqual(b);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const z = seededInput('latent', 20000, 4);
    const mean = z.reduce((p, v) => p + v, 0) / z.length;
    const variance = z.reduce((p, v) => p + (v - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('relative difference scales by the larger of 1 and the reference magnitude', () => {
    expect(relativeMaxDiff(Float32Array.of(1, 2), Float32Array.of(1, 2.5))).toBeCloseTo(0.5 / 2.5, 6);
    expect(relativeMaxDiff(Float32Array.of(0.1), Float32Array.of(0.2))).toBeCloseTo(0.1, 6);
    expect(relativeMaxDiff(Float32Array.of(1), Float32Array.of(1, 2))).toBe(Number.POSITIVE_INFINITY);
    expect(relativeMaxDiff(Float32Array.of(Number.NaN), Float32Array.of(1))).toBe(Number.POSITIVE_INFINITY);
  });

  it('mu and logvar rows are put side by side to compare with a single [N, 2L] ONNX output', () => {
    const mu = Float32Array.of(1, 2, 5, 6), logvar = Float32Array.of(3, 4, 7, 8); // batch 2, L = 2
    expect(matchOutputs([mu, logvar], 1, 2)).toEqual([Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8)]);
    expect(matchOutputs([mu, logvar], 2, 2)).toEqual([mu, logvar]);
  });

  it('ONNX reshape rules: 0 copies, -1 infers', () => {
    expect(resolveShape([2, 3136], [-1, 64, 7, 7])).toEqual([2, 64, 7, 7]);
    expect(resolveShape([2, 64, 7, 7], [0, -1])).toEqual([2, 3136]);
    expect(() => resolveShape([2, 10], [3, -1])).toThrow(/cannot reshape/);
  });
});

describe('report', () => {
  it('formats numbers', () => {
    expect(fmtMs(0.081234)).toBe('0.0812');
    expect(fmtMs(8.1234)).toBe('8.12');
    expect(fmtMs(812.4)).toBe('812');
    expect(fmtMs(undefined)).toBe('–');
    expect(fmtRatio(0.5, 1.25)).toBe('2.50x');
    expect(fmtRatio(undefined, 1)).toBe('–');
  });

  it('markdown tables: header rule, alignment, escaped pipes, row length checked', () => {
    const t = markdownTable(['a', 'b'], [['x|y', '1']]);
    expect(t.split('\n')).toEqual(['| a | b |', '|---|---:|', '| x\\|y | 1 |']);
    expect(() => markdownTable(['a', 'b'], [['1']])).toThrow(/row has 1 cells, the header has 2/);
  });

  it('renders the headline ratios, mismatches and unavailable engines', () => {
    const timing = (median: number, cpuMedian?: number) => ({ median, p90: median * 1.1, mean: median, samples: 9, cpuMedian });
    const results: BenchResults = {
      date: '2026-01-01T00:00:00Z', command: 'npm run bench', quick: false,
      machine: { cpu: 'cpu', cores: 2, node: 'v20', platform: 'linux', loadBefore: [0.1, 0.1, 0.1], loadAfter: [0.2, 0.2, 0.2] },
      simdPeak: { f32Gmacs: 16, int8Gmacs: 32 }, batches: [1, 64],
      graphs: [{ id: 'conv.decoder', model: 'conv', modelLabel: 'conv VAE', part: 'decoder', macs: 5_694_976, inputDims: [16] }],
      engines: [
        { engine: 'edgevae-f32', setupMs: 0, peakRssDeltaMb: 10, jobs: [{ id: 'conv.decoder', loadMs: 5, parity: [1e-7], parityOk: true, timings: { 1: timing(0.5, 0.4), 64: timing(20, 10) } }] },
        { engine: 'ort-web', setupMs: 3, peakRssDeltaMb: 50, jobs: [{ id: 'conv.decoder', loadMs: 9, parity: [2e-7], parityOk: true, timings: { 1: timing(1.0, 0.8), 64: timing(50, 40) } }] },
        { engine: 'tfjs-wasm', setupMs: 3, peakRssDeltaMb: 50, jobs: [{ id: 'conv.decoder', loadMs: 9, parity: [0.5], parityOk: false }] },
        { engine: 'edgevae-int8', setupMs: 0, peakRssDeltaMb: 1, jobs: [{ id: 'conv.decoder', error: 'not available yet (converter: no int8)', notAvailable: true }] },
      ],
      payloads: [], scaling: [{ model: 'conv', batch: 64, single: timing(20), pool: { 1: timing(21), 2: timing(11, 20.9) } }], notes: ['a note'],
    };
    const md = renderMarkdown(results);
    expect(md).toContain('| conv decoder | 1 | 0.500 | 1.00 | – | – | 2.00x | – | – |');
    expect(md).toContain('| conv decoder | 64 | 20.0 | 50.0 | – | – | 2.50x | – | – |');
    expect(md).toMatch(/\| tfjs-wasm \|.*5\.0e-1 MISMATCH \|/);
    expect(md).toMatch(/\| edgevae-int8 \| not available yet \(converter: no int8\) \|/);
    // an engine that cannot run a graph reads "n/a" in the headline (one that was not timed reads "–")
    const na = renderMarkdown({ ...results, engines: [...results.engines, { engine: 'ort-node', setupMs: 0, peakRssDeltaMb: 0, jobs: [{ id: 'conv.decoder', error: 'n/a (ops not mapped: X)', notAvailable: true }] }] });
    expect(na).toContain('| conv decoder | 1 | 0.500 | 1.00 | – | n/a | 2.00x | – | n/a |');
    // GMAC/s at batch 64: 5.694976 M x 64 / 20 ms = 18.22; 114% of a 16 GMAC/s peak
    // per-model row: wall (p90), CPU medians, samples/s from wall (64 / 20 ms), GMAC/s from CPU time:
    // 5.694976 M / 0.4 ms = 14.24 and x 64 / 10 ms = 36.45 GMAC/s = 228% of a 16 GMAC/s peak
    expect(md).toMatch(/\| edgevae-f32 \| 0\.500 \(0\.550\) \| 20\.0 \(22\.0\) \| 0\.400 \| 10\.0 \| 3200 \| 14\.24 \| 36\.45 \| 228% \|/);
    // the CPU-time headline: ort-web 0.8 / 0.4 = 2.00x and 40 / 10 = 4.00x
    expect(md).toContain('| conv decoder | 1 | 0.400 | 0.800 | – | – | 2.00x | – | – |');
    expect(md).toContain('| conv decoder | 64 | 10.0 | 40.0 | – | – | 4.00x | – | – |');
    expect(md).toContain('| conv | 64 | 20.0 | 21.0 | 11.0 | 1.91x | 1.82x | 1.90 |');
    expect(md).toContain('- a note');
  });
});
