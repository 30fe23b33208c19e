// A plain TypeScript executor of .evae entries (docs/format.md op semantics, HWC activations), one sample
// at a time over a simulated arena. The quantizer uses it to calibrate (it reports every value an op reads
// or writes) and to measure quantized variants; tests use it as the whole-model reference of the runtime.
import { Act, BinaryKind, DType, Op, TensorKind } from '../runtime/format-constants.js';
import type { WEntry, WOp, WTensor } from '../converter/writer.js';
import type { EditableModel } from '../converter/quantize/editable-model.js';
import { constantF32, constantI32, constantI8, elementCount } from './tensor-data.js';
import { dequantizeValue, quantizeValue } from './quant-arithmetic.js';
import * as K from './kernels.js';
import { geluApprox } from './erf.js';
import { softplus } from './softplus.js';
import { clipBounds } from '../runtime/clip-bounds.js';
import { runSpatialOp } from './spatial.js';

export type Values = Float32Array | Int8Array;
/** role: 'in' (operand a or b of op), 'pre' (op result before its fused activation), 'out' (what it stored) */
export type Observer = (opIndex: number, role: 'in' | 'pre' | 'out', tensor: number, values: Values) => void;

const f32 = Math.fround;

export function activate(v: Float32Array, act: number, alpha: number): Float32Array {
  if (act === Act.None) return v;
  const out = new Float32Array(v.length);
  const [lo, hi] = act === Act.Clip ? clipBounds(alpha) : [0, 0];
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    switch (act) {
      case Act.Relu: out[i] = x > 0 ? x : 0; break;
      case Act.LeakyRelu: out[i] = x >= 0 ? x : alpha * x; break;
      case Act.Sigmoid: out[i] = 1 / (1 + Math.exp(-x)); break;
      case Act.Tanh: out[i] = Math.tanh(x); break;
      case Act.Exp: out[i] = Math.exp(x); break;
      case Act.Softplus: out[i] = softplus(x); break;
      case Act.Elu: out[i] = x >= 0 ? x : alpha * Math.expm1(x); break;
      case Act.Gelu: out[i] = geluApprox(x); break;
      case Act.Silu: out[i] = x / (1 + Math.exp(-x)); break;
      case Act.Mish: out[i] = x * Math.tanh(softplus(x)); break;
      case Act.HardSwish: out[i] = x * Math.max(0, Math.min(1, x / 6 + 0.5)); break;
      case Act.Clip: out[i] = x < lo ? lo : x > hi ? hi : x; break;
      case Act.GeluTanh: out[i] = x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))) /* 0.5 x (1 + tanh u) = x sigmoid(2u) */; break;
      default: throw new Error(`unknown activation ${act}`);
    }
  }
  return out;
}

function binaryOp(kind: number, a: number, b: number): number {
  switch (kind) {
    case BinaryKind.Add: return a + b;
    case BinaryKind.Sub: return a - b;
    case BinaryKind.Mul: return a * b;
    case BinaryKind.Div: return a / b;
    case BinaryKind.PRelu: return a > 0 ? a : a * b;
    default: throw new Error(`unknown binary kind ${kind}`);
  }
}

export class Interpreter {
  private readonly arena: ArrayBuffer;
  private readonly consts = new Map<number, Float32Array | Int8Array | Int32Array>();

  constructor(private readonly m: EditableModel) {
    this.arena = new ArrayBuffer(Math.max(16, m.arenaPerSample));
  }

  entry(kind: number): WEntry {
    const e = this.m.entries.find((x) => x.kind === kind);
    if (!e) throw new Error(`the model has no entry of kind ${kind}`);
    return e;
  }

  private t(i: number): WTensor { return this.m.tensors[i]!; }

