// Training images/s per backend available here, through `edgevae train --backend B` (a child process each):
// the default conv VAE, batch 128, two short epochs; the second epoch's images/s is reported, so WebGPU's
// one-time shader compilation (in the first step) is left out. Writes bench/train-backends.md.
//   npx tsx bench/train-backends.ts [--images 256]     (part of `npm run bench`)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const at = process.argv.indexOf('--images');
const IMAGES = at >= 0 ? Number(process.argv[at + 1]) : 256;
const BACKENDS = ['wasm', 'webgpu'];

interface Row { backend: string; line: string; first: number; second: number; wallSeconds: number }
const rows: Row[] = [];
const skipped: string[] = [];
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
for (const backend of BACKENDS) {
  const out = mkdtempSync(join(tmpdir(), 'edgevae-train-backends-'));
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'trainer', 'main.ts'),
    '--data', 'fashion-mnist', '--model', 'conv', '--epochs', '2', '--batch', '128', '--backend', backend,
    '--limit-train', String(IMAGES), '--limit-test', '128', '--no-report', '--no-export', '--out', out],
  { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallSeconds = (performance.now() - started) / 1000;
  if (child.status !== 0) {
    skipped.push(`${backend}: ${child.stderr.trim().split('\n').at(-1)}`);
    console.log(`${backend}: not available (${skipped.at(-1)})`);
    rmSync(out, { recursive: true, force: true });
    continue;
  }
  const line = /^backend: (.*)$/m.exec(child.stderr)?.[1] ?? '?';
  const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { imagesPerSecond: number }[];
  rmSync(out, { recursive: true, force: true });
  rows.push({ backend, line, first: history[0]!.imagesPerSecond, second: history[1]!.imagesPerSecond, wallSeconds });
  console.log(`${backend}: ${history[1]!.imagesPerSecond.toFixed(1)} images/s (${line})`);
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
