// The importance-weighted NLL bound of a sequence VAE: its batched, tiled log weights match a plain
// one-sequence-at-a-time computation (the trainer's loss for log p(x|z), float64 Gaussians for the rest),
// log-mean-exp is stable, and K samples give a bound below the mean of K one-sample bounds.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../reference/random.js';
import { selectBackend } from '../trainer/backend.js';
import { importanceWeightedNll, logImportanceWeights, negLogMeanExp } from '../trainer/seq-iw-nll.js';
import { makeDecoderInputs, seqVaeLoss } from '../trainer/seq-loss.js';
import { SeqVaeModel } from '../trainer/seq-model.js';
import { loadSequenceDataset, type SequenceDataset } from '../trainer/sequence-data.js';
import { EOS } from '../trainer/vocab.js';

let data: SequenceDataset;
let model: SeqVaeModel;
beforeAll(async () => {
  await selectBackend('wasm', { fastKernels: false });
  const file = join(mkdtempSync(join(tmpdir(), 'edgevae-iwnll-')), 'toy.txt');
  writeFileSync(file, ['ab', 'bca', 'cab', 'abcd', 'dd', 'bad', 'cadb', 'a', 'dcb', 'bb'].join('\n') + '\n');
  data = loadSequenceDataset(`lines:${file}`, { maxLength: 4 });
  model = SeqVaeModel.create({
    kind: 'seq', cell: 'lstm', layers: 1, hidden: 12, latent: 3, embed: 5, bidirectional: true, vocabSize: data.vocab.size,
    maxTokens: data.maxTokens,
  }, 3);
});

describe('importance-weighted NLL bound', () => {
  it('log weights equal log p(x|z) from the training loss plus log N(z; 0, I) - log q(z|x), sequence by sequence', async () => {
    const { maxTokens: T, latent: L } = model.config;
    const set = data.train;
    const n = Math.min(4, set.count);
    const K = 3;
    const targets = set.tokens.subarray(0, n * T);
    const eps = new Rng(9).fillNormal(new Float32Array(n * K * L));
    const got = logImportanceWeights(model, targets, n, eps, K);
    for (let i = 0; i < n; i++) {
      const one = targets.subarray(i * T, (i + 1) * T);
      const { mu, logvar } = model.encode(one, 1);
      const m = await mu.data();
      const lv = await logvar.data();
      tf.dispose([mu, logvar]);
      for (let k = 0; k < K; k++) {
        const e = eps.subarray((i * K + k) * L, (i * K + k + 1) * L);
        const terms = seqVaeLoss(model, one, makeDecoderInputs(one, 1, T, 0, null), 1, tf.tensor2d(e, [1, L]),
          { beta: 1, freeBits: 0, dropout: 0 });
        const recon = (await terms.recon.data())[0];
        tf.dispose(Object.values(terms));
        let logRatio = 0;
        for (let j = 0; j < L; j++) {
          const sd = Math.exp(0.5 * lv[j]);
          const z = m[j] + sd * e[j];
          logRatio += -0.5 * z * z - (-0.5 * e[j] * e[j] - Math.log(sd));
        }
        expect(got[i * K + k]).toBeCloseTo(-recon + logRatio, 3);
      }
    }
  });

  it('-log mean exp matches the direct formula and survives large magnitudes', () => {
    const v = Float32Array.from([-3, -1, -2, -40, -41, -39.5]);
    const r = negLogMeanExp(v, 2, 3);
    expect(r[0]).toBeCloseTo(-Math.log((Math.exp(-3) + Math.exp(-1) + Math.exp(-2)) / 3), 10);
    expect(r[1]).toBeCloseTo(-Math.log((Math.exp(-40) + Math.exp(-41) + Math.exp(-39.5)) / 3), 6);
    const big = negLogMeanExp(Float32Array.from([-2000, -2000]), 1, 2);
    expect(big[0]).toBeCloseTo(2000, 6);
  });

  it('K samples bound below the mean of K one-sample bounds; tokens are the symbols and EOS of every sequence', () => {
    const set = data.train;
    const { maxTokens: T, latent: L } = model.config;
    const K = 64;
    // with the same samples, -log mean exp of the weights lies below their mean (Jensen): the K-sample bound
    // is at most the average of K one-sample bounds
    const w = logImportanceWeights(model, set.tokens, set.count, new Rng(4).fillNormal(new Float32Array(set.count * K * L)), K);
    const bound = negLogMeanExp(w, set.count, K);
    for (let i = 0; i < set.count; i++) {
      const oneSample = -w.subarray(i * K, (i + 1) * K).reduce((a, b) => a + b, 0) / K;
      expect(bound[i]).toBeLessThan(oneSample);
      expect(bound[i]).toBeGreaterThan(0);
    }
    const many = importanceWeightedNll(model, set, K, 4, set.count);
    expect(many.perSequence).toBeCloseTo(bound.reduce((a, b) => a + b, 0) / set.count, 4);
    let tokens = 0;
    for (let i = 0; i < set.count; i++) tokens += Array.from(set.tokens.subarray(i * T, (i + 1) * T)).indexOf(EOS) + 1;
    expect(many.tokens).toBe(tokens);
    expect(many.perToken).toBeCloseTo((many.perSequence * set.count) / tokens, 10);
    expect(() => importanceWeightedNll(model, set, 0, 1)).toThrow(/positive integer/);
  });
});