  /** Current values of activation i (a view into the arena), or a constant's values. */
  read(i: number): Values | Int32Array {
    const t = this.t(i);
    if (t.kind === TensorKind.Constant) {
      let c = this.consts.get(i);
      if (!c) {
        c = t.dtype === DType.I8 ? constantI8(t) : t.dtype === DType.I32 ? constantI32(t) : constantF32(t);
        this.consts.set(i, c);
      }
      return c;
    }
    const n = elementCount(t.dims);
    return t.dtype === DType.I8 ? new Int8Array(this.arena, t.offset!, n) : new Float32Array(this.arena, t.offset!, n);
  }

  private write(i: number, v: Values): void {
    const dst = this.read(i);
    if (dst.constructor !== v.constructor) throw new Error(`tensor ${i}: writing ${v.constructor.name} into ${dst.constructor.name}`);
    (dst as Values).set(v as never);
  }

  /** Runs one sample through entry `kind`; input in ONNX order. Returns copies of the outputs. */
  run(kind: number, input: Float32Array, observe?: Observer): Float32Array[] {
    const e = this.entry(kind);
    (this.read(e.input) as Float32Array).set(input);
    e.ops.forEach((op, i) => this.runOp(op, i, observe));
    return e.outputs.map((o) => Float32Array.from(this.read(o) as Float32Array));
  }

  private runOp(op: WOp, index: number, observe?: Observer): void {
    const a = this.read(op.a) as Values;
    observe?.(index, 'in', op.a, a);
    const bT = op.b !== undefined ? this.t(op.b) : undefined;
    if (op.b !== undefined && bT!.kind === TensorKind.Activation) observe?.(index, 'in', op.b, this.read(op.b) as Values);
    const out = this.t(op.out);
    const p = op.params ?? [];
    const act = op.act ?? 0, alpha = op.alpha ?? 0;
    let pre: Values;
    switch (op.op) {
      case Op.Dense: case Op.Conv2D: case Op.ConvTranspose: pre = this.compute(op, a, out); break;
      case Op.Unary: pre = Float32Array.from(a as Float32Array); break;
      case Op.Binary: {
        const b = this.read(op.b!) as Float32Array, L = p[1]!;
        pre = Float32Array.from(a as Float32Array, (x, i) => binaryOp(p[0]!, x, b[i % L]!));
        break;
      }
      case Op.ResizeNearest: {
        const [C, H, W] = this.t(op.a).dims as [number, number, number];
        const sH = p[0]!, sW = p[1]!, OW = W * sW;
        pre = new (a.constructor as Float32ArrayConstructor)(C * H * sH * OW); // f32, or i8 with a's quantization
        for (let y = 0; y < H * sH; y++) for (let x = 0; x < OW; x++) for (let c = 0; c < C; c++) {
          pre[(y * OW + x) * C + c] = a[((Math.floor(y / sH)) * W + Math.floor(x / sW)) * C + c]!;
        }
        break;
      }
      case Op.Concat: {
        const b = this.read(op.b!) as Values, [Ca, Cb, rows] = p as [number, number, number];
        pre = new (a.constructor as Float32ArrayConstructor)((Ca + Cb) * rows);
        for (let r = 0; r < rows; r++) {
          pre.set(a.subarray(r * Ca, (r + 1) * Ca), r * (Ca + Cb));
          pre.set(b.subarray(r * Cb, (r + 1) * Cb), r * (Ca + Cb) + Ca);
        }
        break;
      }
      case Op.Slice: {
        const [C, start, count, rows] = p as [number, number, number, number];
        pre = new (a.constructor as Float32ArrayConstructor)(count * rows);
        for (let r = 0; r < rows; r++) pre.set(a.subarray(r * C + start, r * C + start + count), r * count);
        break;
      }
      case Op.Layout: {
        const [mode, C, H, W] = p as [number, number, number, number];
        pre = new Float32Array(C * H * W);
        for (let c = 0; c < C; c++) for (let q = 0; q < H * W; q++) {
          if (mode === 0) pre[q * C + c] = a[c * H * W + q]!;
          else pre[c * H * W + q] = a[q * C + c]!;
        }
        break;
      }
      case Op.Copy: pre = a.slice(); break;
      case Op.Pad: case Op.Resize: case Op.Pool: case Op.MatMul: case Op.Softmax: case Op.Transpose:
        pre = runSpatialOp(op.op, p, a as Float32Array, this.t(op.a).dims, out.dims, op.b !== undefined ? this.read(op.b) as Float32Array : undefined);
        break;
      case Op.Quantize: pre = Int8Array.from(a as Float32Array, (x) => quantizeValue(x, out.scale!, out.zeroPoint!)); break;
      case Op.Dequantize: {
        const at = this.t(op.a);
        pre = Float32Array.from(a as Int8Array, (q) => dequantizeValue(q, at.scale!, at.zeroPoint!));
        break;
      }
      case Op.GroupNorm: case Op.LayerNorm: {
        const gamma = this.read(op.b!) as Float32Array, beta = this.read(op.c!) as Float32Array;
        const eps = new Float32Array(Uint32Array.of(p[1]!).buffer)[0]!;
        pre = op.op === Op.GroupNorm
          ? K.groupNormF32(a as Float32Array, gamma, beta, this.t(op.a).dims[0]!, p[0]!, eps)
          : K.layerNormF32(a as Float32Array, gamma, beta, p[0]!, eps);
        break;
      }
      default: throw new Error(`op ${index}: opcode ${op.op} is not supported by the interpreter`);
    }
    observe?.(index, 'pre', op.out, pre);
    // Integer ops fuse relu / leaky relu into their requantization; float results get the activation here.
    const result = pre instanceof Float32Array ? Float32Array.from(activate(pre, act, alpha), f32) : pre;
    this.write(op.out, result);
    observe?.(index, 'out', op.out, result);
  }

