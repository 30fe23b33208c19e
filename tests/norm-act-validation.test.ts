// GROUP_NORM, LAYER_NORM, the clip activation and BINARY prelu through both validators: a valid model loads in
// both, and each broken operand rule is rejected by runtime/format.ts (a message naming it) and by
// assembly/loader.ts (the matching error code, detail = the op).
import { describe, expect, it } from 'vitest';
import { Act, BinaryKind, DType, EntryKind, Op } from '../runtime/format-constants.js';
import { clipAlpha } from '../runtime/clip-bounds.js';
import { readModel } from '../runtime/format.js';
import { ModelFormatError } from '../runtime/errors.js';
import { WASM_ERRORS } from '../runtime/wasm-errors.js';
import type { WOp } from '../converter/writer.js';
import { ModelBuilder } from './helpers/model-builder.js';
import { WasmRuntime } from './kernels/harness.js';

const code = (name: string): number => {
  for (const info of WASM_ERRORS.values()) if (info.name === name) return info.code;
  throw new Error(`no error named ${name}`);
};
const f32Bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0]!;

interface Variant {
  norm?: Partial<WOp>;
  layer?: Partial<WOp>;
  prelu?: Partial<WOp>;
  /** dims of the group norm's input / output, its scale; an i8 input */
  normIn?: number[]; normOut?: number[]; scaleDims?: number[]; i8?: boolean; scaleIsActivation?: boolean;
}

/**
 * input [4*3*3] -> LAYOUT -> GROUP_NORM (2 groups, silu) [4,3,3] (op 1) -> LAYER_NORM rows of 9, clip [-1, 2] (op 2)
 * -> BINARY prelu with 4 slopes (op 3) -> LAYOUT -> output.
 */
function model(v: Variant = {}): Uint8Array {
  const mb = new ModelBuilder();
  const { input, hwc } = mb.spatialInput(4, 3, 3);
  const nIn = v.i8 ? mb.activation(v.normIn ?? [4, 3, 3], DType.I8, { scale: 0.1, zeroPoint: 0 }) : v.normIn ? mb.activation(v.normIn) : hwc;
  if (nIn !== hwc) mb.op(v.i8 ? { op: Op.Quantize, out: nIn, a: hwc } : { op: Op.Copy, out: nIn, a: hwc });
  const gamma = v.scaleIsActivation ? mb.activation([4]) : mb.constF32([1, 0.5, 2, 1.5], v.scaleDims ?? [4]);
  const beta = mb.constF32([0, 0.1, -0.2, 0.3], [4]);
  const n = mb.activation(v.normOut ?? [4, 3, 3]);
  mb.op({ op: Op.GroupNorm, out: n, a: nIn, b: gamma, c: beta, act: Act.Silu, params: [2, f32Bits(1e-5)], ...v.norm });
  const l = mb.activation([4, 3, 3]);
  const lg = mb.constF32(Array.from({ length: 9 }, (_, i) => 1 + i / 10), [9]);
  const lb = mb.constF32(Array.from({ length: 9 }, (_, i) => i / 20), [9]);
  mb.op({ op: Op.LayerNorm, out: l, a: n, b: lg, c: lb, act: Act.Clip, alpha: clipAlpha(0xbc00, 0x4000), params: [9, f32Bits(1e-5)], ...v.layer });
  const p = mb.activation([4, 3, 3]);
  mb.op({ op: Op.Binary, out: p, a: l, b: mb.constF32([0.1, 0.2, 0.3, 0.4], [4]), params: [BinaryKind.PRelu, 4], ...v.prelu });
  return mb.build(input, [mb.spatialOutput(p, 4, 3, 3)], EntryKind.Decode);
}

function both(bytes: Uint8Array): { ts?: string; wasm: number; detail: number } {
  let ts: string | undefined;
  try { readModel(bytes); } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError);
    ts = (e as Error).message;
  }
  const rt = new WasmRuntime();
  const wasm = rt.load(bytes, 1);
  return { ts, wasm, detail: rt.x.errorDetail() };
}

