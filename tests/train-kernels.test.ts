// The fast training convolutions (assembly/train-kernels/, trainer/kernels/) against two independent
// references: plain-loop twins of the three convolutions written here, and tfjs's own 'cpu'
// backend kernels. Also a full gradient check of a tiny conv net through tf.grads.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers tfjs-core's gradient functions
import {
  isFastKernel, registerFastKernels, unregisterFastKernels, TrainKernelModule, type ConvGeometry,
} from '../trainer/kernels/index.js';
import { WorkerPool } from '../trainer/kernels/worker-pool.js';
import { seededNormal } from './helpers/seeded-data.js';

const WASM = new URL('../build/train-kernels.wasm', import.meta.url);

// ---------- plain reference twins (direct loops, no packing, no im2col) ----------

const xAt = (g: ConvGeometry, n: number, h: number, w: number, c: number) =>
  ((n * g.inHeight + h) * g.inWidth + w) * g.inChannels + c;
const yAt = (g: ConvGeometry, n: number, h: number, w: number, c: number) =>
  ((n * g.outHeight + h) * g.outWidth + w) * g.outChannels + c;
const wAt = (g: ConvGeometry, kh: number, kw: number, ci: number, co: number) =>
  ((kh * g.filterWidth + kw) * g.inChannels + ci) * g.outChannels + co;

/** Calls visit(xIndex, yIndex, wIndex) for every multiply of the convolution. */
function forEachTap(g: ConvGeometry, visit: (xi: number, yi: number, wi: number) => void): void {
  for (let n = 0; n < g.batch; n++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++)
        for (let kh = 0; kh < g.filterHeight; kh++)
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const ih = oh * g.strideHeight - g.padTop + kh;
            const iw = ow * g.strideWidth - g.padLeft + kw;
            if (ih < 0 || iw < 0 || ih >= g.inHeight || iw >= g.inWidth) continue;
            for (let ci = 0; ci < g.inChannels; ci++)
              for (let co = 0; co < g.outChannels; co++) visit(xAt(g, n, ih, iw, ci), yAt(g, n, oh, ow, co), wAt(g, kh, kw, ci, co));
          }
}
const size = (g: ConvGeometry) => ({
  x: g.batch * g.inHeight * g.inWidth * g.inChannels,
  y: g.batch * g.outHeight * g.outWidth * g.outChannels,
  w: g.filterHeight * g.filterWidth * g.inChannels * g.outChannels,
});
function refConv2d(x: Float32Array, w: Float32Array, g: ConvGeometry): Float64Array {
  const y = new Float64Array(size(g).y);
  forEachTap(g, (xi, yi, wi) => (y[yi] += x[xi]! * w[wi]!));
  return y;
}
function refBackpropInput(dy: Float32Array, w: Float32Array, g: ConvGeometry): Float64Array {
  const dx = new Float64Array(size(g).x);
  forEachTap(g, (xi, yi, wi) => (dx[xi] += dy[yi]! * w[wi]!));
  return dx;
}
function refBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float64Array {
  const dw = new Float64Array(size(g).w);
  forEachTap(g, (xi, yi, wi) => (dw[wi] += x[xi]! * dy[yi]!));
  return dw;
}

