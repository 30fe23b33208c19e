// The int8 conv scratch is sized at load from the geometry (assembly/kernels/int8/conv.ts convI8ScratchBytes):
// a geometry whose scratch cannot exist (here the padded image of the narrow conv, narrow_conv.ts, for huge
// dilated padding) must fail the load with OUT_OF_MEMORY instead of wrapping around 2^32 and running.
import { describe, it, expect } from 'vitest';
import { ModelBuilder } from './helpers/model-builder.js';
import { WasmRuntime } from './kernels/harness.js';
import { WASM_ERRORS } from '../runtime/wasm-errors.js';
import { DType, LayoutMode, Op } from '../runtime/format-constants.js';
import * as ref from '../reference/kernels.js';
import { quantizeValue, dequantizeValue } from '../reference/quant-arithmetic.js';

const code = (name: string): number => {
  for (const info of WASM_ERRORS.values()) if (info.name === name) return info.code;
  throw new Error(`no error named ${name}`);
};

const W_SCALE = 0.01, X = { scale: 0.05, zeroPoint: -3 }, Y = { scale: 0.1, zeroPoint: 4 };

/** 8 channels, 1x1 input -> int8 CONV2D to one channel (op 2) with a k x k kernel (weights w) of dilation d and pad p. */
function narrowConvModel(k: number, d: number, p: number, w: Int8Array): Uint8Array {
  const mb = new ModelBuilder();
  const input = mb.activation([8]);
  const hwc = mb.activation([8, 1, 1]);
  mb.op({ op: Op.Layout, out: hwc, a: input, params: [LayoutMode.ChwToHwc, 8, 1, 1] });
  const q = mb.activation([8, 1, 1], DType.I8, X);
  mb.op({ op: Op.Quantize, out: q, a: hwc });
  const wt = mb.constRaw(DType.I8, new Uint8Array(w.buffer, w.byteOffset, w.length), [k, k, 8, 1]);
  mb.tensors[wt]!.channelScales = Float32Array.of(W_SCALE);
  const y = mb.activation([1, 1, 1], DType.I8, Y);
  mb.op({ op: Op.Conv2D, out: y, a: q, b: wt, params: [k, k, 1, 1, p, p, d, d, 1] });
  const f = mb.activation([1, 1, 1]);
  mb.op({ op: Op.Dequantize, out: f, a: y });
  const out = mb.activation([1]);
  mb.op({ op: Op.Layout, out, a: f, params: [LayoutMode.HwcToChw, 1, 1, 1] });
  return mb.build(input, [out]);
}

describe('int8 conv scratch limits', () => {
  it('a padded image larger than memory can hold fails the load with OUT_OF_MEMORY, naming the op', () => {
    // effective kernel 2^23 + 1 with pad 2^23 on a 1x1 input: one output pixel, a (2^23 + 1)^2-pixel padded image
    const rt = new WasmRuntime();
    expect(rt.load(narrowConvModel(129, 65536, 2 ** 23, new Int8Array(129 * 129 * 8).fill(1)))).toBe(code('OUT_OF_MEMORY'));
    expect(rt.x.errorDetail()).toBe(2);
  });

  it('the same layer with an ordinary kernel loads and computes what the reference does', () => {
    const w = Int8Array.from({ length: 9 * 8 }, (_, i) => ((i * 37) % 255) - 127);
    const x = Float32Array.of(0.1, -0.2, 0.3, 0.05, -0.4, 0.25, 0, 0.15);
    const rt = new WasmRuntime();
    expect(rt.load(narrowConvModel(3, 1, 1, w))).toBe(0);
    new Float32Array(rt.x.memory.buffer, rt.x.entryInput(1), 8).set(x);
    expect(rt.x.run(1, 1)).toBe(0);
    const q = Int8Array.from(x, (v) => quantizeValue(v, Math.fround(X.scale), X.zeroPoint));
    const g = { Ci: 8, H: 1, W: 1, Co: 1, OH: 1, OW: 1, kh: 3, kw: 3, sH: 1, sW: 1, padT: 1, padL: 1, dH: 1, dW: 1, groups: 1 };
    const yq = ref.convI8(g, false, q, w, { zpX: X.zeroPoint, sX: Math.fround(X.scale), zpY: Y.zeroPoint, sY: Math.fround(Y.scale), relu: false, wScales: Float32Array.of(W_SCALE), bias: null });
    expect(new Float32Array(rt.x.memory.buffer, rt.x.entryOutput(1, 0), 1)[0]).toBe(dequantizeValue(yq[0]!, Math.fround(Y.scale), Y.zeroPoint));
  });
});
