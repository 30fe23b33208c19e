// End-to-end training: the loss falls, a stopped-and-resumed run ends with exactly the weights of an
// uninterrupted one, checkpoints reject corruption, and `edgevae train` writes its outputs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../trainer/backend.js';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint } from '../trainer/checkpoint.js';
import { parseArgs, runTrain } from '../trainer/cli.js';
import { loadDataset, type Dataset, type ImageSet } from '../data/datasets.js';
import { Rng } from '../reference/random.js';
import type { ModelConfig } from '../trainer/models.js';
import { DEFAULT_SETTINGS, Trainer, type CheckpointMeta, type TrainSettings } from '../trainer/train.js';

let mnist: Dataset;
beforeAll(async () => {
  await selectBackend('cpu', { fastKernels: false });
  mnist = loadDataset('mnist', { limitTrain: 512, limitTest: 128 });
});

function slice(set: ImageSet, n: number, per: number): ImageSet {
  return { images: set.images.subarray(0, n * per), labels: set.labels?.subarray(0, n) ?? null, count: n };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'edgevae-train-'));

describe('training', () => {
  it('an MLP VAE on 256 digits: the ELBO improves over 160 steps', async () => {
    const config: ModelConfig = { kind: 'mlp', inputShape: [28, 28, 1], latent: 8, widths: [32], autoencoder: false };
    const settings: TrainSettings = { ...DEFAULT_SETTINGS, epochs: 20, batchSize: 32, seed: 3 };
    const t = Trainer.create(config, settings, { ...mnist, train: slice(mnist.train, 256, 784), test: slice(mnist.test, 64, 784) });
    const tensorsBefore = tf.memory().numTensors;
    await t.run();
    expect(tf.memory().numTensors, 'tensors leaked by the training loop').toBe(tensorsBefore);
    const first = t.history[0];
    const last = t.history[t.history.length - 1];
    expect(t.adam.step).toBe(160);
    expect(last.train.total).toBeLessThan(first.train.total - 100);
    expect(last.test.total).toBeLessThan(first.test.total - 60);
    expect(last.test.kl).toBeGreaterThan(1);
    t.dispose();
  });

  it('stop + resume from the checkpoint gives bit-identical weights, moments and history', async () => {
    // Random 12x12 RGB images: exactness does not depend on the data, and small convs keep it quick.
    const config: ModelConfig = { kind: 'conv', inputShape: [12, 12, 3], latent: 3, widths: [4, 6], autoencoder: false };
    const rng = new Rng(1);
    const random = (n: number) => ({ images: Float32Array.from({ length: n * 432 }, () => rng.uniform()), labels: null, count: n });
    const small: Dataset = { name: 'random', shape: [12, 12, 3], train: random(48), test: random(16) };
    const settings: TrainSettings = { ...DEFAULT_SETTINGS, epochs: 3, batchSize: 16, klWarmupEpochs: 1.5, seed: 11 };

    const straight = Trainer.create(config, settings, small);
    await straight.run();

    const dir = tmp();
    const ckpt = join(dir, 'c.evck');
    const first = Trainer.create(config, settings, small);
    let batches = 0;
    // 3 batches per epoch; shouldStop is polled after every batch and after each epoch, so call 5 is
    // after batch 1 of epoch 2.
    const r1 = await first.run({ checkpointPath: ckpt, shouldStop: () => ++batches === 5 });
    expect(r1.interrupted).toBe(true);
    expect([first.epoch, first.batchInEpoch]).toEqual([1, 1]);
    first.dispose();
    expect(() => Trainer.resume(ckpt, { ...small, train: { ...small.train, count: 47 } })).toThrow(/was trained on 48 images of 'random', now 47/);
    expect(() => Trainer.resume(ckpt, { ...small, name: 'other' })).toThrow(/was trained on 'random', not 'other'/);
    const resumed = Trainer.resume(ckpt, small);
    expect(resumed.adam.step).toBe(4);
    const r2 = await resumed.run({ checkpointPath: ckpt });
    expect(r2.interrupted).toBe(false);

    const a = await straight.model.weights();
    const b = await resumed.model.weights();
    for (const [name, w] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    const ma = await straight.adam.moments();
    const mb = await resumed.adam.moments();
    for (const [name, w] of ma.v) expect(Array.from(mb.v.get(name)!)).toEqual(Array.from(w));
    expect(resumed.adam.step).toBe(straight.adam.step);
    expect(resumed.history.map((h) => [h.train.total, h.test.total])).toEqual(straight.history.map((h) => [h.train.total, h.test.total]));
    straight.dispose();
    resumed.dispose();
  });

  it('checkpoints round-trip and reject corruption and truncation', () => {
    const tensors = new Map([['a', new Float32Array([1, 2, 3])], ['b', new Float32Array([-0, NaN, 1e-30])]]);
    const bytes = encodeCheckpoint({ hello: 'world' }, tensors);
    const back = decodeCheckpoint<{ hello: string }>(bytes);
    expect(back.meta.hello).toBe('world');
    expect(Buffer.from(back.tensors.get('b')!.buffer).equals(Buffer.from(tensors.get('b')!.buffer))).toBe(true);
    // As read from disk: a Buffer view at an odd offset into a larger pool.
    const pooled = Buffer.concat([Buffer.alloc(3, 7), Buffer.from(bytes), Buffer.alloc(5)]).subarray(3, 3 + bytes.length);
    expect(Array.from(decodeCheckpoint(pooled).tensors.get('a')!)).toEqual([1, 2, 3]);
    const flipped = bytes.slice();
    flipped[bytes.length - 1] ^= 0x40;
    expect(() => decodeCheckpoint(flipped, 'x.evck')).toThrow(/x\.evck: checksum mismatch/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), 'x.evck')).toThrow(/checksum mismatch/);
    expect(() => decodeCheckpoint(new Uint8Array(20), 'x.evck')).toThrow(/bad magic/);
  });
});

