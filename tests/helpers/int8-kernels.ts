// The int8 kernels' test-only wasm (assembly/kernels/int8/test-entry.ts), compiled once per test file,
// and a helper that copies a typed array into its memory. Shared by the int8 kernel tests.
import { expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Int8Kernels {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  init(): number;
  denseI8(x: number, zpX: number, sX: number, w: number, ws: number, b: number, y: number, zpY: number, sY: number, relu: number, K: number, M: number, n: number, alpha?: number): void;
  convI8(t: number, x: number, zpX: number, sX: number, w: number, ws: number, b: number, y: number, zpY: number, sY: number, relu: number, ...geom: number[]): void;
  requantParams(sIn: number, ws: number, sOut: number, count: number, out: number): void;
  quantize(x: number, out: number, count: number, scale: number, zp: number, unsigned: number): void;
}

/** Compiles the test entry with the runtime's options and instantiates it (no imports). */
export function buildInt8Kernels(): Int8Kernels {
  const out = join(mkdtempSync(join(tmpdir(), 'int8-kernels-')), 'int8.wasm');
  const r = spawnSync('npx', ['asc', 'assembly/kernels/int8/test-entry.ts', '--enable', 'simd', '--runtime', 'stub', '--use', 'abort=',
    '-O3', '--noAssert', '--initialMemory', '1', '--outFile', out], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`asc failed: ${r.stderr}`);
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports as unknown as Int8Kernels;
}

/** Builds the kernels and runs their init(), which must report success: each int8 test file's beforeAll. */
export function readyInt8Kernels(): Int8Kernels {
  const k = buildInt8Kernels();
  expect(k.init()).toBe(1);
  return k;
}

/** Copies a typed array into a fresh block of the kernels' memory and returns its address. */
export function putInto(k: Int8Kernels, a: Int8Array | Int32Array | Float32Array): number {
  const p = k.alloc(Math.max(16, a.byteLength));
  new Uint8Array(k.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return p;
}
