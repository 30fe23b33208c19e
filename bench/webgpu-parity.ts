// WebGPU (tfjs-backend-webgpu in headless Chromium) against the wasm backend with our SIMD kernels (Node):
// the same conv VAE, seed and batches, step by step. Prints the worst relative loss difference, the
// per-step times and images/s of both, and writes bench/webgpu-parity.md. Slow on SwiftShader; not in CI.
//   npx tsx bench/webgpu-parity.ts [--steps 200] [--batch 8] [--widths 32,64]
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { selectBackend } from '../trainer/backend.js';
import { loadDataset } from '../data/datasets.js';
import { defaultConfig } from '../trainer/models.js';
import { DEFAULT_SETTINGS, Trainer } from '../trainer/train.js';
import { describeAdapter } from '../trainer/webgpu/adapter.js';
import { ChromiumSession } from '../trainer/webgpu/chromium-session.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const steps = Number(flag('steps', '200'));
const batch = Number(flag('batch', '8'));
const widths = flag('widths', '32,64').split(',').map(Number);

/** Runs `steps` steps and records each step's total loss and seconds. */
async function run(t: Trainer): Promise<{ losses: number[]; seconds: number[] }> {
  const losses: number[] = [];
  const seconds: number[] = [];
  const inner = t.engine.step.bind(t.engine);
  t.engine.step = async (...args) => {
    const t0 = performance.now();
    const r = await inner(...args);
    seconds.push((performance.now() - t0) / 1000);
    losses.push(r[0] + r[1]);
    process.stderr.write(`\rstep ${losses.length}/${steps}`);
    return r;
  };
  await t.run();
  process.stderr.write('\n');
  return { losses, seconds };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const wasm = await selectBackend('wasm');
const data = loadDataset('fashion-mnist', { limitTrain: steps * batch, limitTest: batch });
const config = { ...defaultConfig('conv', data.shape), widths };
const settings = { ...DEFAULT_SETTINGS, epochs: 1, batchSize: batch, seed: 3 };
const local = Trainer.create(config, settings, data);
const a = await run(local);
const remote = Trainer.create(config, settings, data);
const session = await ChromiumSession.open({ allowSoftware: true });
try {
  remote.useEngine(await session.engine(remote.model, remote.adam, { recon: settings.recon, sigma: settings.sigma }));
  const b = await run(remote);
  let worst = 0;
  let worstStep = 0;
  for (let i = 0; i < a.losses.length; i++) {
    const rel = Math.abs(a.losses[i] - b.losses[i]) / Math.abs(a.losses[i]);
    if (rel > worst) [worst, worstStep] = [rel, i + 1];
  }
  const rate = (s: number[]) => batch / median(s.slice(1));
  const lines = [
    '# WebGPU against wasm: losses step by step',
    '',
    `- command: \`npx tsx bench/webgpu-parity.ts --steps ${steps} --batch ${batch} --widths ${widths}\` (conv VAE, Fashion-MNIST, seed ` +
      `3, Adam 1e-3)`,
    `- date: ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`,
    `- wasm: ${wasm.description.replace(/ \(install.*$/, '')}`,
    `- WebGPU adapter: ${describeAdapter(session.adapter)}`,
    '',
    '| steps | worst relative loss difference | at step | first loss wasm / WebGPU | last loss wasm / WebGPU |',
    '|---:|---:|---:|---|---|',
    `| ${a.losses.length} | ${worst.toExponential(2)} | ${worstStep} | ${a.losses[0].toFixed(4)} / ${b.losses[0].toFixed(4)} | ` +
      `${a.losses.at(-1)!.toFixed(4)} / ${b.losses.at(-1)!.toFixed(4)} |`,
    '',
    '| backend | first step (s, includes shader compilation on WebGPU) | median step (s) | images/s (median step) |',
    '|---|---:|---:|---:|',
    `| wasm + SIMD kernels | ${a.seconds[0].toFixed(2)} | ${median(a.seconds.slice(1)).toFixed(3)} | ${rate(a.seconds).toFixed(1)} |`,
    `| WebGPU (${session.adapter.architecture || session.adapter.vendor}) ` +
      `| ${b.seconds[0].toFixed(2)} | ${median(b.seconds.slice(1)).toFixed(3)} | ${rate(b.seconds).toFixed(1)} |`,
    '',
  ];
  console.log(lines.join('\n'));
  const every = Math.max(1, Math.floor(steps / 20));
  const trace = a.losses.map((l, i) => [i + 1, l, b.losses[i]] as const).filter(([s]) => s === 1 || s % every === 0);
  lines.push('Losses (nats per image) every few steps:', '', '| step | wasm | WebGPU | relative difference |', '|---:|---:|---:|---:|');
  for (const [s, x, y] of trace) lines.push(
    `| ${s} | ${x.toFixed(4)} | ${y.toFixed(4)} | ${(Math.abs(x - y) / Math.abs(x)).toExponential(2)} |`);
  if (!process.argv.includes('--no-write')) writeFileSync(new URL('./webgpu-parity.md', import.meta.url), lines.join('\n') + '\n');
} finally {
  await session.close();
}
