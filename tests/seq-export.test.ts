// Sequence VAE export: the three ONNX graphs (standard LSTM/GRU operators) run in onnxruntime-node
// match the tfjs model within 1e-5, and a greedy decoding loop driven through onnxruntime picks the
// same tokens as the tfjs model's greedy decoding.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../trainer/backend.js';
import { buildSeqOnnx, SEQ_ONNX_FILES } from '../trainer/export-seq-onnx.js';
import { Rng } from '../reference/random.js';
import { paddedSequences } from './helpers/sequences.js';
import { SeqVaeModel, seqInitialWeights, stateTensors, type SeqModelConfig } from '../trainer/seq-model.js';
import { BOS, EOS } from '../trainer/vocab.js';

beforeAll(async () => {
  await selectBackend('cpu', { fastKernels: false });
});

const TOL = 1e-5;

/** Random weights with non-zero biases (so every bias path is checked) at a scale that keeps gates off saturation. */
function model(config: SeqModelConfig, seed: number): SeqVaeModel {
  const rng = new Rng(seed);
  const w = seqInitialWeights(config, seed);
  for (const [name, v] of w) {
    const scale = name === 'embed' ? 1 : name.endsWith('.wh') ? 1.5 : 1;
    for (let i = 0; i < v.length; i++) v[i] = v[i] * scale + (name.match(/\.(b|bx|bh)$/) ? 0.3 * rng.normal() : 0);
  }
  return new SeqVaeModel(config, w);
}

async function session(bytes: Uint8Array, dir: string, name: string): Promise<ort.InferenceSession> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return ort.InferenceSession.create(path, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
}

const i64 = (ids: ArrayLike<number>, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(Array.from(ids), (v) => BigInt(v)), dims);
const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Greedy pick per row among the tokens a decoder may emit: EOS (2) and the symbols (4 and up). */
function argmaxRows(logits: Float32Array, n: number, V: number): number[] {
  const allowed = [2, ...Array.from({ length: V - 4 }, (_, k) => k + 4)];
  return Array.from({ length: n }, (_, i) => {
    let best = allowed[0];
    for (const v of allowed) if (logits[i * V + v] > logits[i * V + best]) best = v;
    return best;
  });
}

const CONFIGS: [string, SeqModelConfig][] = [
  ['bidirectional 2-layer LSTM', { kind: 'seq', cell: 'lstm', layers: 2, hidden: 12, latent: 5, embed: 7, bidirectional: true, vocabSize: 11, maxTokens: 9 }],
  ['forward 1-layer GRU', { kind: 'seq', cell: 'gru', layers: 1, hidden: 10, latent: 4, embed: 6, bidirectional: false, vocabSize: 9, maxTokens: 8 }],
  ['bidirectional 2-layer GRU', { kind: 'seq', cell: 'gru', layers: 2, hidden: 8, latent: 3, embed: 5, bidirectional: true, vocabSize: 10, maxTokens: 6 }],
];

