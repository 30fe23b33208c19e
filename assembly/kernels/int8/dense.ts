// Integer DENSE: y = requant((x - zpX) · W + bias) with i8 x/y, i8 weights [K, M] (per-column scales,
// zero point 0) and i32 bias. (int8-weights DENSE runs the f32 kernel on weights dequantized at load.)
import { accBuf, pairBuf, tapList, quadInput } from './scratch';
import { dot_i8_1px16c, dot_i16_1px16c, packInputRow, packInputRowU7, zeroAcc } from './tile';
import { roundUp8 } from './pack';
import { requantizeRows, outputLow, negativeSlope } from './requantize';

/**
 * `packed`: w repacked by kernels/int8/pack.ts (one block); rq: requantization table (requantize.ts);
 * act, alpha: the fused activation (none, relu or leaky relu).
 */
export function denseI8(x: usize, xStride: usize, zpX: i32, packed: usize, rq: usize, bias: usize,
  y: usize, yStride: usize, zpY: i32, act: u32, alpha: f32, K: u32, M: u32, n: u32): void {
  const lo = outputLow(act, zpY), slope = negativeSlope(act, alpha);
  for (let s: u32 = 0; s < n; s++) {
    const accBytes = <usize>roundUp8(M) << 2;
    zeroAcc(accBuf, accBytes);
    // one tap: the input row and the packed weights (wide layout, kernels/int8/pack.ts; relaxed build with
    // 7-bit input: bytes and the quad layout)
    store<u32>(tapList, <u32>pairBuf);
    store<u32>(tapList, <u32>packed, 16);
    if (ASC_FEATURE_RELAXED_SIMD && quadInput) {
      packInputRowU7(x + <usize>s * xStride, K, pairBuf);
      dot_i8_1px16c(1, (K + 3) >> 2, roundUp8(M));
    } else {
      packInputRow(x + <usize>s * xStride, zpX, K, pairBuf);
      dot_i16_1px16c(1, (K + 1) >> 1, roundUp8(M));
    }
    requantizeRows(accBuf, 0, 1, bias, rq, 0, y + <usize>s * yStride, 0, M, zpY, lo, slope);
  }
}
