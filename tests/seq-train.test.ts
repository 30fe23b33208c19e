// Sequence VAE training: the posterior-collapse defences do what they say, the loss falls and token
// accuracy rises on a toy corpus, stop + resume is bit-exact, and `edgevae train --model seq` writes
// its files and rejects bad flags with one line.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../trainer/backend.js';
import { loadCheckpoint } from '../trainer/checkpoint.js';
import { runTrain } from '../trainer/cli.js';
import { trainHere } from './helpers/train-run.js';
import { Rng } from '../reference/random.js';
import { annealedBeta, makeDecoderInputs, seqVaeLoss } from '../trainer/seq-loss.js';
import { SeqVaeModel, type SeqModelConfig } from '../trainer/seq-model.js';
import { DEFAULT_SEQ_SETTINGS, SeqTrainer, type SeqCheckpointMeta, type SeqTrainSettings } from '../trainer/seq-train.js';
import { loadSequenceDataset, type SequenceDataset } from '../trainer/sequence-data.js';
import { BOS, EOS, PAD, UNK } from '../trainer/vocab.js';
import { extractMelody, HOLD, melodyToMidi, OFF } from '../trainer/melody.js';
import { readMidi, writeMidi } from '../trainer/midi.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'edgevae-seqtrain-'));

/** 60 distinct 2-4 letter words over 'abcde' in a text file. */
function toyCorpus(): string {
  const rng = new Rng(5);
  const words = new Set<string>();
  while (words.size < 60) {
    const len = 2 + rng.int(3);
    words.add(Array.from({ length: len }, () => 'abcde'[rng.int(5)]).join(''));
  }
  const file = join(tmp(), 'toy.txt');
  writeFileSync(file, [...words].join('\n') + '\n');
  return file;
}

let corpus: string;
let data: SequenceDataset;
beforeAll(async () => {
  await selectBackend('wasm', { fastKernels: false });
  corpus = toyCorpus();
  data = loadSequenceDataset(`lines:${corpus}`, { maxLength: 4 });
});

const config = (d: SequenceDataset, cell: 'lstm' | 'gru' = 'lstm'): SeqModelConfig => ({
  kind: 'seq', cell, layers: 1, hidden: 24, latent: 4, embed: 8, bidirectional: true, vocabSize: d.vocab.size, maxTokens: d.maxTokens,
});

