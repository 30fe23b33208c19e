// Training throughput of `edgevae train` itself (the trainer users run, on the backend it picks), as a
// short fixed run: 60 batches of 128 Fashion-MNIST images per model, one epoch, no report or export.
// Each model trains in its own child process; images/s comes from the trainer's history.json (training
// steps only; the test-set evaluation is excluded) and the child's CPU time. Writes bench/train-results.md.
//   npx tsx bench/train-speed.ts            (part of `npm run bench`)
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainFashionMnist } from './train-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const IMAGES = 60 * 128;
const RUNS = [
  { model: 'conv', what: 'default conv VAE (32-64 conv, latent 16)', target: '>= 300 images/s' },
  { model: 'mlp', what: 'MLP VAE 784-400-20', target: '' },
];

interface Row { what: string; backend: string; imagesPerSecond: number; wallSeconds: number; target: string }
const rows: Row[] = [];
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
for (const run of RUNS) {
  const child = trainFashionMnist('edgevae-train-speed-', ['--model', run.model, '--epochs', '1', '--batch', '128',
    '--limit-train', String(IMAGES), '--limit-test', '1000']);
  if (child.status !== 0) throw new Error(`train ${run.model} failed (exit ${child.status}):\n${child.stderr}`);
  const backend = /backend: ([^\n(]+)/.exec(child.stdout + child.stderr)?.[1]?.trim() ?? '?';
  const imagesPerSecond = child.imagesPerSecond[0]!;
  rows.push({ what: run.what, backend, imagesPerSecond, wallSeconds: child.wallSeconds, target: run.target });
  console.log(`${run.model}: ${imagesPerSecond.toFixed(0)} images/s (${backend})`);
}

const md = [
  '# edgevae training throughput',
  '',
  `- date: ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}; load average before: ${load}`,
  `- command: \`npx tsx bench/train-speed.ts\` (part of \`npm run bench\`): \`edgevae train --data fashion-mnist --epochs 1 --batch 128 --limit-train ${IMAGES}\`, Adam 1e-3, backend auto`,
  '- images/s over the training steps of that epoch (forward + backward + Adam), from the trainer\'s history.json',
  '',
  '| model | backend | images/s | target | whole run incl. startup and test pass |',
  '|---|---|---:|---|---:|',
  ...rows.map((r) => `| ${r.what} | ${r.backend} | **${r.imagesPerSecond.toFixed(0)}** | ${r.target} | ${r.wallSeconds.toFixed(1)} s |`),
  '',
  'On a shared machine these are lower bounds: the full 10-epoch run of models/default reached 552 images/s in its last epoch on an idle machine.',
  '',
].join('\n');
writeFileSync(join(here, 'train-results.md'), md);
console.log('wrote bench/train-results.md');
