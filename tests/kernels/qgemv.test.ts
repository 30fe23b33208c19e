// The int8-weights GEMV of the sequence kernels (assembly/kernels/recurrent.ts qgemv) against its f32 twin
// (tests/kernels/recurrent-reference.ts qgemvRef), and the int8-activation path (quantizeRow, packI8Panels + qgemvI8) against
// quantizeRowRef / qgemvI8Ref, bit for bit: the kernel file is compiled alone with a short entry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qgemvI8Ref, qgemvRef, quantizeRowRef } from './recurrent-reference.js';
import { rng } from './harness.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'edgevae-qgemv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Kernel {
  memory: WebAssembly.Memory;
  heapBase(): number;
  qgemv(x: number, q: number, ld: number, scale: number, bias: number, out: number, K: number, M: number): void;
  quantizeRow(x: number, K: number, xq: number): number;
  packI8Panels(q: number, ld: number, K: number, M: number, dst: number): void;
  panelBytes(K: number, M: number): number;
  packRecurrentPanels(W: number, R: number, I: number, H: number, G: number, D: number, dst: number): void;
  recurrentPanelBytes(I: number, H: number, G: number, D: number): number;
  qgemvI8(xq: number, sx: number, panels: number, K: number, scale: number, bias: number, out: number, M: number): void;
}
let kernel: Kernel;

