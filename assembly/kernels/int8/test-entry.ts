// Test-only module (built by tests/quant-kernels.test.ts): exports the int8 kernels with flat arguments so
// they can be compared with the TypeScript reference twins without a whole model around them.
import { allocBytes } from '../../memory';
import { denseI8 as denseI8Kernel } from './dense';
import { convI8 as convI8Kernel, convI8ScratchBytes, usesTapRows } from './conv';
import { usesNarrowConv } from './narrow_conv';
import { prepareRequant, requantTableBytes } from './requantize';
import { ensureQuantScratch, ensurePairImage } from './scratch';
import { packWeightsI8, packedBlockBytes } from './pack';
import { quantize as quantizeKernel } from '../quantize';
import { convGeometryBlock, useConvGeometryBlock } from '../conv_geometry';

/**
 * The block the runtime's loader makes for an integer op (kernels/quant_dispatch.ts prepareQuantWeights): the
 * requantization table, then the packed weights right after it (allocated per call: tests only).
 */
function tableAndPacked(sIn: f32, wScales: usize, sOut: f32, count: u32, w: usize, blocks: u32, cig: u32, cog: u32, narrow: bool = false): usize {
  const rq = allocBytes(packedOf(0, count) + <usize>blocks * packedBlockBytes(cig, cog, narrow) + 16);
  prepareRequant(sIn, wScales, sOut, count, rq);
  packWeightsI8(w, packedOf(rq, count), blocks, cig, cog, narrow);
  return rq;
}
@inline function packedOf(rq: usize, count: u32): usize { return rq + ((requantTableBytes(count) + 15) & ~<usize>15); }

export function alloc(bytes: u32): usize { return allocBytes(bytes); }

/** Must be called once before any kernel (the runtime's loader does it for int8 models). */
export function init(): bool { useConvGeometryBlock(0); return ensureQuantScratch(); }

/** act: 0 none, 1 relu, 2 leaky relu with slope alpha (the last argument: a caller that omits it passes 0). */
export function denseI8(x: usize, zpX: i32, sX: f32, w: usize, wScales: usize, bias: usize, y: usize, zpY: i32, sY: f32,
  act: u32, K: u32, M: u32, n: u32, alpha: f32): void {
  const rq = tableAndPacked(sX, wScales, sY, M, w, 1, K, M);
  denseI8Kernel(x, K, zpX, packedOf(rq, M), rq, bias, y, M, zpY, act, alpha, K, M, n);
}

/** act, alpha as for denseI8. */
export function convI8(transposed: bool, x: usize, zpX: i32, sX: f32, w: usize, wScales: usize, bias: usize,
  y: usize, zpY: i32, sY: f32, act: u32, Ci: i32, H: i32, W: i32, Co: i32, OH: i32, OW: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, padT: i32, padL: i32, dH: i32, dW: i32, groups: i32, alpha: f32): void {
  const tapRows = usesTapRows(transposed, <u32>Ci, <u32>groups, <u32>kh, <u32>kw);
  const rq = tapRows
    ? tableAndPacked(sX, wScales, sY, <u32>Co, w, 1, <u32>(kh * kw * Ci), <u32>Co)
    : tableAndPacked(sX, wScales, sY, <u32>Co, w, <u32>(groups * kh * kw), <u32>(Ci / groups), <u32>(Co / groups), usesNarrowConv(transposed, <u32>Ci, <u32>groups, <u32>Co));
  const geom = convGeometryBlock();
  geom.inC = Ci; geom.inH = H; geom.inW = W; geom.outC = Co; geom.outH = OH; geom.outW = OW; geom.kernelH = kh; geom.kernelW = kw;
  geom.strideH = sH; geom.strideW = sW; geom.padTop = padT; geom.padLeft = padL; geom.dilationH = dH; geom.dilationW = dW; geom.groups = groups;
  ensurePairImage(convI8ScratchBytes(transposed, geom));
  convI8Kernel(transposed, x, zpX, packedOf(rq, <u32>Co), rq, bias, y, zpY, act, alpha, geom);
}

/** Requantization multipliers of `count` channels, written to out as f32. */
export function requantParams(sIn: f32, wScales: usize, sOut: f32, count: u32, out: usize): void {
  prepareRequant(sIn, wScales, sOut, count, out);
}

/** QUANTIZE (kernels/quantize.ts): f32 x -> i8 (or u8) out. */
export function quantize(x: usize, out: usize, count: u32, scale: f32, zp: i32, unsigned: bool): void {
  quantizeKernel(x, out, count, scale, zp, unsigned);
}