describe('posterior-collapse defences', () => {
  it('KL annealing: linear and sigmoid warm-ups rise from ~0 to beta', () => {
    expect(annealedBeta(1, 0, 100, 'linear')).toBe(0);
    expect(annealedBeta(1, 50, 100, 'linear')).toBe(0.5);
    expect(annealedBeta(2, 500, 100, 'linear')).toBe(2);
    expect(annealedBeta(1, 0, 100, 'sigmoid')).toBeLessThan(0.01);
    expect(annealedBeta(1, 50, 100, 'sigmoid')).toBeCloseTo(0.5, 10);
    expect(annealedBeta(1, 100, 100, 'sigmoid')).toBe(1);
    expect(annealedBeta(0.5, 3, 0, 'sigmoid')).toBe(0.5);
  });

  it('token dropout: BOS then the targets shifted right, a share p of them replaced by UNK, PAD kept', () => {
    const T = 6;
    const targets = Int32Array.from([4, 5, 6, EOS, PAD, PAD]);
    expect(Array.from(makeDecoderInputs(targets, 1, T, 0, null))).toEqual([BOS, 4, 5, 6, EOS, PAD]);
    const n = 2000;
    const many = new Int32Array(n * T);
    for (let i = 0; i < n; i++) many.set([4, 5, 6, 7, 8, EOS], i * T);
    const inputs = makeDecoderInputs(many, n, T, 0.3, new Rng(1));
    let unk = 0;
    for (let i = 0; i < n; i++) {
      expect(inputs[i * T]).toBe(BOS);
      for (let t = 1; t < T; t++) if (inputs[i * T + t] === UNK) unk++;
    }
    expect(unk / (n * (T - 1))).toBeGreaterThan(0.27);
    expect(unk / (n * (T - 1))).toBeLessThan(0.33);
  });

  it('free bits: per-dimension KL below the floor counts as the floor (no gradient pushes it lower)', () => {
    const m = SeqVaeModel.create(config(data), 2);
    const T = data.maxTokens;
    const targets = data.train.tokens.subarray(0, 8 * T);
    const inputs = makeDecoderInputs(targets, 8, T, 0, null);
    const eps = tf.tensor2d(new Rng(4).fillNormal(new Float32Array(8 * 4)), [8, 4]);
    const plain = seqVaeLoss(m, targets, inputs, 8, eps, { beta: 1, freeBits: 0, dropout: 0 });
    const floored = seqVaeLoss(m, targets, inputs, 8, eps, { beta: 1, freeBits: 5, dropout: 0 });
    const [recon, kl, objPlain, objFloored] = [plain.recon, plain.kl, plain.objective, floored.objective].map((t) => t.dataSync()[0]);
    expect(kl).toBeLessThan(4 * 5); // an untrained encoder is far below 5 nats per dimension
    expect(objPlain).toBeCloseTo(recon + kl, 4);
    expect(objFloored).toBeCloseTo(recon + 4 * 5, 4);
    // Below the floor the KL term has no gradient: the floored objective's gradient is the
    // reconstruction term's alone (beta 0), while the plain objective's differs from it.
    const heads = [m.p('enc.logvar.w'), m.p('enc.mu.w')];
    const grad = (opts: { beta: number; freeBits: number }) => {
      const g = tf.variableGrads(() => seqVaeLoss(m, targets, inputs, 8, eps, { ...opts, dropout: 0 }).objective, heads);
      const out = heads.map((h) => Array.from(g.grads[h.name].dataSync()));
      tf.dispose([g.value, ...Object.values(g.grads)]);
      return out.flat();
    };
    const reconOnly = grad({ beta: 0, freeBits: 0 });
    const diff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    expect(diff(grad({ beta: 1, freeBits: 5 }), reconOnly)).toBeLessThan(1e-6);
    expect(diff(grad({ beta: 1, freeBits: 0 }), reconOnly)).toBeGreaterThan(1e-4);
    tf.dispose([eps, ...Object.values(plain), ...Object.values(floored)]);
    m.dispose();
  });
});

