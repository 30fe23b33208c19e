// CONV2D and CONV_TRANSPOSE over HWC activations with i8 weights [G, KH, KW, Ci/G, Co/G] (per-output-channel
// scales), in two flavours: integer (i8 in/out, i32 bias, fixed-point requantization) and weight-only
// (f32 in/out, weights widened on the fly). Each output pixel gathers its taps (kernels/int8/taps.ts),
// accumulates every group's channels, then requantizes or scales into the output row.
import { accBuf, pairImage } from './scratch';
import { accumulatePairs, accumulateF32, packInputPairs } from './accumulate';
import { prepareRequant, requantizeRow } from './requantize';
import { scaleRow } from './dense';
import { convSource, convTransposeSource } from './taps';
import { packedBlockBytes } from './pack';

@inline function source(transposed: bool, o: i32, k: i32, stride: i32, pad: i32, dil: i32, size: i32): i32 {
  return transposed ? convTransposeSource(o, k, stride, pad, dil, size) : convSource(o, k, stride, pad, dil, size);
}

// Geometry of the current call, in module globals: the runtime's bump allocator owns the heap, so the
// kernels must not create objects.
let Ci: i32 = 0, H: i32 = 0, W: i32 = 0, Co: i32 = 0, OH: i32 = 0, OW: i32 = 0;
let kh: i32 = 0, kw: i32 = 0, sH: i32 = 0, sW: i32 = 0, padT: i32 = 0, padL: i32 = 0, dH: i32 = 0, dW: i32 = 0, groups: i32 = 1;

/**
 * One output pixel: for every group, zero the accumulators, add each valid tap's contribution and hand the
 * group's accumulators to `integer ? requantizeRow : scaleRow`.
 */
function convPixel(transposed: bool, integer: bool, x: usize, zpX: i32, w: usize, packed: usize, wScales: usize, bias: usize,
  y: usize, zpY: i32, lo: i32, oy: i32, ox: i32): void {
  const cig = <u32>(Ci / groups), cog = <u32>(Co / groups);
  const elem: usize = integer ? 1 : 4;
  const tapBytes = <usize>cig * cog; // i8 weights of one tap of one group
  const outPix = y + <usize>(oy * OW + ox) * Co * elem;
  for (let g: i32 = 0; g < groups; g++) {
    memory.fill(accBuf, 0, <usize>cog << 2);
    for (let ky: i32 = 0; ky < kh; ky++) {
      const iy = source(transposed, oy, ky, sH, padT, dH, H);
      if (iy < 0) continue;
      for (let kx: i32 = 0; kx < kw; kx++) {
        const ix = source(transposed, ox, kx, sW, padL, dW, W);
        if (ix < 0) continue;
        const xp = x + (<usize>(iy * W + ix) * Ci + <usize>g * cig) * elem;
        const wp = w + <usize>((g * kh + ky) * kw + kx) * tapBytes;
        const block = <u32>((g * kh + ky) * kw + kx);
        if (integer) {
          const pp = pairImage + (<usize>(iy * W + ix) * groups + g) * (<usize>((cig + 1) >> 1) << 2);
          accumulatePairs(accBuf, pp, xp, zpX, wp, packed + <usize>block * packedBlockBytes(cig, cog), cig, cog);
        }
        else accumulateF32(accBuf, xp, wp, cig, cog);
      }
    }
    const first = <u32>g * cog;
    if (integer) requantizeRow(accBuf, bias, first, outPix + first, cog, zpY, lo);
    else scaleRow(accBuf, wScales + (<usize>first << 2), bias ? bias + (<usize>first << 2) : 0, outPix + (<usize>first << 2), cog);
  }
}

function convAll(transposed: bool, integer: bool, x: usize, zpX: i32, sX: f32, w: usize, packed: usize, wScales: usize,
  bias: usize, y: usize, zpY: i32, sY: f32, relu: bool): void {
  if (integer) {
    prepareRequant(sX, wScales, sY, <u32>Co);
    // Every input pixel's (x - zp) pairs once, per group (pairImage is sized at load: pairImageBytes).
    const cig = <u32>(Ci / groups), rowBytes = <usize>((cig + 1) >> 1) << 2;
    for (let p: i32 = 0; p < H * W; p++) {
      for (let g: i32 = 0; g < groups; g++) {
        packInputPairs(x + <usize>p * Ci + <usize>g * cig, zpX, cig, pairImage + (<usize>p * groups + g) * rowBytes);
      }
    }
  }
  const lo = relu ? max(zpY, -128) : -128;
  for (let oy: i32 = 0; oy < OH; oy++) {
    for (let ox: i32 = 0; ox < OW; ox++) convPixel(transposed, integer, x, zpX, w, packed, wScales, bias, y, zpY, lo, oy, ox);
  }
}

function setShape(ci: i32, h: i32, w: i32, co: i32, oh: i32, ow: i32, kH: i32, kW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, dilH: i32, dilW: i32, g: i32): void {
  Ci = ci; H = h; W = w; Co = co; OH = oh; OW = ow; kh = kH; kw = kW; sH = strideH; sW = strideW;
  padT = padTop; padL = padLeft; dH = dilH; dW = dilW; groups = g;
}

/** Integer conv / transposed conv of one sample: i8 x (scale sX, zero point zpX) -> i8 y (sY, zpY). */
/** `packed`: w repacked by kernels/int8/pack.ts (G*KH*KW blocks). */
export function convI8(transposed: bool, x: usize, zpX: i32, sX: f32, w: usize, packed: usize, wScales: usize, bias: usize,
  y: usize, zpY: i32, sY: f32, relu: bool, ci: i32, h: i32, wd: i32, co: i32, oh: i32, ow: i32, kH: i32, kW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilH: i32, dilW: i32, g: i32): void {
  setShape(ci, h, wd, co, oh, ow, kH, kW, strideH, strideW, padTop, padLeft, dilH, dilW, g);
  convAll(transposed, true, x, zpX, sX, w, packed, wScales, bias, y, zpY, sY, relu);
}

/** Weight-only conv / transposed conv of one sample: f32 x -> f32 y (activation applied by the caller). */
export function convWeightsI8(transposed: bool, x: usize, w: usize, wScales: usize, bias: usize, y: usize,
  ci: i32, h: i32, wd: i32, co: i32, oh: i32, ow: i32, kH: i32, kW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilH: i32, dilW: i32, g: i32): void {
  setShape(ci, h, wd, co, oh, ow, kH, kW, strideH, strideW, padTop, padLeft, dilH, dilW, g);
  convAll(transposed, false, x, 0, 1, w, 0, wScales, bias, y, 0, 1, false);
}

/** Bytes of pairImage an integer conv over [Ci, H, W] input with `groups` groups needs. */
export function pairImageBytes(ci: u32, h: u32, w: u32, g: u32): usize {
  return <usize>h * w * g * (<usize>(((ci / g) + 1) >> 1) << 2);
}
