// Test-only module (built by tests/quant-kernels.test.ts): exports the int8 kernels with flat arguments so
// they can be compared with the TypeScript reference twins without a whole model around them.
import { allocBytes } from '../../memory';
import { denseI8 as denseI8Kernel, denseWeightsI8 as denseWeightsKernel } from './dense';
import { convI8 as convI8Kernel, convWeightsI8 as convWeightsKernel, pairImageBytes } from './conv';
import { prepareRequant as prepare } from './requantize';
import { multBuf, shiftBuf, ensureQuantScratch, ensurePairImage } from './scratch';
import { packPairs, packedBlockBytes } from './pack';

/** The repacked copy the runtime's loader would make (allocated per call: tests only). */
function packed(w: usize, blocks: u32, cig: u32, cog: u32): usize {
  const out = allocBytes(<usize>blocks * packedBlockBytes(cig, cog) + 16);
  packPairs(w, out, blocks, cig, cog);
  return out;
}

export function alloc(bytes: u32): usize { return allocBytes(bytes); }

/** Must be called once before any kernel (the runtime's loader does it for int8 models). */
export function init(): bool { return ensureQuantScratch(); }

export function denseI8(x: usize, zpX: i32, sX: f32, w: usize, wScales: usize, bias: usize, y: usize, zpY: i32, sY: f32,
  relu: bool, K: u32, M: u32, n: u32): void {
  denseI8Kernel(x, K, zpX, sX, w, packed(w, 1, K, M), wScales, bias, y, M, zpY, sY, relu, K, M, n);
}

export function denseWeightsI8(x: usize, w: usize, wScales: usize, bias: usize, y: usize, K: u32, M: u32, n: u32): void {
  denseWeightsKernel(x, <usize>K << 2, w, wScales, bias, y, <usize>M << 2, K, M, n);
}

export function convI8(transposed: bool, x: usize, zpX: i32, sX: f32, w: usize, wScales: usize, bias: usize,
  y: usize, zpY: i32, sY: f32, relu: bool, Ci: i32, H: i32, W: i32, Co: i32, OH: i32, OW: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, padT: i32, padL: i32, dH: i32, dW: i32, groups: i32): void {
  const pw = packed(w, <u32>(groups * kh * kw), <u32>(Ci / groups), <u32>(Co / groups));
  ensurePairImage(pairImageBytes(<u32>Ci, <u32>H, <u32>W, <u32>groups));
  convI8Kernel(transposed, x, zpX, sX, w, pw, wScales, bias, y, zpY, sY, relu, Ci, H, W, Co, OH, OW, kh, kw, sH, sW, padT, padL, dH, dW, groups);
}

export function convWeightsI8(transposed: bool, x: usize, w: usize, wScales: usize, bias: usize, y: usize,
  Ci: i32, H: i32, W: i32, Co: i32, OH: i32, OW: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, padT: i32, padL: i32, dH: i32, dW: i32, groups: i32): void {
  convWeightsKernel(transposed, x, w, wScales, bias, y, Ci, H, W, Co, OH, OW, kh, kw, sH, sW, padT, padL, dH, dW, groups);
}

/** Requantization parameters of `count` channels, written to out as (mult, shift) i32 pairs. */
export function requantParams(sIn: f32, wScales: usize, sOut: f32, count: u32, out: usize): void {
  prepare(sIn, wScales, sOut, count);
  for (let c: u32 = 0; c < count; c++) {
    store<i32>(out + (<usize>c << 3), load<i32>(multBuf + (<usize>c << 2)));
    store<i32>(out + (<usize>c << 3), load<i32>(shiftBuf + (<usize>c << 2)), 4);
  }
}
