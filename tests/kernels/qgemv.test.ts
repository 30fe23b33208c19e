// The int8-weights GEMV of the sequence kernels (assembly/kernels/recurrent.ts qgemv) against its f32 twin
// (tests/kernels/recurrent-reference.ts qgemvRef), bit for bit: the kernel file is compiled alone with a two-line entry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qgemvRef } from './recurrent-reference.js';
import { rng } from './harness.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'edgevae-qgemv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Kernel {
  memory: WebAssembly.Memory;
  heapBase(): number;
  qgemv(x: number, q: number, ld: number, scale: number, bias: number, out: number, K: number, M: number): void;
}
let kernel: Kernel;

beforeAll(async () => {
  const entry = join(work, 'entry.ts');
  const kernelPath = relative(work, join(ROOT, 'assembly/kernels/recurrent')).replace(/\\/g, '/');
  writeFileSync(entry, `export { qgemv } from '${kernelPath}';\nexport function heapBase(): usize { return __heap_base; }\n`);
  let binary: Uint8Array | undefined;
  let stderr = '';
  const args = [entry, '--outFile', join(work, 'k.wasm'), '--runtime', 'stub', '--enable', 'simd', '--optimizeLevel', '0'];
  const { error } = await asc.main([...args, '--config', join(work, 'none.json')], {
    writeFile: (name: string, contents: string | Uint8Array) => {
      if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
    },
    stderr: { write: (s: string | Uint8Array) => { stderr += String(s); return true; } } as never,
  });
  if (error || !binary) throw new Error(`asc failed: ${stderr}`);
  const module = await WebAssembly.compile(new Uint8Array(binary));
  kernel = (await WebAssembly.instantiate(module, { env: { abort: () => { throw new Error('abort'); } } })).exports as unknown as Kernel;
}, 60_000);

/** Runs qgemv on columns [col, col + M) of q [K, ld] with the given data; returns out. */
function runKernel(x: Float32Array, q: Int8Array, ld: number, col: number, scale: Float32Array, bias: Float32Array, K: number, M: number) {
  const base = (kernel.heapBase() + 15) & ~15;
  // Odd offsets: the kernel must not rely on aligned i8 rows or f32 vectors.
  const xp = base + 4, qp = xp + x.length * 4 + 3, sp = qp + q.length + 5, bp = sp + scale.length * 4 + 4, op = bp + bias.length * 4 + 8;
  const end = op + M * 4 + 64;
  const have = kernel.memory.buffer.byteLength;
  if (end > have) kernel.memory.grow(Math.ceil((end - have) / 65536));
  const u8 = new Uint8Array(kernel.memory.buffer);
  u8.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), xp);
  u8.set(new Uint8Array(q.buffer, q.byteOffset, q.byteLength), qp);
  u8.set(new Uint8Array(scale.buffer, scale.byteOffset, scale.byteLength), sp);
  u8.set(new Uint8Array(bias.buffer, bias.byteOffset, bias.byteLength), bp);
  u8.fill(0xff, op, op + M * 4); // stale garbage: the kernel starts its sums from zero
  kernel.qgemv(xp, qp + col, ld, sp + col * 4, bp, op, K, M);
  return new Float32Array(kernel.memory.buffer.slice(op, op + M * 4));
}

function data(K: number, ld: number, M: number, seed: number) {
  const r = rng(seed);
  const x = Float32Array.from({ length: K }, () => (r() * 2 - 1) * 3);
  const q = Int8Array.from({ length: K * ld }, () => Math.floor(r() * 256) - 128);
  const scale = Float32Array.from({ length: ld }, () => 0.001 + r() * 0.02);
  const bias = Float32Array.from({ length: M }, () => r() * 2 - 1);
  return { x, q, scale, bias };
}

describe('qgemv (int8-weights GEMV)', () => {
  // K: multiples of 4 and remainders (the four-row body and the one-row tail); M: vector body and column tail;
  // col > 0 with ld > M: the GRU third block (columns 2H..3H of R).
  const shapes: [K: number, ld: number, col: number, M: number][] = [
    [16, 16, 0, 16], [7, 12, 0, 12], [13, 10, 0, 10], [1, 3, 0, 3], [64, 96, 64, 32], [33, 30, 20, 10], [512, 2048, 0, 2048],
  ];
  it.each(shapes)('K %i, ld %i, columns from %i, M %i: bit-identical to the f32 twin', (K, ld, col, M) => {
    const { x, q, scale, bias } = data(K, ld, M, K * 1000 + M);
    const got = runKernel(x, q, ld, col, scale, bias, K, M);
    const want = qgemvRef(x, q, ld, col, scale, bias, K, M);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('the comparison sees the order of operations (the dequantize-first order gives other bits)', () => {
    const K = 512, M = 256;
    const { x, q, scale, bias } = data(K, M, M, 7);
    const got = runKernel(x, q, M, 0, scale, bias, K, M);
    const f = Math.fround;
    let differ = 0;
    for (let m = 0; m < M; m++) {
      let s = bias[m]!;
      for (let k = 0; k < K; k++) s = f(s + f(x[k]! * f(q[k * M + m]! * scale[m]!)));
      if (s !== got[m]) differ++;
    }
    expect(differ).toBeGreaterThan(M / 10);
  });
});