describe('normalisation and activation ops in both validators', () => {
  it('the valid model loads in both', () => {
    expect(both(model())).toEqual({ ts: undefined, wasm: 0, detail: -1 });
  });

  const cases: Array<[string, Variant, RegExp, string, number?]> = [
    ['groups 0', { norm: { params: [0, f32Bits(1e-5)] } }, /op 1 \(GroupNorm\): groups 0 must be >= 1/, 'BAD_PARAM'],
    ['groups not dividing the channels', { norm: { params: [3, f32Bits(1e-5)] } }, /groups 3 does not divide the 4 channels/, 'BAD_PARAM'],
    ['epsilon NaN', { norm: { params: [2, 0x7fc00000] } }, /epsilon NaN must be finite/, 'BAD_PARAM'],
    ['epsilon negative', { norm: { params: [2, f32Bits(-1e-5)] } }, /epsilon -0.0000099.* must be finite and >= 0/, 'BAD_PARAM'],
    ['scale of the wrong length', { scaleDims: [2, 2] }, /b \(scale\) tensor \d+ has rank 2, expected 1/, 'SHAPE_MISMATCH'],
    ['bias missing', { norm: { c: undefined } }, /c \(bias\) is missing/, 'BAD_TENSOR_INDEX'],
    ['scale an activation', { scaleIsActivation: true }, /b \(scale\) tensor \d+ is an activation, expected a constant/, 'BAD_OPERAND'],
    ['input of rank 2', { normIn: [4, 9] }, /a tensor \d+ has rank 2, expected 3/, 'SHAPE_MISMATCH'],
    ['output of another element count', { normOut: [4, 3, 2] }, /out tensor \d+ has 24 elements, expected 36/, 'SHAPE_MISMATCH'],
    ['i8 input', { i8: true }, /has dtype i8, this op works on f32 only/, 'BAD_OPERAND'],
    ['layer norm row size 0', { layer: { params: [0, f32Bits(1e-5)] } }, /op 2 \(LayerNorm\): row size 0 must be >= 1/, 'BAD_PARAM', 2],
    ['layer norm row size not dividing the elements', { layer: { params: [7, f32Bits(1e-5)] } }, /row size 7 does not divide the 36 elements/, 'BAD_PARAM', 2],
    ['layer norm scale not one per row position', { layer: { params: [12, f32Bits(1e-5)] } }, /b \(scale\) tensor \d+ has 9 elements, expected 12/, 'SHAPE_MISMATCH', 2],
    ['clip bound NaN', { layer: { alpha: clipAlpha(0x7e00, 0x4000) } }, /op 2 \(LayerNorm\): clip bounds \[NaN, 2\] must be numbers with min <= max/, 'BAD_PARAM', 2],
    ['clip min above max', { layer: { alpha: clipAlpha(0x4000, 0xbc00) } }, /clip bounds \[2, -1\]/, 'BAD_PARAM', 2],
    ['binary kind 5', { prelu: { params: [5, 4] } }, /op 3 \(Binary\): unknown binary kind 5/, 'BAD_PARAM', 3],
    ['activation code 14', { norm: { act: 14 as Act } }, /unknown fused activation 14/, 'UNKNOWN_OPCODE'],
    ['opcode 26 (unassigned)', { norm: { op: 26 as Op } }, /unknown opcode 26/, 'UNKNOWN_OPCODE'],
  ];
  for (const [name, variant, message, wasmError, op] of cases) {
    it(`${name}: both reject`, () => {
      const r = both(model(variant));
      expect(r.ts).toMatch(message);
      const at = op ?? (variant.normIn || variant.i8 ? 2 : 1);
      expect({ wasm: r.wasm, detail: r.detail }).toEqual({ wasm: code(wasmError), detail: at });
    });
  }
});
