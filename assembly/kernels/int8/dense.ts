// Integer DENSE: y = requant((x - zpX) · W + bias) with i8 x/y, i8 weights [K, M] (per-column scales,
// zero point 0) and i32 bias. Weight-only DENSE: f32 x/y, y = (x · W) * scale[m] + bias[m].
import { accBuf, acc1Buf, acc2Buf, acc3Buf, pairBuf, tapList } from './scratch';
import { accumulateF32 } from './accumulate';
import { accumulateWide1, accumulateNarrow, packInputRow, zeroAcc } from './tile';
import { packedIsWide, roundUp8 } from './pack';
import { requantizeRow } from './requantize';

/** `packed`: w repacked by kernels/int8/pack.ts (one block); rq: requantization table (requantize.ts). */
export function denseI8(x: usize, xStride: usize, zpX: i32, packed: usize, rq: usize, bias: usize,
  y: usize, yStride: usize, zpY: i32, relu: bool, K: u32, M: u32, n: u32): void {
  const lo = relu ? max(zpY, -128) : -128;
  for (let s: u32 = 0; s < n; s++) {
    const accBytes = <usize>roundUp8(M) << 2;
    zeroAcc(accBuf, accBytes);
    if (!packedIsWide(M)) { zeroAcc(acc1Buf, accBytes); zeroAcc(acc2Buf, accBytes); zeroAcc(acc3Buf, accBytes); }
    packInputRow(x + <usize>s * xStride, zpX, K, pairBuf);
    // one tap: the input row (as all four pixels: the narrow kernel always computes four) and the packed weights
    for (let j: u32 = 0; j < 4; j++) store<u32>(tapList + (j << 2), <u32>pairBuf);
    store<u32>(tapList, <u32>packed, 16);
    if (packedIsWide(M)) accumulateWide1(1, (K + 1) >> 1, roundUp8(M));
    else accumulateNarrow(1, roundUp8(K) >> 3, M);
    requantizeRow(accBuf, bias, rq, M, 0, y + <usize>s * yStride, M, zpY, lo);
  }
}

/** Applies per-channel scale and f32 bias: out[c] = acc[c] * scale[c] + bias[c]. */
export function scaleRow(acc: usize, scales: usize, bias: usize, out: usize, count: u32): void {
  for (let c: u32 = 0; c < count; c++) {
    const o = <usize>c << 2;
    let v = load<f32>(acc + o) * load<f32>(scales + o);
    if (bias) v += load<f32>(bias + o);
    store<f32>(out + o, v);
  }
}

export function denseWeightsI8(x: usize, xStride: usize, w: usize, wScales: usize, bias: usize,
  y: usize, yStride: usize, K: u32, M: u32, n: u32): void {
  for (let s: u32 = 0; s < n; s++) {
    memory.fill(accBuf, 0, <usize>M << 2);
    accumulateF32(accBuf, x + <usize>s * xStride, w, K, M);
    scaleRow(accBuf, wScales, bias, y + <usize>s * yStride, M);
  }
}
