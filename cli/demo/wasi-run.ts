// Runs the WASI command (build/edgevae-wasi.wasm) under the python `wasmtime` package, the way a Raspberry
// Pi would run it with the wasmtime CLI, in a scratch folder that holds only the model.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkipStep } from './steps.js';

export interface WasiSetup {
  python: string;
  /** hosts/wasi/run-wasmtime.py */
  runner: string;
  /** build/edgevae-wasi.wasm */
  module: string;
}

/** Throws SkipStep naming what is missing and how to get it. */
export function checkWasiTools(s: WasiSetup): void {
  if (!existsSync(s.module)) throw new SkipStep(`${s.module} is missing (build it with "npm run build:wasi")`);
  if (!existsSync(s.runner)) throw new SkipStep(`${s.runner} is missing`);
  const probe = spawnSync(s.python, ['-c', 'import wasmtime'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = probe.error ? String(probe.error.message) : probe.stderr.trim().split('\n').pop();
    throw new SkipStep(`${s.python} cannot import wasmtime (${why}); install it with "pip install wasmtime"`);
  }
}

/** `sample --model model.evae --n N --seed S --out grid.png` under wasmtime; returns the PNG bytes. */
export function wasiSample(s: WasiSetup, modelPath: string, n: number, seed: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'edgevae-demo-wasi-'));
  try {
    copyFileSync(modelPath, join(dir, 'model.evae'));
    const stdout = join(dir, 'stdout.txt');
    const stderr = join(dir, 'stderr.txt');
    const args = ['sample', '--model', 'model.evae', '--n', String(n), '--seed', String(seed), '--out', 'grid.png'];
    const r = spawnSync(s.python, [s.runner, s.module, dir, stdout, stderr, ...args], { encoding: 'utf8', timeout: 120_000 });
    const guestErr = existsSync(stderr) ? readFileSync(stderr, 'utf8').trim() : '';
    if (r.status !== 0) throw new Error(`the WASI module under wasmtime exited with ${r.status ?? r.signal}: ${guestErr || r.stderr.trim()}`);
    return readFileSync(join(dir, 'grid.png'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