describe('training', () => {
  it('LSTM and GRU: held-out loss falls and token accuracy rises; KL stays above zero; no tensors leak', async () => {
    for (const cell of ['lstm', 'gru'] as const) {
      const settings: SeqTrainSettings = { ...DEFAULT_SEQ_SETTINGS, epochs: 8, batchSize: 18, lr: 1e-2, klWarmupEpochs: 2, seed: 3 };
      const t = SeqTrainer.create(config(data, cell), settings, data);
      const before = tf.memory().numTensors;
      await t.run();
      expect(tf.memory().numTensors, 'tensors leaked by the training loop').toBe(before);
      const first = t.history[0];
      const last = t.history[t.history.length - 1];
      expect(t.adam.step).toBe(8 * 3);
      expect(last.train.total, cell).toBeLessThan(first.train.total - 2);
      expect(last.train.tokenAccuracy, cell).toBeGreaterThan(first.train.tokenAccuracy + 0.1);
      expect(last.test.kl, cell).toBeGreaterThan(0.05);
      expect(last.test.klPerDim).toHaveLength(4);
      t.dispose();
    }
  });

  it('stop + resume from the checkpoint gives bit-identical weights, moments and history', async () => {
    const settings: SeqTrainSettings = { ...DEFAULT_SEQ_SETTINGS, epochs: 2, batchSize: 18, wordDropout: 0.3, klWarmupEpochs: 1, seed: 9 };
    const straight = SeqTrainer.create(config(data, 'gru'), settings, data);
    await straight.run();
    const ckpt = join(tmp(), 'c.evck');
    const first = SeqTrainer.create(config(data, 'gru'), settings, data);
    // Stop after the first batch of the second epoch (3 batches per epoch).
    const r = await first.run({ checkpointPath: ckpt, shouldStop: () => first.epoch === 1 && first.batchInEpoch === 1 });
    expect(r.interrupted).toBe(true);
    first.dispose();
    const resumed = SeqTrainer.resume(ckpt, data);
    expect([resumed.epoch, resumed.batchInEpoch]).toEqual([1, 1]);
    await resumed.run();
    const a = await straight.model.weights();
    const b = await resumed.model.weights();
    for (const [name, v] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(v.buffer)), name).toBe(true);
    const ma = await straight.adam.moments();
    const mb = await resumed.adam.moments();
    for (const [name, v] of ma.v) expect(Array.from(mb.v.get(name)!), name).toEqual(Array.from(v));
    const strip = (h: typeof straight.history) => h.map((r) => ({ ...r, seconds: 0, sequencesPerSecond: 0 }));
    expect(strip(resumed.history)).toEqual(strip(straight.history));
    // The checkpoint carries the vocabulary; a changed vocabulary is refused.
    expect(loadCheckpoint<{ symbols: string[] }>(ckpt).meta.symbols).toEqual(data.vocab.symbols);
    const other = loadSequenceDataset(`lines:${corpus}`, { maxLength: 3 });
    expect(() => SeqTrainer.resume(ckpt, other)).toThrow(/trained on \d+ sequences|vocabulary|model expects/);
    straight.dispose();
    resumed.dispose();
  });
});

