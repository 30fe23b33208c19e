// Training images/s per backend available here, through `edgevae train --backend B` (a child process each):
// the default conv VAE, batch 128, two short epochs; the second epoch's images/s is reported, so WebGPU's
// one-time shader compilation (in the first step) is left out. Writes bench/train-backends.md.
//   npx tsx bench/train-backends.ts [--images 256]     (part of `npm run bench`)
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainFashionMnist } from './train-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const at = process.argv.indexOf('--images');
const IMAGES = at >= 0 ? Number(process.argv[at + 1]) : 256;
const BACKENDS = ['wasm', 'webgpu'];

interface Row { backend: string; line: string; first: number; second: number; wallSeconds: number }
const rows: Row[] = [];
const skipped: string[] = [];
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
for (const backend of BACKENDS) {
  const run = trainFashionMnist('edgevae-train-backends-', ['--model', 'conv', '--epochs', '2', '--batch', '128', '--backend', backend,
    '--limit-train', String(IMAGES), '--limit-test', '128']);
  if (run.status !== 0) {
    skipped.push(`${backend}: ${run.stderr.trim().split('\n').at(-1)}`);
    console.log(`${backend}: not available (${skipped.at(-1)})`);
    continue;
  }
  const line = /^backend: (.*)$/m.exec(run.stderr)?.[1] ?? '?';
  const [first, second] = run.imagesPerSecond as [number, number];
  rows.push({ backend, line, first, second, wallSeconds: run.wallSeconds });
  console.log(`${backend}: ${second.toFixed(1)} images/s (${line})`);
}

const md = [
  '# Training speed per backend',
  '',
  `- date: ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}; load average ` +
    `before: ${load}`,
  `- command: \`npx tsx bench/train-backends.ts --images ${IMAGES}\` (part of \`npm run bench\`): \`edgevae train --data fashion-mnist ` +
    `--model conv ` +
    `--epochs 2 --batch 128 --limit-train ${IMAGES} --backend B\``,
  '- images/s of the training steps of epoch 2 (epoch 1 includes WebGPU shader compilation), from history.json',
  '',
  '| backend | `backend:` line | images/s epoch 2 | images/s epoch 1 | whole run incl. Chromium start |',
  '|---|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.backend} | ${r.line} | **${r.second.toFixed(1)}** | ${r.first.toFixed(1)} | ${r.wallSeconds.toFixed(1)} s |`),
  ...(skipped.length ? ['', 'Not available here:', '', ...skipped.map((s) => `- ${s}`)] : []),
  '',
].join('\n');
writeFileSync(join(here, 'train-backends.md'), md);
console.log('wrote bench/train-backends.md');
