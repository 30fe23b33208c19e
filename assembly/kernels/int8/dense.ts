// Integer DENSE: y = requant((x - zpX) · W + bias) with i8 x/y, i8 weights [K, M] (per-column scales,
// zero point 0) and i32 bias. Weight-only DENSE: f32 x/y, y = (x · W) * scale[m] + bias[m].
import { accBuf } from './scratch';
import { accumulateI8, accumulateF32 } from './accumulate';
import { prepareRequant, requantizeRow } from './requantize';

/** `packed`: w repacked by kernels/int8/pack.ts (one block). */
export function denseI8(x: usize, xStride: usize, zpX: i32, sX: f32, w: usize, packed: usize, wScales: usize, bias: usize,
  y: usize, yStride: usize, zpY: i32, sY: f32, relu: bool, K: u32, M: u32, n: u32): void {
  prepareRequant(sX, wScales, sY, M);
  const lo = relu ? max(zpY, -128) : -128;
  for (let s: u32 = 0; s < n; s++) {
    memory.fill(accBuf, 0, <usize>M << 2);
    accumulateI8(accBuf, x + <usize>s * xStride, zpX, w, packed, K, M);
    requantizeRow(accBuf, bias, 0, y + <usize>s * yStride, M, zpY, lo);
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