describe('edgevae train command', () => {
  it('parses options and reports bad ones clearly', async () => {
    const p = parseArgs(['--data', 'mnist', '--epochs=3', '--ae']);
    expect(p.values.get('epochs')).toBe('3');
    expect(p.flags.has('ae')).toBe(true);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option '--bogus'/);
    expect(() => parseArgs(['--epochs'])).toThrow(/--epochs needs a value/);
    // Bad values are usage errors (exit 2), like bad flags.
    expect(await runTrain(['--epochs', 'many', '--data', 'mnist', '--out', join(tmp(), 'x')])).toBe(2);
    expect(await runTrain(['--model', 'rnn', '--out', join(tmp(), 'x')])).toBe(2);
    expect(await runTrain(['--widths', '16,x', '--out', join(tmp(), 'x')])).toBe(2);
    expect(await runTrain(['--epochs', '0', '--out', join(tmp(), 'x')])).toBe(2);
    // Checked before any training, not after it.
    expect(await runTrain(['--compare-ae', '--latent', '3', '--out', join(tmp(), 'x')])).toBe(2);
    expect(await runTrain(['--help'])).toBe(0);
  });

  it('trains, exports ONNX, writes the report, and --resume of a finished run only rewrites outputs', async () => {
    const out = join(tmp(), 'run');
    const args = ['--data', 'mnist', '--model', 'mlp', '--latent', '2', '--widths', '32', '--epochs', '1', '--batch', '64',
      '--limit-train', '256', '--limit-test', '64', '--backend', 'cpu', '--compare-ae', '--out', out];
    expect(await runTrain(args)).toBe(0);
    for (const f of ['checkpoint.evck', 'encoder.onnx', 'decoder.onnx', 'report.html', 'loss.png', 'reconstructions.png', 'samples.png', 'interpolation.png', 'latent.png', 'latent-companion.png', 'history.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Final test loss');
    // A second fresh run into the same folder must not overwrite the checkpoint silently.
    expect(await runTrain(args)).toBe(1);
    writeFileSync(join(out, 'history.json'), '[]');
    expect(await runTrain([...args, '--resume'])).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'))).toHaveLength(1);
  });

  it('Ctrl-C (SIGINT) saves a checkpoint, exits with 130, and --resume continues from it', async () => {
    const out = join(tmp(), 'sigint');
    const args = ['--data', 'mnist', '--model', 'mlp', '--widths', '16', '--latent', '2', '--batch', '16',
      '--limit-train', '512', '--limit-test', '32', '--backend', 'cpu', '--no-export', '--no-report', '--out', out];
    const root = join(import.meta.dirname, '..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'trainer/main.ts', ...args, '--epochs', '200'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Interrupt in the middle of epoch 2, once epoch 1 is done.
        if (stderr.includes('epoch 1/200')) setTimeout(() => { child.kill('SIGINT'); resolve(); }, 300);
      });
      child.on('exit', () => reject(new Error(`trainer exited before the interrupt:\n${stderr}`)));
    });
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/stopp/);
    const meta = loadCheckpoint<CheckpointMeta>(join(out, 'checkpoint.evck')).meta;
    expect(meta.epoch).toBeGreaterThanOrEqual(1);
    expect(meta.epoch).toBeLessThan(200);
    const stepsDone = meta.epoch * 32 + meta.batchInEpoch;
    expect(meta.step).toBe(stepsDone);
    // Resume and finish one more epoch than was completed.
    const code = await runTrain([...args, '--resume', '--epochs', String(meta.epoch + 1)]);
    expect(code).toBe(0);
    const after = loadCheckpoint<CheckpointMeta>(join(out, 'checkpoint.evck')).meta;
    expect(after.epoch).toBe(meta.epoch + 1);
    expect(after.step).toBe((meta.epoch + 1) * 32);
    expect(after.history).toHaveLength(meta.epoch + 1);
  });
});