describe.each(CONFIGS)('%s against onnxruntime', (_, config) => {
  const { latent: L, hidden: H, layers, vocabSize: V, maxTokens: T } = config;
  const S = config.cell === 'lstm' ? 2 : 1;

  it('encoder, decoder init and decoder step within 1e-5; greedy decoding of 200 latents gives the same tokens', async () => {
    const m = model(config, 7);
    const dir = mkdtempSync(join(tmpdir(), 'edgevae-seqonnx-'));
    const graphs = buildSeqOnnx(config, await m.weights());
    const enc = await session(graphs.encoder, dir, SEQ_ONNX_FILES.encoder);
    const ini = await session(graphs.decoderInit, dir, SEQ_ONNX_FILES.decoderInit);
    const step = await session(graphs.decoderStep, dir, SEQ_ONNX_FILES.decoderStep);
    const rng = new Rng(3);

    // Encoder on padded sequences of varied length.
    const n = 6;
    const tokens = paddedSequences(n, T, V, rng);
    const e = m.encode(tokens, n);
    const ref = { mu: (await e.mu.data()) as Float32Array, logvar: (await e.logvar.data()) as Float32Array };
    tf.dispose([e.mu, e.logvar]);
    const got = await enc.run({ tokens: i64(tokens, [n, T]) });
    expect(maxDiff(got.mu.data as Float32Array, ref.mu)).toBeLessThan(TOL);
    expect(maxDiff(got.logvar.data as Float32Array, ref.logvar)).toBeLessThan(TOL);
    // A different sequence gives a different code (the comparison is not between constants).
    expect(maxDiff(ref.mu.subarray(0, L), ref.mu.subarray(L, 2 * L))).toBeGreaterThan(1e-3);

    // Decoder init.
    const z = rng.fillNormal(new Float32Array(n * L));
    const zt = tf.tensor2d(z, [n, L]);
    const initRef = stateTensors(m.initialState(zt));
    const initGot = await ini.run({ z: f32(z, [n, L]) });
    // tfjs gives per layer [N,H] tensors; ONNX stacks layers: [layers, N, H].
    for (let part = 0; part < S; part++) {
      const got = initGot[part === 0 ? 'h' : 'c'].data as Float32Array;
      expect(initGot[part === 0 ? 'h' : 'c'].dims).toEqual([layers, n, H]);
      for (let l = 0; l < layers; l++) expect(maxDiff(got.subarray(l * n * H, (l + 1) * n * H), (await initRef[l * S + part].data()) as Float32Array)).toBeLessThan(TOL);
    }

    // One step from a random state.
    const prev = Array.from({ length: n }, () => rng.int(V));
    const hs = Float32Array.from({ length: layers * n * H }, () => Math.tanh(rng.normal()));
    const cs = Float32Array.from({ length: layers * n * H }, () => rng.normal());
    const stateRef = m.unpackState(Array.from({ length: layers * S }, (_, k) => {
      const l = Math.floor(k / S);
      const src = k % S === 0 ? hs : cs;
      return tf.tensor2d(src.subarray(l * n * H, (l + 1) * n * H), [n, H]);
    }));
    const r = m.step(prev, stateRef, zt);
    const feeds: Record<string, ort.Tensor> = { token: i64(prev, [n]), h: f32(hs, [layers, n, H]), z: f32(z, [n, L]) };
    if (S === 2) feeds.c = f32(cs, [layers, n, H]);
    const out = await step.run(feeds);
    expect(maxDiff(out.logits.data as Float32Array, (await r.logits.data()) as Float32Array)).toBeLessThan(TOL);
    const nextRef = stateTensors(r.state);
    for (let l = 0; l < layers; l++) {
      expect(maxDiff((out.h_next.data as Float32Array).subarray(l * n * H, (l + 1) * n * H), (await nextRef[l * S].data()) as Float32Array)).toBeLessThan(TOL);
      if (S === 2) expect(maxDiff((out.c_next.data as Float32Array).subarray(l * n * H, (l + 1) * n * H), (await nextRef[l * S + 1].data()) as Float32Array)).toBeLessThan(TOL);
    }
    tf.dispose([zt, ...initRef, ...stateTensors(stateRef), r.logits, ...nextRef]);

    // Greedy decoding of 200 latents: tfjs loop vs a loop driven through onnxruntime.
    const count = 200;
    const zs = new Rng(11).fillNormal(new Float32Array(count * L));
    const tensorsBefore = tf.memory().numTensors;
    const tfTokens = await m.greedyDecode(zs, count, T);
    expect(tf.memory().numTensors, 'tensors leaked by greedy decoding').toBe(tensorsBefore);
    const state = await ini.run({ z: f32(zs, [count, L]) });
    let h = state.h;
    let c = state.c;
    let prevTok = new Array(count).fill(BOS);
    const ortTokens = new Int32Array(count * T).fill(EOS);
    const done = new Uint8Array(count);
    for (let t = 0; t < T; t++) {
      const f: Record<string, ort.Tensor> = { token: i64(prevTok, [count]), h, z: f32(zs, [count, L]) };
      if (S === 2) f.c = c;
      const o = await step.run(f);
      h = o.h_next;
      if (S === 2) c = o.c_next;
      prevTok = argmaxRows(o.logits.data as Float32Array, count, V);
      prevTok.forEach((tok, i) => {
        if (!done[i]) ortTokens[i * T + t] = tok;
        if (tok === EOS) done[i] = 1;
      });
    }
    expect(Array.from(ortTokens)).toEqual(Array.from(tfTokens));
    // The decodes are not all alike (the loop really depends on z).
    const rows = new Set(Array.from({ length: count }, (_, i) => tfTokens.subarray(i * T, (i + 1) * T).join(',')));
    expect(rows.size).toBeGreaterThan(5);
    m.dispose();
  });
});
