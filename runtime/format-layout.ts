// Validation of the ops that move values without arithmetic: RESIZE_NEAREST, CONCAT, SLICE and LAYOUT
// (docs/format.md "Ops"). Used by runtime/format.ts.
import { Op } from '../format/constants.js';
import type { TensorInfo } from './format.js';
import type { OpCheck } from './format-op-check.js';

export const isLayoutOpcode = (code: number): boolean => code >= Op.ResizeNearest && code <= Op.Layout;

/** Throws ModelFormatError when a layout op breaks a rule; a and out are already checked to exist. */
export function checkLayoutOp(c: OpCheck, a: TensorInfo, out: TensorInfo): void {
  const p = c.op.params;
  switch (c.op.opcode) {
    case Op.ResizeNearest: {
      const [sH, sW] = p;
      if (sH < 1 || sW < 1) c.fail(`scales (${sH}, ${sW}) must be >= 1`);
      c.rank('a', a, 3);
      c.rank('out', out, 3);
      const [C, H, W] = a.dims;
      const want = [C, H * sH, W * sW];
      if (out.dims.some((d, i) => d !== want[i])) c.fail(`out dims [${out.dims.join(', ')}], expected [${want.join(', ')}]`);
      // i8 -> i8 moves the quantized bytes unchanged, so both sides must share scale and zero point
      if (a.dtype === 'i8' && out.dtype === 'i8') {
        if (a.scale !== out.scale || a.zeroPoint !== out.zeroPoint) {
          c.fail(`i8 input (scale ${a.scale}, zeroPoint ${a.zeroPoint}) and output (scale ${out.scale}, ` +
            `zeroPoint ${out.zeroPoint}) must have the same quantization`);
        }
        return;
      }
      c.floatOnly(a, out);
      return;
    }
    case Op.Concat: {
      const [Ca, Cb, rows] = p;
      const b = c.tensor('b', c.op.b);
      c.activation('b', b);
      if (Ca < 1 || Cb < 1 || rows < 1) c.fail(`sizes Ca ${Ca}, Cb ${Cb}, rows ${rows} must be >= 1`);
      c.count('a', a, Ca * rows);
      c.count('b', b, Cb * rows);
      c.count('out', out, (Ca + Cb) * rows);
      c.floatOnly(a, b, out);
      return;
    }
    case Op.Slice: {
      const [C, start, n, rows] = p;
      if (C < 1 || n < 1 || rows < 1) c.fail(`row width ${C}, count ${n}, rows ${rows} must be >= 1`);
      if (start + n > C) c.fail(`slice [${start}, ${start + n}) exceeds the row width ${C}`);
      c.count('a', a, C * rows);
      c.count('out', out, n * rows);
      c.floatOnly(a, out);
      return;
    }
    case Op.Layout: {
      const [mode, C, H, W] = p;
      if (mode > 1) c.fail(`unknown layout mode ${mode} (0 CHW to HWC, 1 HWC to CHW)`);
      if (C < 1 || H < 1 || W < 1) c.fail(`C ${C}, H ${H}, W ${W} must be >= 1`);
      c.count('a', a, C * H * W);
      c.count('out', out, C * H * W);
      c.floatOnly(a, out);
      return;
    }
  }
}
