// Leaky relu fused into the int8 requantization and nearest Resize on i8 tensors:
// - the SIMD requantization with a leaky slope (assembly/kernels/int8/requantize.ts) against the TypeScript twin
//   (reference/kernels.ts) on negative / zero / positive accumulators, ties and several alphas;
// - the resize kernel (assembly/kernels/resize.ts) with 1- and 4-byte elements against a plain loop;
// - both loaders accept exactly the new combinations;
// - the BatchNorm + LeakyReLU + upsample VAE converted to int8: no DEQUANTIZE / UNARY leaky left between its
//   int8 ops, bit-identical to the interpreter, decoder PSNR against onnxruntime-node.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng, randInt, WasmRuntime, runSamples } from './kernels/harness.js';
import { readyInt8Kernels, putInto, type Int8Kernels } from './helpers/int8-kernels.js';
import * as ref from '../reference/kernels.js';
import { requantize, roundHalfEven } from '../reference/quant-arithmetic.js';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { loadCalibrationImages } from '../converter/quantize/calibration-data.js';
import { readEditable, writeEditable } from '../converter/quantize/editable-model.js';
import { Interpreter } from '../reference/interpreter.js';
import { latentBatch } from '../reference/sampler.js';
import { mean, psnr } from '../converter/quantize/metrics.js';
import { readModel } from '../runtime/format.js';
import { Act, DType, Op } from '../runtime/format-constants.js';
import type { WOp } from '../converter/writer.js';
import { runOnnx, ortSignature } from './helpers/ort.js';

const LEAKY = 2;
const f32 = Math.fround;

