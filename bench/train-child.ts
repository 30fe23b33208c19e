// One `edgevae train` run on Fashion-MNIST in a child process, the way the training benches measure it: a fresh
// output folder, no report or export, and the per-epoch images/s read back from the trainer's history.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface TrainChild {
  status: number | null;
  stdout: string;
  stderr: string;
  /** whole run: start-up, training, test passes */
  wallSeconds: number;
  /** per epoch, from history.json (empty when the run failed) */
  imagesPerSecond: number[];
}

/** `edgevae train --data fashion-mnist <flags> --no-report --no-export --out <temp dir>`; the folder is removed after. */
export function trainFashionMnist(tempPrefix: string, flags: string[]): TrainChild {
  const out = mkdtempSync(join(tmpdir(), tempPrefix));
  try {
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'trainer', 'main.ts'),
      '--data', 'fashion-mnist', ...flags, '--no-report', '--no-export', '--out', out],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
    const wallSeconds = (performance.now() - started) / 1000;
    const history = child.status === 0
      ? JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { imagesPerSecond: number }[]
      : [];
    const imagesPerSecond = history.map((h) => h.imagesPerSecond);
    return { status: child.status, stdout: child.stdout, stderr: child.stderr, wallSeconds, imagesPerSecond };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