describe('edgevae train --model seq', () => {
  it('writes checkpoint, ONNX graphs, vocabulary, history and a text report', async () => {
    const out = join(tmp(), 'run');
    const code =
      await runTrain(['--model', 'seq', '--data', `lines:${corpus}`, '--max-length', '4', '--cell', 'gru', '--hidden', '8', '--embed', '4',
      '--latent', '3', '--epochs', '1', '--batch', '32', '--backend', 'wasm', '--out', out, '--word-dropout', '0.2', '--free-bits', '0.05',
        '--kl-schedule', 'linear']);
    expect(code).toBe(0);
    for (const f of ['checkpoint.evck', 'encoder.onnx', 'decoder-init.onnx', 'decoder-step.onnx', 'vocab.json', 'history.json',
      'report.html', 'samples.txt']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'));
    expect(vocab.tokens.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '<unk>']);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toMatch(/active/);
    expect(report).toMatch(/Interpolation/);
    const samples = readFileSync(join(out, 'samples.txt'), 'utf8');
    expect(samples).toMatch(/# samples/);
    // Running again into the same folder without --resume is refused.
    expect(await runTrain(['--model', 'seq', '--data', `lines:${corpus}`, '--out', out])).toBe(1);
  });

  it('--data midi:FOLDER trains a melody model whose vocabulary is the 90 melody events', async () => {
    const dir = tmp();
    for (let f = 0; f < 3; f++) {
      const melody: number[] = [];
      for (let q = 0; q < 16; q++) melody.push(55 + 5 * f + (q % 7), HOLD, q % 3 ? HOLD : OFF, HOLD);
      writeFileSync(join(dir, `m${f}.mid`), writeMidi(melodyToMidi(melody)));
    }
    const out = join(tmp(), 'melody');
    const code =
      await runTrain(['--model', 'seq', '--data', `midi:${dir}`, '--hidden', '8', '--embed', '4', '--latent', '2', '--epochs', '1',
      '--batch', '8', '--backend', 'wasm', '--out', out]);
    expect(code).toBe(0);
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'));
    expect(vocab.tokens).toHaveLength(94);
    expect(vocab.kind).toBe('melody');
    expect(vocab.maxTokens).toBe(33);
    expect(existsSync(join(out, 'decoder-step.onnx'))).toBe(true);
    // Samples and the interpolation are also written as MIDI: 16 and 10 two-bar windows.
    const samples = readMidi(readFileSync(join(out, 'samples.mid')), 'samples.mid');
    expect(samples.format).toBe(0);
    expect(extractMelody(samples).length).toBeLessThanOrEqual(16 * 32);
    expect(readMidi(readFileSync(join(out, 'interpolation.mid')), 'interpolation.mid').tracks).toHaveLength(1);
  });

  it('bad flags fail before training: usage mistakes exit 2, a missing data source 1', async () => {
    const bad = async (args: string[]) => {
      const r = await trainHere(['--model', 'seq', ...args, '--out', join(tmp(), 'x')]);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      return r;
    };
    expect((await bad(['--cell', 'rnn'])).code).toBe(2);
    expect((await bad(['--word-dropout', '1.5'])).code).toBe(2);
    expect((await bad(['--hidden', '0'])).code).toBe(2);
    expect((await bad(['--widths', '3'])).code).toBe(2);
    expect((await bad(['--data', 'nothing'])).code).toBe(1);
  });

  it('sequence-only flags on an image model are usage errors naming them; --model lists its values', async () => {
    const r = await trainHere(['--model', 'conv', '--cell', 'gru', '--bidirectional', '--out', join(tmp(), 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('edgevae train: --cell, --bidirectional are only for --model seq (sequence VAEs), not image models\n');
    const m = await trainHere(['--model', 'lstm', '--out', join(tmp(), 'x')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toBe("edgevae train: --model: expected conv | mlp | seq, got 'lstm'\n");
  });

  it('--out DIR --resume alone continues a sequence run with its data, limits and length cap; disagreeing flags exit 2', async () => {
    const out = join(tmp(), 'resumable');
    const first =
      await trainHere(['--model', 'seq', '--data', `lines:${corpus}`, '--max-length', '3', '--limit-train', '20', '--limit-test', '3',
      '--cell', 'gru', '--hidden', '8', '--embed', '4', '--latent', '2', '--epochs', '1', '--batch', '8', '--backend', 'wasm', '--out', out,
        '--no-export', '--no-report']);
    expect(first.code, first.stderr).toBe(0);
    const meta = () => loadCheckpoint<SeqCheckpointMeta>(join(out, 'checkpoint.evck')).meta;
    expect(meta().run).toEqual({ data: `lines:${corpus}`, limitTrain: 20, limitTest: 3, maxLength: 3 });
    for (const [flag, value, text] of [
      ['--hidden', '9', '--hidden 9 (the run has 8)'],
      ['--limit-train', '30', '--limit-train 30 (the run has 20)'],
      ['--max-length', '4', '--max-length 4 (the run has 3)'],
      ['--bidirectional', undefined, '--bidirectional (the run has no --bidirectional)'],
    ] as const) {
      const r = await trainHere(['--out', out, '--resume', flag, ...(value ? [value] : [])]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(text);
    }
    const wrongKind = await trainHere(['--model', 'mlp', '--out', out, '--resume']);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toContain('is a sequence model (--model seq)');
    const resumed = await trainHere(['--out', out, '--resume', '--epochs', '2', '--backend', 'wasm', '--no-export', '--no-report']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`of the run on lines:${corpus} (--limit-train 20 --limit-test 3)`);
    expect(resumed.stderr).toMatch(/20 train \/ 3 held-out sequences, \d+ tokens, 4 steps/);
    expect(meta()).toMatchObject({ epoch: 2, trainCount: 20, config: { cell: 'gru', hidden: 8, latent: 2 } });
    expect(meta().resumes).toEqual([{ epoch: 1, batchInEpoch: 0, step: 3 }]);
  });
});