describe('leaky relu in the SIMD requantization', () => {
  let k: Int8Kernels;
  beforeAll(() => { k = readyInt8Kernels(); });
  const put = (a: Int8Array | Int32Array | Float32Array): number => putInto(k, a);
  type P = { zpX: number; sX: number; zpY: number; sY: number; alpha: number };
  const refParams = (p: P, wScales: Float32Array, bias: Int32Array) =>
    ({ zpX: p.zpX, sX: f32(p.sX), zpY: p.zpY, sY: f32(p.sY), relu: false, leakyAlpha: p.alpha, wScales, bias });

  /** Dense K = 1: the accumulator of channel c is (x - zpX) * w[c] + bias[c]. */
  function checkDense(x: number, w: Int8Array, bias: Int32Array, wScales: Float32Array, p: P): Int8Array {
    const M = w.length, yp = k.alloc(M);
    k.denseI8(put(Int8Array.of(x)), p.zpX, p.sX, put(w), put(wScales), put(bias), yp, p.zpY, p.sY, LEAKY, 1, M, 1, p.alpha);
    const got = new Int8Array(k.memory.buffer, yp, M).slice();
    expect(Array.from(got)).toEqual(Array.from(ref.denseI8(Int8Array.of(x), w, refParams(p, wScales, bias), 1, M)));
    return got;
  }

  /** A 3x3 conv with random data in each conv form (tap rows: Ci < 8; tiles: Co >= 8; narrow: Co < 8). */
  function checkConv(rand: () => number, Ci: number, Co: number, transposed: boolean, p: P): void {
    const H = 5, W = 6, s = transposed ? 2 : 1;
    const OH = transposed ? (H - 1) * s + 3 - 2 : H, OW = transposed ? (W - 1) * s + 3 - 2 : W;
    const g: ref.ConvGeometry = { Ci, H, W, Co, OH, OW, kh: 3, kw: 3, sH: s, sW: s, padT: 1, padL: 1, dH: 1, dW: 1, groups: 1 };
    const x = Int8Array.from({ length: H * W * Ci }, () => randInt(rand, -128, 127));
    const w = Int8Array.from({ length: 9 * Ci * Co }, () => randInt(rand, -127, 127));
    const wScales = Float32Array.from({ length: Co }, () => f32(0.002 + rand() * 0.01));
    const bias = Int32Array.from({ length: Co }, () => randInt(rand, -3000, 3000));
    const yp = k.alloc(OH * OW * Co);
    k.convI8(transposed ? 1 : 0, put(x), p.zpX, p.sX, put(w), put(wScales), put(bias), yp, p.zpY, p.sY, LEAKY,
      Ci, H, W, Co, OH, OW, 3, 3, s, s, 1, 1, 1, 1, 1, p.alpha);
    const want = ref.convI8(g, transposed, x, w, refParams(p, wScales, bias));
    expect(Array.from(new Int8Array(k.memory.buffer, yp, want.length))).toEqual(Array.from(want));
  }

  it('twin rule: positives unchanged, negatives scaled by f32(alpha) before rounding', () => {
    // m = 1 and acc = -(2j + 1) * 2 with alpha 0.25: the scaled value is the tie -(j + 0.5), rounded to even
    for (let j = 0; j < 20; j++) expect(requantize(-(2 * j + 1) * 2, 1, 0.25) + 0).toBe(-(j % 2 ? j + 1 : j) + 0);
    expect(requantize(37, 0.5, 0.01)).toBe(roundHalfEven(18.5));
    expect(requantize(-1000, 0.5, 0.01)).toBe(roundHalfEven(f32(-500 * f32(0.01))));
    expect(requantize(0, 0.5, 0.2) + 0).toBe(0);
  });

  it('matches the twin on negative, zero and positive accumulators for several alphas, every channel step', () => {
    const rand = rng(71);
    for (const alpha of [0.01, 0.2, 0.1, 0.3333, 0, 1, 1.7, -0.5]) {
      for (const M of [1, 3, 4, 7, 8, 13, 32, 37]) {
        const bias = Int32Array.from({ length: M }, (_, c) => (c % 5 === 0 ? 0 : randInt(rand, -200000, 200000)));
        const w = Int8Array.from({ length: M }, (_, c) => (c % 7 === 1 ? 0 : randInt(rand, -127, 127)));
        const wScales = Float32Array.from({ length: M }, () => f32(1e-3 + rand() * 2e-2));
        const p = { zpX: randInt(rand, -128, 127), sX: 0.02, zpY: randInt(rand, -128, 127), sY: 0.05 + rand() * 0.2, alpha };
        checkDense(randInt(rand, -128, 127), w, bias, wScales, p);
      }
    }
  });

  it('rounds ties of the scaled negative values to even (alpha 0.25 and 0.5, multipliers 2^-e)', () => {
    const rand = rng(72);
    for (const alpha of [0.25, 0.5]) {
      for (let trial = 0; trial < 10; trial++) {
        const M = randInt(rand, 4, 27);
        // m = 2^-e, acc = -(2j + 1) * 2^(e - 1) / alpha: m * acc * alpha = -(j + 0.5) exactly
        const es = Array.from({ length: M }, () => randInt(rand, 1, 12));
        const wScales = Float32Array.from(es, (e) => 2 ** -e);
        const bias = Int32Array.from(es, (e) => -(2 * randInt(rand, 0, 100) + 1) * 2 ** (e - 1) / alpha);
        const zpY = randInt(rand, -20, 20);
        const got = checkDense(5, new Int8Array(M), bias, wScales, { zpX: 5, sX: 1, zpY, sY: 1, alpha });
        // independent of the twin: an unsaturated output minus the zero point is even
        got.forEach((q) => { if (q > -128 && q < 127) expect(Math.abs(q - zpY) % 2).toBe(0); });
      }
    }
  });

  it('leaky with alpha 1 gives the unfused result; huge accumulators and multipliers saturate like the twin', () => {
    const rand = rng(73);
    const M = 21;
    const bias = Int32Array.from({ length: M }, (_, c) => [2147483647, -2147483648, -16777219, 0][c % 4]! + (c > 3 ? randInt(rand, -9, 9) : 0));
    const w = new Int8Array(M);
    // multipliers up to beyond 2^64 (capped there): the leaky multiply must never meet an infinity
    const wScales = Float32Array.from({ length: M }, (_, c) => f32(2 ** (c * 6 - 40)));
    for (const alpha of [0, 1e-30, 0.01, 1]) checkDense(0, w, bias, wScales, { zpX: 0, sX: 1, zpY: -3, sY: 1, alpha });
    const x = Int8Array.of(9), w2 = Int8Array.from({ length: M }, () => randInt(rand, -127, 127));
    const b2 = Int32Array.from({ length: M }, () => randInt(rand, -500, 500)), s2 = Float32Array.from({ length: M }, () => f32(0.01 + rand() * 0.1));
    const yp = k.alloc(M);
    k.denseI8(put(x), 0, 1, put(w2), put(s2), put(b2), yp, 7, 1, 0, 1, M, 1);
    const none = new Int8Array(k.memory.buffer, yp, M).slice();
    expect(Array.from(checkDense(9, w2, b2, s2, { zpX: 0, sX: 1, zpY: 7, sY: 1, alpha: 1 }))).toEqual(Array.from(none));
  });

  it('is exact in every conv form (tap rows, tiles, narrow; plain and transposed)', () => {
    const rand = rng(74);
    for (const alpha of [0.01, 0.2]) {
      for (const [Ci, Co, t] of [[1, 16, false], [3, 5, false], [16, 24, false], [16, 3, false], [16, 24, true], [16, 1, true], [8, 12, true]] as const) {
        checkConv(rand, Ci, Co, t, { zpX: randInt(rand, -128, 127), sX: 0.03, zpY: randInt(rand, -100, 100), sY: 0.2 + rand(), alpha });
      }
    }
  });
});

