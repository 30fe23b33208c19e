// `edgevae train` stopped with Ctrl-C prints a resume command; running exactly that command (no other
// flag) continues the same run: same data, limits, model and settings, restored from the checkpoint.
// A run-defining flag that contradicts the checkpoint is a one-line usage error; the report says the
// run was resumed.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeCheckpoint } from '../trainer/checkpoint.js';
import { CHECKPOINT_FILE } from '../trainer/cli.js';
import type { CheckpointMeta } from '../trainer/train.js';
import { seededIdxDir, trainHere } from './helpers/train-run.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'edgevae.js');
const SIDE = 12;
const IMAGES = 200;

const { dir, data } = seededIdxDir('edgevae-train-resume-', 'noise.idx', IMAGES, SIDE, 3, (pixels, rng) => {
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.chance(0.3) ? 255 : 0;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (out: string): CheckpointMeta => decodeCheckpoint<CheckpointMeta>(readFileSync(join(out, CHECKPOINT_FILE))).meta;

/** Starts a training run and sends Ctrl-C (SIGINT) when the first epoch line appears. */
function trainUntilFirstEpoch(out: string): Promise<{ code: number | null; stderr: string }> {
  const args = [BIN, 'train', '--data', data, '--limit-train', '48', '--limit-test', '20', '--model', 'mlp', '--widths', '16',
    '--latent', '3', '--batch', '8', '--seed', '9', '--beta', '0.5', '--kl-warmup', '2', '--recon', 'gaussian', '--epochs', '12',
    '--backend', 'cpu', '--out', out, '--no-export'];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && /^epoch 1\/12 train/m.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return new Promise((done) => child.on('close', (code) => done({ code, stderr })));
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, EDGEVAE_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('edgevae train --resume', () => {
  it('the printed resume command alone continues the same run; conflicting flags are usage errors', async () => {
    const out = join(dir, 'run');
    const first = await trainUntilFirstEpoch(out);
    expect(first.code, first.stderr).toBe(130);
    const printed = /continue with: (edgevae train .*)$/m.exec(first.stderr)?.[1];
    expect(printed, first.stderr).toBe(`edgevae train --out ${out} --resume`);
    const before = meta(out);
    expect(before.run).toEqual({ data, limitTrain: 48, limitTest: 20 });
    expect(before.epoch).toBeLessThan(12);

    // A flag that disagrees with the stored run: one line, exit 2, nothing trained.
    for (const [flag, value, text] of [
      ['--limit-train', '100', '--limit-train 100 (the run has 48)'],
      ['--latent', '4', '--latent 4 (the run has 3)'],
      ['--recon', 'bernoulli', '--recon bernoulli (the run has gaussian)'],
      ['--data', 'fashion-mnist', `--data fashion-mnist (the run has ${data})`],
    ] as const) {
      const r = await trainHere(['--out', out, '--resume', flag, value]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^edgevae train: --resume continues the run in /);
      expect(r.stderr).toContain(text);
    }
    expect(meta(out).step).toBe(before.step);
    // Exactly the printed command (args after "edgevae"): finishes the 12 epochs on the same 48 images.
    const resumed = cli(printed!.split(' ').slice(1));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`of the run on ${data} (--limit-train 48 --limit-test 20)`);
    expect(resumed.stderr).toMatch(/data: .* 48 train \/ 20 test images/);
    const after = meta(out);
    expect(after.epoch).toBe(12);
    expect(after.config).toMatchObject({ kind: 'mlp', widths: [16], latent: 3 });
    expect(after.settings).toMatchObject({ batchSize: 8, seed: 9, beta: 0.5, klWarmupEpochs: 2, recon: 'gaussian' });
    expect(after.resumes).toEqual([{ epoch: before.epoch, batchInEpoch: before.batchInEpoch, step: before.step }]);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('This run was stopped and resumed from its checkpoint once');
    expect(report).toContain('Training: 12 epochs');

    // Flags that agree with the run are fine (the original command line plus --resume, with more epochs).
    const agreeing = await trainHere(['--out', out, '--resume', '--epochs', '13', '--data', data, '--limit-train', '48', '--latent', '3',
      '--widths', '16', '--model', 'mlp', '--batch', '8', '--beta', '0.5', '--no-export', '--no-report']);
    expect(agreeing.code, agreeing.stderr).toBe(0);
    expect(meta(out).epoch).toBe(13);
    expect(meta(out).resumes).toHaveLength(2);
  }, 120_000);
});
