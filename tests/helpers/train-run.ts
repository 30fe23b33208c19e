// What the `edgevae train` tests share: small synthetic IDX image files and running the command in this
// process (no second tfjs start-up) with its output captured.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { runTrain } from '../../trainer/cli.js';
import { Rng } from '../../fuzz/rng.js';

/** Writes an IDX image file of `count` images of side x side bytes, each filled by `fill`. */
export function writeIdxImages(path: string, count: number, side: number, fill: (pixels: Uint8Array, n: number) => void): void {
  const bytes = new Uint8Array(16 + count * side * side);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 0x0803, false);
  v.setUint32(4, count, false);
  v.setUint32(8, side, false);
  v.setUint32(12, side, false);
  for (let n = 0; n < count; n++) fill(bytes.subarray(16 + n * side * side, 16 + (n + 1) * side * side), n);
  writeFileSync(path, bytes);
}

/** A fresh temp dir holding the IDX file `name`: `count` seeded images of side x side, each filled by `fill` from one generator. */
export function seededIdxDir(prefix: string, name: string, count: number, side: number, seed: number,
  fill: (pixels: Uint8Array, rng: Rng) => void): { dir: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const data = join(dir, name);
  const rng = new Rng(seed);
  writeIdxImages(data, count, side, (pixels) => fill(pixels, rng));
  return { dir, data };
}

/** `edgevae train ...` in this process: exit code and stderr (stdout is dropped). */
export async function trainHere(args: string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  const log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runTrain(args), stderr: err.join('') };
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
}