describe('nearest resize kernel with 1- and 4-byte elements', () => {
  interface ResizeModule { memory: WebAssembly.Memory; resizeNearest(x: number, y: number, C: number, H: number, W: number, sh: number, sw: number, bytes: number): void }
  let r: ResizeModule;
  beforeAll(() => {
    const out = join(mkdtempSync(join(tmpdir(), 'resize-kernel-')), 'resize.wasm');
    const res = spawnSync('npx', ['asc', 'assembly/kernels/resize.ts', '--enable', 'simd', '--runtime', 'stub', '--use', 'abort=',
      '-O3', '--noAssert', '--initialMemory', '4', '--outFile', out], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`asc failed: ${res.stderr}`);
    r = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports as unknown as ResizeModule;
  });

  it('copies every output pixel from its source pixel (HWC), as a plain loop does', () => {
    const rand = rng(75);
    for (const bytes of [1, 4]) {
      for (const [C, H, W, sh, sw] of [[1, 1, 1, 1, 1], [3, 2, 5, 2, 2], [32, 7, 7, 2, 2], [5, 3, 4, 3, 1], [2, 4, 3, 1, 4], [17, 2, 2, 5, 3]]) {
        const inBytes = C * H * W * bytes, outBytes = inBytes * sh * sw;
        const x = 64, y = 64 + inBytes + 16;
        const src = Uint8Array.from({ length: inBytes }, () => randInt(rand, 0, 255));
        const mem = new Uint8Array(r.memory.buffer);
        mem.set(src, x);
        mem.fill(0xA5, y, y + outBytes + 16);
        r.resizeNearest(x, y, C, H, W, sh, sw, bytes);
        const want = new Uint8Array(outBytes);
        const OW = W * sw, px = C * bytes;
        for (let oy = 0; oy < H * sh; oy++) for (let ox = 0; ox < OW; ox++) for (let b = 0; b < px; b++) {
          want[(oy * OW + ox) * px + b] = src[(Math.floor(oy / sh) * W + Math.floor(ox / sw)) * px + b]!;
        }
        expect(Array.from(new Uint8Array(r.memory.buffer, y, outBytes))).toEqual(Array.from(want));
        expect(new Uint8Array(r.memory.buffer, y + outBytes, 16).every((v) => v === 0xA5)).toBe(true); // nothing written past the output
      }
    }
  });
});