/** max |a - b| relative to max(1, max |b|). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

function geometry(
  batch: number, inHeight: number, inWidth: number, inChannels: number, outChannels: number,
  filterHeight: number, filterWidth: number, strideHeight: number, strideWidth: number,
  padTop: number, padLeft: number, padBottom = padTop, padRight = padLeft,
): ConvGeometry {
  const outHeight = Math.floor((inHeight + padTop + padBottom - filterHeight) / strideHeight) + 1;
  const outWidth = Math.floor((inWidth + padLeft + padRight - filterWidth) / strideWidth) + 1;
  return { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft };
}

beforeAll(() => {
  if (!existsSync(WASM)) execSync('npm run build:train-wasm', { cwd: new URL('..', import.meta.url), stdio: 'inherit' });
});

describe('train kernel module vs plain loops', () => {
  const cases: [string, ConvGeometry][] = [
    ['3x3 s1 pad1, odd channels', geometry(2, 7, 6, 3, 5, 3, 3, 1, 1, 1, 1)],
    ['3x3 s2 pad1 (encoder-like)', geometry(5, 9, 9, 8, 16, 3, 3, 2, 2, 1, 1)],
    ['valid 2x3 filter, stride 1x2', geometry(1, 8, 11, 4, 9, 2, 3, 1, 2, 0, 0)],
    ['1x1 filter, 13 -> 1 channel', geometry(3, 5, 4, 13, 1, 1, 1, 1, 1, 0, 0)],
    ['3x3 s1, 8 -> 1 channel (direct gradient paths)', geometry(2, 6, 5, 8, 1, 3, 3, 1, 1, 1, 1)],
    ['stride 2, 2 output channels (direct filter gradient)', geometry(2, 9, 8, 5, 2, 3, 3, 2, 2, 1, 0)],
    ['5x5 asymmetric pads', geometry(2, 6, 7, 1, 33, 5, 5, 2, 1, 2, 1, 1, 2)],
    ['many pixels (several k-blocks)', geometry(3, 20, 17, 7, 12, 3, 3, 1, 1, 1, 1)],
  ];
  let mod: TrainKernelModule;
  beforeAll(async () => {
    mod = await TrainKernelModule.load();
  });
  for (const [name, g] of cases) {
    it(name, () => {
      const s = size(g);
      const x = seededNormal(s.x, 1), w = seededNormal(s.w, 2), dy = seededNormal(s.y, 3);
      expect(relError(mod.conv2d(x, w, g), refConv2d(x, w, g))).toBeLessThan(1e-5);
      expect(relError(mod.conv2dBackpropInput(dy, w, g), refBackpropInput(dy, w, g))).toBeLessThan(1e-5);
      expect(relError(mod.conv2dBackpropFilter(x, dy, g), refBackpropFilter(x, dy, g))).toBeLessThan(1e-5);
    });
  }
  it('rejects arrays that do not match the geometry', () => {
    const g = cases[0]![1];
    const s = size(g);
    expect(() => mod.conv2d(new Float32Array(s.x + 1), new Float32Array(s.w), g)).toThrow(/x has .* values, the geometry needs/);
    expect(() => mod.conv2dBackpropFilter(new Float32Array(s.x), new Float32Array(s.y), { ...g, strideHeight: 0 }))
      .toThrow(/strideHeight must be >= 1/);
  });
});

describe('train kernel module on 3 threads vs plain loops', () => {
  let mod: TrainKernelModule;
  beforeAll(async () => {
    mod = await TrainKernelModule.load({ threads: 3 });
  });
  afterAll(async () => {
    await mod.dispose();
  });
  // Large enough to be split over the threads; batches that do not divide evenly.
  const cases: [string, ConvGeometry][] = [
    ['3x3 s2, batch 5', geometry(5, 32, 32, 16, 32, 3, 3, 2, 2, 0, 0, 1, 1)],
    ['3x3 s1, batch 7, one output channel', geometry(7, 40, 40, 32, 1, 3, 3, 1, 1, 1, 1)],
    ['batch 2 with 3 threads', geometry(2, 24, 24, 16, 24, 3, 3, 1, 1, 1, 1)],
  ];
  for (const [name, g] of cases) {
    it(name, () => {
      expect(mod.threads).toBe(3);
      const shares = mod.planShares(g);
      expect(shares.length).toBe(Math.min(3, g.batch));
      expect(shares.map(([n0, n1]) => n1 - n0).reduce((a, b) => a + b)).toBe(g.batch);
      const s = size(g);
      const x = seededNormal(s.x, 4), w = seededNormal(s.w, 5), dy = seededNormal(s.y, 6);
      expect(relError(mod.conv2d(x, w, g), refConv2d(x, w, g))).toBeLessThan(1e-5);
      expect(relError(mod.conv2dBackpropInput(dy, w, g), refBackpropInput(dy, w, g))).toBeLessThan(1e-5);
      expect(relError(mod.conv2dBackpropFilter(x, dy, g), refBackpropFilter(x, dy, g))).toBeLessThan(1e-5);
    });
  }
  it('reports a trap in a worker as an error on the calling thread', async () => {
    const module = await WebAssembly.compile(readFileSync(WASM));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
    const pool = await WorkerPool.start(module, memory, ['sumRows'], 1);
    try {
      // Reads far beyond the 64 KiB memory: the worker traps.
      expect(() => pool.run([[], [['sumRows', 1 << 30, 4, 4, 0, 256]]], () => {})).toThrow(/worker 1: RuntimeError: memory access out of bounds/);
    } finally {
      await pool.terminate();
    }
  });
});

describe('train kernel matmul vs plain loops', () => {
  /** C = op(A) op(B) with plain loops; a is [m, k] or [k, m], b is [k, n] or [n, k]. */
  function refMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
    const c = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[ta ? q * m + i : i * k + q]! * b[tb ? j * k + q : q * n + j]!;
        c[i * n + j] = s;
      }
    return c;
  }
  let mod: TrainKernelModule;
  beforeAll(async () => {
    mod = await TrainKernelModule.load();
  });
  for (const [m, k, n] of [[1, 1, 1], [5, 7, 9], [13, 300, 17], [66, 129, 3]] as const) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${m}x${k}x${n} transposeA=${ta} transposeB=${tb}`, () => {
        const a = seededNormal(m * k, m + k), b = seededNormal(k * n, k + n);
        const g = { batchA: 1, batchB: 1, m, k, n, transposeA: ta, transposeB: tb };
        expect(relError(mod.matmul(a, b, g), refMatmul(a, b, m, k, n, ta, tb))).toBeLessThan(1e-5);
      });
    }
  }
  it('broadcasts a batch of one and rejects mismatched batches', () => {
    const [m, k, n] = [3, 4, 5];
    const a = seededNormal(m * k, 1), b = seededNormal(3 * k * n, 2);
    const c = mod.matmul(a, b, { batchA: 1, batchB: 3, m, k, n, transposeA: false, transposeB: false });
    for (let i = 0; i < 3; i++) {
      const ref = refMatmul(a, b.subarray(i * k * n, (i + 1) * k * n), m, k, n, false, false);
      expect(relError(c.subarray(i * m * n, (i + 1) * m * n), ref)).toBeLessThan(1e-5);
    }
    expect(() => mod.matmul(seededNormal(2 * m * k, 3), b, { batchA: 2, batchB: 3, m, k, n, transposeA: false, transposeB: false }))
      .toThrow(/batch sizes 2 and 3 do not broadcast/);
  });
});

describe('train kernel column sums vs plain loops', () => {
  let mod: TrainKernelModule;
  beforeAll(async () => {
    mod = await TrainKernelModule.load();
  });
  for (const [rows, cols] of [[1, 1], [3, 5], [200, 32], [129, 7], [0, 4]] as const) {
    it(`${rows} x ${cols}`, () => {
      const x = seededNormal(rows * cols, rows + 3 * cols);
      const ref = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ref[c] += x[r * cols + c]!;
      expect(relError(mod.sumRows(x, rows, cols), ref)).toBeLessThan(1e-6);
    });
  }
  it('rejects a size mismatch', () => {
    expect(() => mod.sumRows(new Float32Array(10), 3, 3)).toThrow(/x has 10 values, expected 3x3/);
  });
});

// ---------- registered kernels vs tfjs's own cpu kernels ----------

interface OpCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
}
const opCases: OpCase[] = [
  { name: 'same s1 batch 1', x: [1, 7, 9, 3], filter: [3, 3, 3, 5], strides: [1, 1], pad: 'same' },
  { name: 'same s2 batch 5 odd size', x: [5, 13, 11, 6], filter: [3, 3, 6, 7], strides: [2, 2], pad: 'same' },
  { name: 'valid s2 batch 5', x: [5, 9, 10, 4], filter: [3, 2, 4, 8], strides: [2, 2], pad: 'valid' },
  { name: 'valid s1 batch 1, 1 output channel', x: [1, 6, 6, 32], filter: [3, 3, 32, 1], strides: [1, 1], pad: 'valid' },
  { name: 'same mixed strides 1x2', x: [2, 8, 9, 1], filter: [5, 3, 1, 16], strides: [1, 2], pad: 'same' },
  { name: 'explicit pads', x: [2, 6, 7, 2], filter: [3, 3, 2, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: 'large enough to split over 2 threads', x: [2, 24, 24, 16], filter: [3, 3, 16, 32], strides: [1, 1], pad: 'same' },
];

/** Runs conv2d and both of its gradients with whatever kernels are registered on `backend`. */
async function convAndGrads(backend: string, c: OpCase): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(seededNormal(c.x.reduce((a, b) => a * b), 11), c.x);
    const w = tf.tensor4d(seededNormal(c.filter.reduce((a, b) => a * b), 12), c.filter);
    const y = tf.conv2d(x, w, c.strides, c.pad);
    const dy = tf.tensor4d(seededNormal(y.size, 13), y.shape as [number, number, number, number]);
    const dx = tf.conv2dTranspose(dy, w, c.x, c.strides, c.pad as 'same' | 'valid'); // = Conv2DBackpropInput
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), dy)))([x, w]);
    return [y, dx, gx!, gw!].map((t) => t.dataSync() as Float32Array);
  });
}

describe.each(['cpu', 'wasm'])('registered fast kernels on the %s backend', (backend) => {
  let reference: Map<string, Float32Array[]>;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    unregisterFastKernels('cpu');
    reference = new Map();
    for (const c of opCases) reference.set(c.name, await convAndGrads('cpu', c));
    await tf.setBackend(backend);
    const registered = await registerFastKernels(backend, undefined, { threads: 2 });
    expect(registered).toContain('Conv2DBackpropFilter');
    for (const name of registered) expect(isFastKernel(name, backend)).toBe(true);
  });

  for (const c of opCases) {
    it(c.name, async () => {
      const fast = await convAndGrads(backend, c);
      const ref = reference.get(c.name)!;
      const labels = ['conv2d', 'conv2dTranspose', 'dL/dx', 'dL/dw'];
      fast.forEach((v, i) => expect(relError(v, ref[i]!), `${labels[i]}`).toBeLessThan(1e-4));
    });
  }
});

// ---------- a training step of a tiny conv net ----------

/** Gradients of every weight, then the weights after one Adam step, with the registered kernels. */
async function tinyNetStep(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const init = (shape: number[], seed: number) =>
    tf.variable(tf.tensor(seededNormal(shape.reduce((a, b) => a * b), seed).map((v) => 0.3 * v), shape));
  // The transposed conv's filter is [kh, kw, out, in].
  const weights = [init([3, 3, 2, 4], 21), init([4], 22), init([3, 3, 3, 4], 23), init([2, 2, 3, 1], 24)];
  const x = tf.tensor4d(seededNormal(3 * 10 * 10 * 2, 25), [3, 10, 10, 2]);
  const target = tf.tensor4d(seededNormal(3 * 9 * 9, 26), [3, 9, 9, 1]);
  const loss = () => {
    const [c1, b1, t1, c2] = weights as [tf.Variable<tf.Rank.R4>, tf.Variable, tf.Variable<tf.Rank.R4>, tf.Variable<tf.Rank.R4>];
    const h = tf.relu(tf.add(tf.conv2d(x, c1, 2, 'same'), b1)); // [3, 5, 5, 4]
    const u = tf.relu(tf.conv2dTranspose(h as tf.Tensor4D, t1, [3, 10, 10, 3], 2, 'same'));
    const out = tf.conv2d(u as tf.Tensor4D, c2, 1, 'valid'); // [3, 9, 9, 1]
    return tf.mean(tf.square(tf.sub(out, target))) as tf.Scalar;
  };
  const { grads } = tf.variableGrads(loss, weights);
  const gradValues = weights.map((w) => grads[w.name]!.dataSync() as Float32Array);
  const optimizer = tf.train.adam(0.01);
  optimizer.applyGradients(weights.map((w) => ({ name: w.name, tensor: grads[w.name]! })));
  const updated = weights.map((w) => w.dataSync() as Float32Array);
  tf.dispose([...weights, x, target, ...Object.values(grads)]);
  optimizer.dispose();
  return [...gradValues, ...updated];
}

describe('training step of a tiny conv net', () => {
  it('gives the reference gradients and Adam update on cpu and wasm', async () => {
    await tf.setBackend('cpu');
    unregisterFastKernels('cpu');
    const reference = await tinyNetStep('cpu');
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      await registerFastKernels(backend);
      const fast = await tinyNetStep(backend);
      fast.forEach((v, i) => expect(relError(v, reference[i]!), `${backend} tensor ${i}`).toBeLessThan(1e-4));
    }
  });
});

describe('cases outside the fast path', () => {
  it('NCHW conv2d on cpu falls back to the backend kernel', async () => {
    await tf.setBackend('cpu');
    unregisterFastKernels('cpu');
    const run = () => tf.tidy(() => {
      const x = tf.tensor4d(seededNormal(2 * 3 * 6 * 5, 31), [2, 3, 6, 5]);
      const w = tf.tensor4d(seededNormal(3 * 3 * 3 * 4, 32), [3, 3, 3, 4]);
      return tf.conv2d(x, w, 1, 'same', 'NCHW').dataSync() as Float32Array;
    });
    const reference = run();
    await registerFastKernels('cpu');
    expect(relError(run(), reference)).toBeLessThan(1e-6);
  });

  it('a case the wasm backend has no kernel for fails with a clear error', async () => {
    await tf.setBackend('wasm');
    await registerFastKernels('wasm');
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 4, 5, 5]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 4] }),
    ).toThrow(/Conv2DBackpropFilter on 'wasm': unsupported case \(data format NCHW/);
    tf.dispose([x, dy]);
  });

  it('wasm Identity shares the data: a clone outlives its source', async () => {
    await tf.setBackend('wasm');
    await registerFastKernels('wasm');
    expect(isFastKernel('Identity', 'wasm')).toBe(true);
    const values = seededNormal(24, 81);
    const a = tf.tensor(values, [2, 3, 4]);
    const b = tf.clone(a);
    expect(b.dataId).toBe(a.dataId); // no second buffer
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual(Array.from(values));
    b.dispose();
  });

  it('refuses backends it cannot read tensors from', async () => {
    await expect(registerFastKernels('webgl')).rejects.toThrow(/backend 'webgl' is not supported/);
  });
});

describe.each(['cpu', 'wasm'])('registered dense, fused and sum kernels on the %s backend', (backend) => {
  const cases: [string, () => tf.Tensor][] = [
    ['matMul [5,7]x[7,9]', () => tf.matMul(t([5, 7], 41), t([7, 9], 42))],
    ['matMul transposeA, k > block', () => tf.matMul(t([300, 6], 43), t([300, 10], 44), true, false)],
    ['matMul transposeB', () => tf.matMul(t([128, 33], 45), t([16, 33], 46), false, true)],
    ['matMul both transposed, batch 3', () => tf.matMul(t([3, 8, 5], 47), t([3, 11, 8], 48), true, true)],
    ['matMul batch broadcast', () => tf.matMul(t([1, 4, 6], 49), t([3, 6, 2], 50))],
    ['matMul rank 4 against rank 2', () => tf.matMul(t([2, 3, 4, 6], 57), t([6, 5], 58))],
    ['sum of leading axes', () => tf.sum(t([4, 5, 3, 7], 51), [0, 1, 2])],
    ['sum of leading axes, keepDims', () => tf.sum(t([6, 9, 33], 52), [1, 0], true)],
    ['sum of a middle axis (backend kernel)', () => tf.sum(t([4, 5, 6], 53), 1)],
    ['sum of everything (backend kernel)', () => tf.sum(t([4, 5, 6], 54))],
    ['fused conv2d + bias + relu, s2', () =>
      tf.fused.conv2d({ x: t([3, 9, 8, 5], 60) as tf.Tensor4D, filter: t([3, 3, 5, 6], 61) as tf.Tensor4D, strides: 2, pad: 'same', bias: t([6], 62), activation: 'relu' })],
    ['fused conv2d linear, no bias, 1 output channel', () =>
      tf.fused.conv2d({ x: t([2, 7, 7, 8], 63) as tf.Tensor4D, filter: t([3, 3, 8, 1], 64) as tf.Tensor4D, strides: 1, pad: 'valid' })],
    ['fused conv2d elu (backend kernel)', () =>
      tf.fused.conv2d({ x: t([2, 6, 6, 3], 65) as tf.Tensor4D, filter: t([3, 3, 3, 4], 66) as tf.Tensor4D, strides: 1, pad: 'same', bias: t([4], 67), activation: 'elu' })],
    ['gradient of a linear fused conv2d (tfjs-layers training path)', () => {
      const x = t([2, 8, 8, 3], 68) as tf.Tensor4D;
      const dy = t([2, 4, 4, 5], 69);
      const grads = tf.grads((w: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.conv2d({ x, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias: b }), dy)))([t([3, 3, 3, 5], 70), t([5], 71)]);
      return tf.concat(grads.map((g) => tf.reshape(g, [-1])));
    }],
    ['fused matMul + bias + relu, transposeB', () =>
      tf.fused.matMul({ a: t([10, 12], 72), b: t([7, 12], 73), transposeB: true, bias: t([7], 74), activation: 'relu' })],
    ['fused matMul linear with bias', () => tf.fused.matMul({ a: t([4, 130], 75), b: t([130, 9], 76), bias: t([9], 77) })],
    ['gradient of a dense layer', () => {
      const x = t([9, 31], 55);
      const [gw] = tf.grads((w: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, w))))([t([31, 4], 56)]);
      return gw!;
    }],
  ];
  function t(shape: number[], seed: number): tf.Tensor {
    return tf.tensor(seededNormal(shape.reduce((a, b) => a * b), seed), shape);
  }
  const run = (make: () => tf.Tensor) => tf.tidy(() => {
    const r = make();
    return { shape: r.shape, values: r.dataSync() as Float32Array };
  });
  let reference: Map<string, { shape: number[]; values: Float32Array }>;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    unregisterFastKernels('cpu');
    reference = new Map(cases.map(([name, make]) => [name, run(make)]));
    await tf.setBackend(backend);
    expect(await registerFastKernels(backend)).toEqual(expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'FusedConv2D', 'Sum']));
  });
  for (const [name, make] of cases) {
    it(name, async () => {
      await tf.setBackend(backend);
      const fast = run(make);
      const ref = reference.get(name)!;
      expect(fast.shape).toEqual(ref.shape);
      expect(relError(fast.values, ref.values)).toBeLessThan(1e-5);
    });
  }
});
