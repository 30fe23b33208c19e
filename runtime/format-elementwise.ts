// Validation of the elementwise ops: UNARY, BINARY, COPY, QUANTIZE and DEQUANTIZE (docs/format.md "Ops").
// Used by runtime/format.ts.
import { Op } from '../format/constants.js';
import type { TensorInfo } from './format.js';
import type { OpCheck } from './format-op-check.js';

const ELEMENTWISE = new Set<number>([Op.Unary, Op.Binary, Op.Copy, Op.Quantize, Op.Dequantize]);
export const isElementwiseOpcode = (code: number): boolean => ELEMENTWISE.has(code);

/** Throws ModelFormatError when an elementwise op breaks a rule; a and out are already checked to exist. */
export function checkElementwiseOp(c: OpCheck, a: TensorInfo, out: TensorInfo): void {
  switch (c.op.opcode) {
    case Op.Unary:
      c.dtype('a', a, 'f32');
      c.dtype('out', out, 'f32');
      break;
    case Op.Binary: {
      const [kind, period] = c.op.params;
      if (kind > 4) c.fail(`unknown binary kind ${kind} (0 add, 1 sub, 2 mul, 3 div, 4 prelu)`);
      const b = c.tensor('b', c.op.b);
      if (period < 1 || a.elements % period !== 0) c.fail(`period ${period} does not divide the ${a.elements} elements of a`);
      c.count('b', b, period);
      c.count('out', out, a.elements);
      c.dtype('a', a, 'f32');
      c.dtype('out', out, 'f32');
      if (b.kind === 'constant') c.dtype('b', b, 'f32', 'f16');
      else c.dtype('b', b, 'f32');
      return;
    }
    case Op.Copy:
      c.count('out', out, a.elements);
      c.sameDtype(a, out);
      return;
    case Op.Quantize:
      c.dtype('a', a, 'f32');
      c.dtype('out', out, 'i8', 'u8');
      break;
    case Op.Dequantize:
      c.dtype('a', a, 'i8', 'u8');
      c.dtype('out', out, 'f32');
      break;
  }
  c.count('out', out, a.elements);
}