describe('BatchNorm + LeakyReLU + upsample VAE in int8', () => {
  const ENC = 'tests/fixtures/bn.encoder.op13.onnx', DEC = 'tests/fixtures/bn.decoder.op13.onnx';
  const N = 64;
  let q: Uint8Array;
  let latents: Float32Array[];
  let L: number;

  const runWasm = runSamples;

  beforeAll(async () => {
    const floatBytes = (await convert({ encoder: ENC, decoder: DEC })).bytes;
    const images = loadCalibrationImages('fashion-mnist', [1, 28, 28], 64).images;
    q = (await quantizeModel(floatBytes, { mode: 'int8', images, latents: 256 })).bytes;
    const info = readModel(q), dec = info.entries.find((e) => e.kind === 'decode')!;
    L = info.tensors[dec.input]!.elements;
    latents = latentBatch(N, L, 4243);
  });

  it('keeps leaky relu and the resizes inside the int8 chains: no DEQUANTIZE or leaky UNARY between int8 ops', () => {
    const m = readEditable(q);
    for (const e of m.entries) {
      const ops = e.ops;
      expect(ops.some((op) => op.op === Op.Unary && op.act === Act.LeakyRelu)).toBe(false);
      expect(ops.filter((op) => (op.op === Op.Dense || op.op === Op.Conv2D) && op.act === Act.LeakyRelu).length).toBeGreaterThanOrEqual(2);
      for (const op of ops.filter((o) => o.op === Op.ResizeNearest)) {
        const a = m.tensors[op.a]!, out = m.tensors[op.out]!;
        expect([a.dtype, out.dtype]).toEqual([DType.I8, DType.I8]);
        expect([out.scale, out.zeroPoint]).toEqual([a.scale, a.zeroPoint]);
      }
      // DEQUANTIZE only feeds entry outputs or the final f32 sigmoid; the one QUANTIZE reads the entry input (first op)
      ops.forEach((op, i) => {
        if (op.op === Op.Dequantize) expect(e.outputs.includes(op.out) || ops[i + 1]?.act === Act.Sigmoid).toBe(true);
        if (op.op === Op.Quantize) expect(i).toBe(0);
      });
    }
    expect(m.entries.find((e) => e.kind === 1)!.ops.filter((op) => op.op === Op.ResizeNearest).length).toBe(2);
  });

  it('integer decoder and encoder are bit-identical between the wasm runtime and the TypeScript interpreter', () => {
    const m = readEditable(q);
    const dec = m.entries.find((e) => e.kind === 1)!;
    expect(dec.ops.at(-1)!.op).toBe(Op.Unary); // drop the final f32 sigmoid: the rest is integer + one exact DEQUANTIZE
    dec.ops.pop();
    const bytes = writeEditable(m);
    const interp = new Interpreter(readEditable(bytes));
    const zs = latents.slice(0, 12);
    runWasm(bytes, 1, zs, [784])[0]!.forEach((got, i) => expect(Array.from(got)).toEqual(Array.from(interp.run(1, zs[i]!)[0]!)));
    const test = loadCalibrationImages('fashion-mnist', [1, 28, 28], 12, 'test').images;
    const [mu, logvar] = runWasm(q, 0, test, [L, L]);
    test.forEach((x, i) => {
      const [m0, l0] = interp.run(0, x);
      expect(Array.from(mu![i]!)).toEqual(Array.from(m0!));
      expect(Array.from(logvar![i]!)).toEqual(Array.from(l0!));
    });
  });

  it('both loaders accept i8 resize with equal quantization and integer leaky relu, and nothing more', () => {
    const variant = (edit: (m: ReturnType<typeof readEditable>, resize: WOp, dense: WOp) => void): { ts: string | undefined; wasm: number } => {
      const m = readEditable(q);
      const dec = m.entries.find((e) => e.kind === 1)!;
      edit(m, dec.ops.find((op) => op.op === Op.ResizeNearest)!, dec.ops.find((op) => op.op === Op.Dense)!);
      const bytes = writeEditable(m);
      let ts: string | undefined;
      try { readModel(bytes); } catch (e) { ts = (e as Error).message; }
      return { ts, wasm: new WasmRuntime().load(bytes, 1) };
    };
    expect(variant(() => {})).toEqual({ ts: undefined, wasm: 0 });
    const scaled = variant((m, r) => { m.tensors[r.out] = { ...m.tensors[r.out]!, scale: f32(m.tensors[r.out]!.scale! * 2) }; });
    expect(scaled.ts).toMatch(/same quantization/);
    expect(scaled.wasm).toBe(-16); // BAD_OPERAND
    const shifted = variant((m, r) => { m.tensors[r.out] = { ...m.tensors[r.out]!, zeroPoint: m.tensors[r.out]!.zeroPoint! + 1 }; });
    expect(shifted.ts).toMatch(/same quantization/);
    expect(shifted.wasm).toBe(-16);
    // i8 -> f32 is no resize (a DEQUANTIZE is)
    const mixed = variant((m, r) => {
      const t = m.tensors[r.out]!, bytes = t.dims.reduce((x, d) => x * d, 4); // a fresh f32 slot at the end of the arena
      m.tensors[r.out] = { ...t, dtype: DType.F32, scale: 0, zeroPoint: 0, offset: m.arenaPerSample, byteLength: bytes };
      m.arenaPerSample += Math.ceil(bytes / 16) * 16;
    });
    expect(mixed.ts).toMatch(/f32 only/);
    expect(mixed.wasm).toBe(-16);
    // the integer kernels fuse none, relu and leaky relu only: sigmoid is valid but has no kernel (wasm UNSUPPORTED)
    expect(variant((_m, _r, d) => { d.act = Act.Relu; })).toEqual({ ts: undefined, wasm: 0 });
    expect(variant((_m, _r, d) => { d.act = Act.Sigmoid; })).toEqual({ ts: undefined, wasm: -20 });
  });

  it('decoder stays close to onnxruntime-node (PSNR)', async () => {
    const { inputs } = await ortSignature(DEC);
    const packed = new Float32Array(N * L);
    latents.forEach((z, i) => packed.set(z, i * L));
    const out = Object.values(await runOnnx(DEC, { [inputs[0]!]: { data: packed, dims: [N, L] } }))[0]!;
    const got = runWasm(q, 1, latents, [784])[0]!;
    const ps = got.map((g, i) => psnr(out.data.slice(i * 784, (i + 1) * 784), g));
    console.log(`bn int8 decoder PSNR vs onnxruntime: mean ${mean(ps).toFixed(2)} dB, worst ${Math.min(...ps).toFixed(2)} dB`);
    expect(mean(ps)).toBeGreaterThanOrEqual(41); // 40.5 dB before leaky relu was fused (1,000 latents)
    expect(Math.min(...ps)).toBeGreaterThanOrEqual(38);
  });
});