  /** DENSE / CONV2D / CONV_TRANSPOSE in the flavour the operand dtypes select. */
  private compute(op: WOp, a: Values, out: WTensor): Values {
    const aT = this.t(op.a), bT = this.t(op.b!);
    const w = this.read(op.b!);
    const bias = op.c !== undefined ? this.read(op.c) : null;
    const transposed = op.op === Op.ConvTranspose;
    let g: K.ConvGeometry;
    if (op.op === Op.Dense) {
      const [Kd, M] = bT.dims as [number, number];
      g = { Ci: Kd, H: 1, W: 1, Co: M, OH: 1, OW: 1, kh: 1, kw: 1, sH: 1, sW: 1, padT: 0, padL: 0, dH: 1, dW: 1, groups: 1 };
    } else {
      const p = op.params!;
      g = {
        Ci: aT.dims[0]!, H: aT.dims[1]!, W: aT.dims[2]!, Co: out.dims[0]!, OH: out.dims[1]!, OW: out.dims[2]!,
        kh: p[0]!, kw: p[1]!, sH: p[2]!, sW: p[3]!, padT: p[4]!, padL: p[5]!, dH: p[6]!, dW: p[7]!, groups: p[8]!,
      };
    }
    if (aT.dtype === DType.I8) {
      return K.convI8(g, transposed, a as Int8Array, w as Int8Array, {
        zpX: aT.zeroPoint!, sX: aT.scale!, zpY: out.zeroPoint!, sY: out.scale!, relu: op.act === Act.Relu,
        leakyAlpha: op.act === Act.LeakyRelu ? op.alpha ?? 0 : undefined,
        wScales: bT.channelScales!, bias: bias as Int32Array | null,
      });
    }
    if (bT.dtype === DType.I8) { // int8-weights: dequantized, then f32 (as the runtime's loader does)
      const wf = K.dequantizeWeights(w as Int8Array, bT.channelScales!, g.groups, g.Co / g.groups);
      return K.convF32(g, transposed, a as Float32Array, wf, bias as Float32Array | null);
    }
    return K.convF32(g, transposed, a as Float32Array, w as Float32Array, bias as Float32Array | null);
  }
}
