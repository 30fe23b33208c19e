// Runs the spatial and attention ops (opcodes 20..25) on sample s; the loader checked their operands
// (kernels/spatial_validate.ts).
import * as F from '../format';
import { tensorAddr, tDim, tCount, opRecord, opCode, opOut, opA, opB } from '../model';
import { OP_WORD_PARAMS } from '../format-fields';
import { pad, resize, pool } from './spatial';
import { matmul, softmax, transpose } from './attention';

export function runSpatialOp(i: u32, s: u32): void {
  const code = opCode(i), out = opOut(i), a = opA(i);
  const words = opRecord(i) + (<usize>OP_WORD_PARAMS << 2); // word 7, the first parameter
  const x = tensorAddr(a, s), y = tensorAddr(out, s);
  const C = tDim(a, 0), H = <i32>tDim(a, 1), W = <i32>tDim(a, 2), OH = <i32>tDim(out, 1), OW = <i32>tDim(out, 2);
  const w7 = load<u32>(words);
  switch (code) {
    case F.OP_PAD: pad(x, y, C, H, W, OH, OW, w7, load<i32>(words, 4), load<i32>(words, 8), load<f32>(words, 12)); break;
    case F.OP_RESIZE: resize(x, y, C, H, W, OH, OW, w7, words + 4); break;
    case F.OP_POOL: pool(x, y, C, H, W, OH, OW, w7, words + 4); break;
    case F.OP_MAT_MUL: matmul(x, tensorAddr(opB(i), s), y, w7, load<u32>(words, 4), load<u32>(words, 8), load<u32>(words, 12)); break;
    case F.OP_SOFTMAX: softmax(x, y, tCount(a), w7); break;
    default: transpose(x, y, words); break; // F.OP_TRANSPOSE
  }
}