beforeAll(async () => {
  const entry = join(work, 'entry.ts');
  const kernelPath = relative(work, join(ROOT, 'assembly/kernels/recurrent')).replace(/\\/g, '/');
  writeFileSync(entry,
    `export { qgemv, quantizeRow, packI8Panels, panelBytes, qgemvI8, packRecurrentPanels, recurrentPanelBytes } from '${kernelPath}';\n` +
    'export function heapBase(): usize { return __heap_base; }\n');
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

/**
 * Copies the inputs into the kernel's memory one after another, each `gap` bytes after the end of the last (odd gaps:
 * the kernel must not rely on aligned i8 rows or f32 vectors), then fills `out.bytes` bytes `out.gap` further on with
 * stale garbage; grows the memory as needed. Returns the inputs' addresses and the output's, last.
 */
function place(inputs: Array<[gap: number, data: ArrayBufferView]>, out: { gap: number; bytes: number; garbage: number }): number[] {
  const at: number[] = [];
  let p = (kernel.heapBase() + 15) & ~15;
  for (const [gap, a] of inputs) {
    p += gap;
    at.push(p);
    p += a.byteLength;
  }
  const op = p + out.gap;
  const end = op + out.bytes + 64;
  const have = kernel.memory.buffer.byteLength;
  if (end > have) kernel.memory.grow(Math.ceil((end - have) / 65536));
  const u8 = new Uint8Array(kernel.memory.buffer);
  inputs.forEach(([, a], i) => u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at[i]!));
  u8.fill(out.garbage, op, op + out.bytes);
  return [...at, op];
}

/** Runs qgemv on columns [col, col + M) of q [K, ld] with the given data; returns out. */
function runKernel(x: Float32Array, q: Int8Array, ld: number, col: number, scale: Float32Array, bias: Float32Array, K: number, M: number) {
  // The garbage in out: the kernel starts its sums from zero.
  const [xp, qp, sp, bp, op] = place([[4, x], [3, q], [5, scale], [4, bias]], { gap: 8, bytes: M * 4, garbage: 0xff }) as
    [number, number, number, number, number];
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

/** quantizeRow of x at an odd offset; returns the i16 row (K + pad) and the scale. */
function runQuantize(x: Float32Array) {
  const pad = x.length + (x.length & 1);
  // The garbage in the row: the pad must be written too.
  const [xp, qp] = place([[4, x]], { gap: 6, bytes: pad * 2, garbage: 0x5a }) as [number, number];
  const scale = kernel.quantizeRow(xp, x.length, qp);
  return { q: new Int16Array(kernel.memory.buffer.slice(qp, qp + pad * 2)), scale };
}

/**
 * qgemvI8 on columns [col, col + M) of q [K, ld] with the quantized row xq (K + pad values), after packI8Panels
 * packed those columns; stale bytes around (panels, the row's tail up to the next four values, past out) must not matter.
 */
function runI8(xq: Int16Array, sx: number, q: Int8Array, ld: number, col: number, scale: Float32Array, bias: Float32Array,
  K: number, M: number) {
  const base = (kernel.heapBase() + 15) & ~15;
  const xp = base + 2, qp = xp + xq.length * 2 + 8 + 3, sp = qp + q.length + 5, bp = sp + scale.length * 4 + 4;
  const op = bp + bias.length * 4 + 8;
  const pp = op + M * 4 + 64 + 1, panelBytes = kernel.panelBytes(K, M);
  const end = pp + panelBytes + 64;
  const have = kernel.memory.buffer.byteLength;
  if (end > have) kernel.memory.grow(Math.ceil((end - have) / 65536));
  const u8 = new Uint8Array(kernel.memory.buffer);
  u8.set(new Uint8Array(xq.buffer, xq.byteOffset, xq.byteLength), xp);
  u8.fill(0x5a, xp + xq.length * 2, xp + xq.length * 2 + 8); // meets only zero padding weights
  u8.set(new Uint8Array(q.buffer, q.byteOffset, q.byteLength), qp);
  u8.set(new Uint8Array(scale.buffer, scale.byteOffset, scale.byteLength), sp);
  u8.set(new Uint8Array(bias.buffer, bias.byteOffset, bias.byteLength), bp);
  u8.fill(0xff, op, op + M * 4 + 64);
  u8.fill(0x77, pp, pp + panelBytes); // the packing writes its zero padding itself
  kernel.packI8Panels(qp + col, ld, K, M, pp);
  kernel.qgemvI8(xp, sx, pp, K, sp + col * 4, bp, op, M);
  expect(Array.from(new Uint8Array(kernel.memory.buffer, op + M * 4, 64)).every((v) => v === 0xff)).toBe(true);
  return new Float32Array(kernel.memory.buffer.slice(op, op + M * 4));
}

describe('quantizeRow + qgemvI8 (int8 activations)', () => {
  it.each([1, 3, 7, 8, 13, 64, 320, 513])('quantizeRow of %i values: bit-identical to the twin, ties and edge values included', (K) => {
    const r = rng(K);
    const x = Float32Array.from({ length: K }, () => (r() * 2 - 1) * 3);
    if (K > 2) { x[0] = 3.5; x[1] = -3.5; x[2] = 0; } // the row maximum is 3.5: x * 127/3.5 hits exact .5 ties
    if (K > 6) { x[3] = (0.5 * 3.5) / 127; x[4] = (1.5 * 3.5) / 127; x[5] = -0; x[6] = (-2.5 * 3.5) / 127; }
    const got = runQuantize(x);
    const want = quantizeRowRef(x);
    expect(got.scale).toBe(want.scale);
    expect(Array.from(got.q)).toEqual(Array.from(want.q));
    expect(Math.max(...Array.from(got.q, Math.abs))).toBe(127);
  });

  it('quantizeRow: an all-zero row, a NaN and an infinity', () => {
    for (const x of [new Float32Array(9), Float32Array.of(1, NaN, 2, 3, 4, 5, 6, 7, 8), Float32Array.of(1, 2, Infinity, -4, 5)]) {
      const got = runQuantize(x);
      const want = quantizeRowRef(x);
      expect(Object.is(got.scale, want.scale) || (Number.isNaN(got.scale) && Number.isNaN(want.scale))).toBe(true);
      expect(Array.from(got.q)).toEqual(Array.from(want.q));
    }
    expect(runQuantize(new Float32Array(9)).scale).toBe(0);
  });

  // K: multiples of 4 and remainders 1..3 (padding rows); M: whole and partial groups of 16 columns, partial panels; col > 0.
  const shapes: [K: number, ld: number, col: number, M: number][] = [
    [16, 16, 0, 16], [7, 12, 0, 12], [13, 10, 0, 10], [1, 3, 0, 3], [6, 40, 0, 40], [64, 96, 64, 32], [33, 30, 20, 10],
    [20, 21, 0, 21], [9, 70, 3, 67], [320, 2048, 0, 2048], [512, 2048, 0, 2048],
  ];
  it.each(shapes)('qgemvI8 K %i, ld %i, columns from %i, M %i: bit-identical to the twin', (K, ld, col, M) => {
    const { x, q, scale, bias } = data(K, ld, M, K * 7 + M);
    const { q: xq, scale: sx } = quantizeRowRef(x);
    const got = runI8(xq, sx, q, ld, col, scale, bias, K, M);
    const want = qgemvI8Ref(xq, sx, q, ld, col, scale, bias, K, M);
    expect(Array.from(got)).toEqual(Array.from(want));
    // and close to the float product (int8 rounding of x only): the twin is not a copy of a wrong kernel
    const exact = qgemvRef(x, q, ld, col, scale, bias, K, M);
    const tol = 3 * sx * Math.sqrt(K) * 128 * Math.max(...scale);
    exact.forEach((v, m) => expect(Math.abs(v - got[m]!)).toBeLessThan(tol));
  });

  it('packRecurrentPanels: every (matrix, direction, gate block) run is that block packed alone (bidirectional GRU, H 10)', () => {
    const I = 7, H = 10, G = 3, D = 2, GH = G * H;
    const r = rng(99);
    const W = Int8Array.from({ length: D * I * GH }, () => Math.floor(r() * 256) - 128);
    const R = Int8Array.from({ length: D * H * GH }, () => Math.floor(r() * 256) - 128);
    const base = (kernel.heapBase() + 15) & ~15;
    const wp = base + 1, rp = wp + W.length + 3, dst = rp + R.length + 5, bytes = kernel.recurrentPanelBytes(I, H, G, D);
    const one = dst + bytes + 7, end = one + kernel.panelBytes(H, H) + 64;
    const have = kernel.memory.buffer.byteLength;
    if (end > have) kernel.memory.grow(Math.ceil((end - have) / 65536));
    new Uint8Array(kernel.memory.buffer).set(new Uint8Array(W.buffer), wp);
    new Uint8Array(kernel.memory.buffer).set(new Uint8Array(R.buffer), rp);
    kernel.packRecurrentPanels(wp, rp, I, H, G, D, dst);
    const packed = new Uint8Array(kernel.memory.buffer.slice(dst, dst + bytes));
    expect(bytes).toBe(D * G * (kernel.panelBytes(I, H) + kernel.panelBytes(H, H)));
    let at = 0;
    for (const [src, K] of [[wp, I], [rp, H]] as const) {
      for (let b = 0; b < D * G; b++) {
        const n = kernel.panelBytes(K, H);
        kernel.packI8Panels(src + Math.floor(b / G) * K * GH + (b % G) * H, GH, K, H, one);
        expect(Array.from(packed.subarray(at, at + n))).toEqual(Array.from(new Uint8Array(kernel.memory.buffer, one, n)));
        at += n;
      }
    }
  });

  it('extreme weights (-128 everywhere, x at +-127) do not overflow the i32 sums', () => {
    const K = 1024, M = 32;
    const x = Float32Array.from({ length: K }, (_, k) => (k % 3 === 0 ? -1 : 1));
    const q = new Int8Array(K * M).fill(-128);
    const scale = new Float32Array(M).fill(1), bias = new Float32Array(M);
    const { q: xq, scale: sx } = quantizeRowRef(x);
    const got = runI8(xq, sx, q, M, 0, scale, bias, K, M);
    expect(Array.from(got)).toEqual(Array.from(qgemvI8Ref(xq, sx, q, M, 0, scale, bias, K, M)));
  });
});
