// WebGPU training (tfjs-backend-webgpu in headless Chromium; SwiftShader on CPU-only machines) against the
// wasm backend with our SIMD kernels in Node: the same conv VAE, seed and batches give the same losses step
// by step; the WebGPU-trained model exports ONNX that converts and matches onnxruntime; `edgevae train
// --backend webgpu` checkpoints a run that another backend resumes; auto skips a software adapter.
// bench/webgpu-parity.ts runs the long comparison (200 steps, results in bench/webgpu-parity.md).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { loadModel } from '../runtime/node.js';
import { selectBackend } from '../trainer/backend.js';
import { runTrain } from '../trainer/cli.js';
import { loadDataset } from '../data/datasets.js';
import { buildOnnx } from '../trainer/export-onnx.js';
import { defaultConfig } from '../trainer/models.js';
import { DEFAULT_SETTINGS, Trainer, type CheckpointMeta } from '../trainer/train.js';
import { loadCheckpoint } from '../trainer/checkpoint.js';
import { isSoftwareAdapter } from '../trainer/webgpu/adapter.js';
import { ChromiumSession } from '../trainer/webgpu/chromium-session.js';
import { requireChromium } from './helpers/browser.js';
import { runOnnx } from './helpers/ort.js';

const HAVE_CHROMIUM = requireChromium('tests/trainer-webgpu.test.ts');
/**
 * CI-sized: on SwiftShader the first step compiles every WebGPU shader (tens of seconds on 2 cores), later
 * steps take about a second; bench/webgpu-parity.ts measured 200 steps (see bench/webgpu-parity.md).
 */
const STEPS = 5;
const BATCH = 8;

let work: string;
let session: ChromiumSession;

async function stepLosses(t: Trainer): Promise<number[]> {
  const losses: number[] = [];
  const inner = t.engine.step.bind(t.engine);
  t.engine.step = async (...args) => {
    const r = await inner(...args);
    losses.push(r[0] + r[1]);
    return r;
  };
  await t.run();
  return losses;
}

describe.skipIf(!HAVE_CHROMIUM)('WebGPU training', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'edgevae-webgpu-'));
    await selectBackend('wasm');
    session = await ChromiumSession.open({ allowSoftware: true });
  });

  afterAll(async () => {
    await session?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`conv VAE: ${STEPS} steps on WebGPU match wasm + SIMD kernels within 1e-3 relative, step by step; the ONNX export matches onnxruntime`,
    async () => {
    const data = loadDataset('mnist', { limitTrain: STEPS * BATCH, limitTest: BATCH });
    const config = defaultConfig('conv', data.shape);
    const settings = { ...DEFAULT_SETTINGS, epochs: 1, batchSize: BATCH, seed: 3 };
    const local = Trainer.create(config, settings, data);
    const expected = await stepLosses(local);
    const remote = Trainer.create(config, settings, data);
    remote.useEngine(await session.engine(remote.model, remote.adam, { recon: settings.recon, sigma: settings.sigma }));
    const got = await stepLosses(remote);
    expect(got).toHaveLength(STEPS);
    for (let i = 0; i < STEPS; i++) expect(Math.abs(got[i] - expected[i]) / Math.abs(expected[i]), `step ${i + 1}`).toBeLessThan(1e-3);
    expect(remote.adam.step).toBe(STEPS);
    expect(remote.history[0].test.total).toBeCloseTo(local.history[0].test.total, 0);

    // The mirror in Node holds the page's weights: export, convert, compare with onnxruntime.
    const { encoder, decoder } = buildOnnx(config, await remote.model.weights());
    writeFileSync(join(work, 'decoder.onnx'), decoder);
    const vae = await loadModel((await convert({ encoder, decoder })).bytes);
    const { z, images } = vae.sample(4, { seed: 5 });
    const ref = Object.values(await runOnnx(join(work, 'decoder.onnx'), { z: { data: z, dims: [4, config.latent] } }))[0].data;
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - images[i]));
    expect(worst).toBeLessThan(1e-4);
    local.dispose();
    remote.dispose();
  }, 600_000);

  it('edgevae train --backend webgpu writes a checkpoint that --resume continues on wasm; seq models are refused', async () => {
    const out = join(work, 'run');
    const base = ['--data', 'mnist', '--model', 'mlp', '--widths', '16', '--latent', '2', '--batch', '16', '--limit-train', '32',
      '--limit-test', '16', '--no-report', '--no-export', '--out', out];
    expect(await runTrain([...base, '--epochs', '1', '--backend', 'webgpu'])).toBe(0);
    const meta = loadCheckpoint<CheckpointMeta>(join(out, 'checkpoint.evck')).meta;
    expect(meta.step).toBe(2);
    expect(meta.history).toHaveLength(1);
    expect(await runTrain([...base, '--epochs', '2', '--backend', 'wasm', '--resume'])).toBe(0);
    const after = loadCheckpoint<CheckpointMeta>(join(out, 'checkpoint.evck'));
    expect(after.meta.step).toBe(4);
    expect(after.meta.history).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'))).toHaveLength(2);
    expect(await runTrain(['--model', 'seq', '--backend', 'webgpu', '--out', join(work, 'seq')])).toBe(2);
  }, 600_000);

  it('auto uses WebGPU only on a hardware adapter and says why', async () => {
    const info = await selectBackend('auto');
    if (isSoftwareAdapter(session.adapter)) {
      expect(info.name).not.toBe('webgpu');
      expect(info.why).toMatch(/no WebGPU: Chromium's WebGPU adapter is software/);
    } else {
      expect(info.name).toBe('webgpu');
      await info.session?.close();
    }
  });
});
