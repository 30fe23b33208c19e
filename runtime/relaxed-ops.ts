// Which integer ops of a model run i32x4.relaxed_dot_i8x16_i7x16_add_s on the relaxed-SIMD build: the TypeScript
// mirror of assembly/kernels/quant_dispatch.ts usesQuads, for `inspect`, `info` and the benchmarks. Browser-safe.
import { FLAG_RELU_U7, Op } from './format-constants.js';
import type { ModelInfo } from './format.js';
import { ConvWord, OpWord } from '../format/layout.js';

const roundUp8 = (n: number) => (n + 7) & ~7;

/** Indices (in the op stream) of the ops the relaxed build runs with the relaxed dot; [] without FLAG_RELU_U7. */
export function relaxedDotOps(model: ModelInfo): number[] {
  if ((model.flags & FLAG_RELU_U7) === 0) return [];
  const out: number[] = [];
  model.ops.forEach((op, i) => {
    if (op.opcode !== Op.Dense && op.opcode !== Op.Conv2D && op.opcode !== Op.ConvTranspose) return;
    const a = model.tensors[op.a]!, w = model.tensors[op.b]!, y = model.tensors[op.output]!;
    if (a.dtype !== 'i8' || w.dtype !== 'i8' || a.zeroPoint !== 0) return;
    if (op.opcode === Op.Dense) {
      if ((roundUp8(w.dims[1]!) & 15) === 0) out.push(i);
      return;
    }
    const param = (w: ConvWord): number => op.params[w - OpWord.Params]!; // params start at word OpWord.Params
    const kh = param(ConvWord.KernelH), kw = param(ConvWord.KernelW), g = param(ConvWord.Groups);
    const transposed = op.opcode === Op.ConvTranspose, ci = a.dims[0]!, co = y.dims[0]!;
    const tapRows = !transposed && g === 1 && ci < 8 && kh * kw * ci <= 1024;
    const narrow = g === 1 && co < 8 && (transposed || ci >= 8);
    if (!tapRows && !narrow && (roundUp8(co / g) & 15) === 0) out.push(i);
  });
  return out;
}
