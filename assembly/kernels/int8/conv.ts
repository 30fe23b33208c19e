// Integer CONV2D and CONV_TRANSPOSE over HWC activations: i8 in/out, i8 weights [G, KH, KW, Ci/G, Co/G]
// (per-output-channel scales), i32 bias, requantization with an f32 multiplier (requantize.ts). Gather form:
// each output pixel sums its own taps (taps.ts). (int8-weights convs, f32 activations, run the f32 kernels: kernels/dequantize_weights.ts.)
// Works on tiles of two output pixels of one row that share their valid taps: neighbours
// for a conv, neighbours within a stride phase (ox, ox + sW, ...) for a transposed conv, so no tap of a tile is
// wasted between strided inputs. A tap outside the input for some pixel of the tile reads a zero row for it.
// Plain convs with few input channels use the tap-row form below; ungrouped convs with few output channels
// narrow_conv.ts.
import { accBuf, acc1Buf, pairImage, tapList, quadInput, memberAux, MAX_TILE_TAPS, TAP_ENTRY_BYTES } from './scratch';
import { inTeam, teamIndex, shareStart, teamBarrier } from '../../team';
import { dot_i8_1px16c, dot_i8_2px16c, dot_i16_1px16c, dot_i16_2px16c, packInputRow, packInputRowU7, zeroAcc } from './tile';
import { requantizeRows, outputLow, negativeSlope } from './requantize';
import { usesNarrowConv, narrowConvI8, narrowConvScratchBytes } from './narrow_conv';
import { tapSource as source } from './taps';
import { packedBlockBytes, quadBlockBytes, roundUp8 } from './pack';
import { ConvGeometry } from '../conv_geometry';

/** Bytes of one (x - zp) row of a group: i16 per input channel, padded to a multiple of 8 channels. */
@inline function rowBytesOf(cig: u32): usize { return <usize>roundUp8(cig) << 1; }

/**
 * Scratch an integer conv over [Ci, H, W] input needs at pairImage (see scratch.ts): rows, zero row, column
 * table (per output column and kernel column: the byte offset of the input column's rows, or -1), tile
 * offsets (per kernel column: those of the tile's up to 4 pixels).
 */
function convScratchBytes(ci: u32, h: u32, w: u32, g: u32, ow: u32, kW: u32): u64 {
  return (<u64>h * w * g + 1) * rowBytesOf(ci / g) + <u64>ow * kW * 4 + <u64>kW * 16;
}

/**
 * Scratch at pairImage for convI8 with this geometry, whichever form runs it; sizes memory cannot hold come
 * back as 0xFFFF0000, which the allocator refuses.
 */
export function convI8ScratchBytes(transposed: bool, geom: ConvGeometry): usize {
  const ci = <u32>geom.inC, g = <u32>geom.groups, kH = <u32>geom.kernelH, kW = <u32>geom.kernelW;
  const bytes = usesTapRows(transposed, ci, g, kH, kW) ? <u64>tapRowsScratchBytes(ci, kH, kW)
    : usesNarrowConv(transposed, ci, g, <u32>geom.outC) ? narrowConvScratchBytes(transposed, geom)
    : convScratchBytes(ci, <u32>geom.inH, <u32>geom.inW, g, <u32>geom.outW, kW);
  return <usize>min(bytes, <u64>0xFFFF_0000);
}

let rowBytes: usize = 0, zeroRow: usize = 0, colTable: usize = 0, tileOffsets: usize = 0, blockBytes: usize = 0;
let pairs: u32 = 0, cigG: u32 = 0, cogG: u32 = 0;
/** Relaxed build, 7-bit input: rows are bytes, weights quads, `pairs` counts groups of four channels. */
let quads = false;

/** Accumulates the first `n` taps of tapList into the tile's accumulators. */
@inline function flush(n: u32, two: bool): void {
  if (n == 0) return;
  if (ASC_FEATURE_RELAXED_SIMD && quads) {
    if (two) dot_i8_2px16c(n, pairs, roundUp8(cogG));
    else dot_i8_1px16c(n, pairs, roundUp8(cogG));
    return;
  }
  if (two) dot_i16_2px16c(n, pairs, roundUp8(cogG));
  else dot_i16_1px16c(n, pairs, roundUp8(cogG));
}

/**
 * Output pixels (oy, ox + j * step) for j in [0, np), np <= 2: all groups, taps, requantization.
 */
function tileI8(transposed: bool, geom: ConvGeometry, packed: usize, rq: usize, bias: usize, y: usize, zpY: i32, lo: i32, slope: f32,
  oy: i32, ox: i32, np: i32): void {
  const H = geom.inH, W = geom.inW, Co = geom.outC, OW = geom.outW, kh = geom.kernelH, kw = geom.kernelW;
  const sH = geom.strideH, sW = geom.strideW, padT = geom.padTop, dH = geom.dilationH, groups = geom.groups;
  const step = transposed ? sW : 1;
  const accBytes = <usize>roundUp8(cogG) << 2;
  // Per kernel column, the input-row offsets of the tile's pixels as one i32x4 (-1: outside / no pixel), once per tile.
  for (let kx: i32 = 0; kx < kw; kx++) {
    v128.store(tileOffsets + (<usize>kx << 4), i32x4.splat(-1));
    for (let j: i32 = 0; j < np; j++) store<i32>(tileOffsets + (<usize>kx << 4) + (<usize>j << 2), load<i32>(colTable + (<usize>((ox + j * step) * kw + kx) << 2)));
  }
  const zeroV = i32x4.splat(<i32>zeroRow);
  for (let g: i32 = 0; g < groups; g++) {
    zeroAcc(accBuf, accBytes); zeroAcc(acc1Buf, accBytes);
    let n: u32 = 0;
    for (let ky: i32 = 0; ky < kh; ky++) {
      const iy = source(transposed, oy, ky, sH, padT, dH, H);
      if (iy < 0) continue;
      const rowBase = i32x4.splat(<i32>(pairImage + (<usize>iy * W * groups + g) * rowBytes));
      for (let kx: i32 = 0; kx < kw; kx++) {
        const off = v128.load(tileOffsets + (<usize>kx << 4));
        const valid = i32x4.ge_s(off, i32x4.splat(0));
        if (!v128.any_true(valid)) continue;
        const e = tapList + <usize>n * TAP_ENTRY_BYTES;
        v128.store(e, v128.bitselect(i32x4.add(off, rowBase), zeroV, valid));
        store<u32>(e, <u32>(packed + <usize>((g * kh + ky) * kw + kx) * blockBytes), 16);
        if (++n == MAX_TILE_TAPS) { flush(n, np > 1); n = 0; }
      }
    }
    flush(n, np > 1);
    const first = <u32>g * cogG;
    requantizeRows(accBuf, acc1Buf - accBuf, np, bias, rq, first, y + <usize>(oy * OW + ox) * Co + first, <usize>(step * Co), cogG, zpY, lo, slope);
  }
}

/**
 * Integer conv / transposed conv of one sample: i8 x (zero point zpX) -> i8 y (zero point zpY). `packed`: the
 * weights repacked by kernels/int8/pack.ts (G*KH*KW blocks); rq: requantization table (requantize.ts);
 * pairImage sized by convScratchBytes. act, alpha: the fused activation (none, relu or leaky relu, requantize.ts).
 */
export function convI8(transposed: bool, x: usize, zpX: i32, packed: usize, rq: usize, bias: usize,
  y: usize, zpY: i32, act: u32, alpha: f32, geom: ConvGeometry): void {
  const Ci = geom.inC, H = geom.inH, W = geom.inW, Co = geom.outC, OH = geom.outH, OW = geom.outW;
  const kh = geom.kernelH, kw = geom.kernelW, sW = geom.strideW, padL = geom.padLeft, dW = geom.dilationW, groups = geom.groups;
  const lo = outputLow(act, zpY), slope = negativeSlope(act, alpha);
  if (usesTapRows(transposed, <u32>Ci, <u32>groups, <u32>kh, <u32>kw)) { convTapRowsI8(geom, x, zpX, packed, rq, bias, y, zpY, lo, slope); return; }
  if (usesNarrowConv(transposed, <u32>Ci, <u32>groups, <u32>Co)) {
    narrowConvI8(transposed, geom, x, zpX, packed, rq, bias, y, zpY, lo, slope);
    return;
  }
  cigG = <u32>(Ci / groups); cogG = <u32>(Co / groups);
  quads = ASC_FEATURE_RELAXED_SIMD && quadInput; // zpX is 0 then
  pairs = quads ? (cigG + 3) >> 2 : (cigG + 1) >> 1;
  rowBytes = quads ? <usize>roundUp8(cigG) : rowBytesOf(cigG);
  blockBytes = quads ? quadBlockBytes(cigG, cogG) : packedBlockBytes(cigG, cogG, false);
  // Every input pixel's (x - zp) row once, per group; then the zero row and the column table.
  const rows = <usize>H * W * groups;
  // threaded build: the members pack a share of the rows each, member 0 the tables, then each its output rows
  let r0: usize = 0, r1 = rows, oy0: i32 = 0, oy1: i32 = OH;
  if (inTeam()) {
    r0 = <usize>shareStart(<i32>rows, teamIndex); r1 = <usize>shareStart(<i32>rows, teamIndex + 1);
    oy0 = shareStart(OH, teamIndex); oy1 = shareStart(OH, teamIndex + 1);
  }
  if (ASC_FEATURE_RELAXED_SIMD && quads) for (let r: usize = r0; r < r1; r++) packInputRowU7(x + r * cigG, cigG, pairImage + r * rowBytes);
  else for (let r: usize = r0; r < r1; r++) packInputRow(x + r * cigG, zpX, cigG, pairImage + r * rowBytes);
  zeroRow = pairImage + rows * rowBytes;
  colTable = zeroRow + rowBytes;
  tileOffsets = inTeam() ? memberAux : colTable + (<usize>OW * kw << 2);
  if (!inTeam() || teamIndex == 0) {
    memory.fill(zeroRow, 0, rowBytes);
    for (let ox: i32 = 0; ox < OW; ox++) {
      for (let kx: i32 = 0; kx < kw; kx++) {
        const ix = source(transposed, ox, kx, sW, padL, dW, W); // byte offset of its rows within an input row, or -1
        store<i32>(colTable + (<usize>(ox * kw + kx) << 2), ix < 0 ? -1 : <i32>(<usize>ix * groups * rowBytes));
      }
    }
  }
  if (inTeam()) teamBarrier();
  const step = transposed ? sW : 1, phases = transposed ? min(sW, OW) : 1;
  for (let oy: i32 = oy0; oy < oy1; oy++) {
    for (let ph: i32 = 0; ph < phases; ph++) {
      // pixels ph, ph + step, ...: tiles of 2 consecutive ones (the last may be shorter)
      const count = (OW - ph + step - 1) / step;
      for (let t: i32 = 0; t < count; t += 2) tileI8(transposed, geom, packed, rq, bias, y, zpY, lo, slope, oy, ph + t * step, min(2, count - t));
    }
  }
}

// Tap-row form, for a conv with few input channels (e.g. the first layer, one channel): channel pairs would
// be mostly padding and each tap too short to pay for its bookkeeping, so all KH*KW*Ci taps of an output
// pixel are gathered into one (x - zp) row ("im2col") and reduced in one pass against the weights packed as a
// single [KH*KW*Ci, Co] block (memory order [KH, KW, Ci, Co] is exactly that K-major matrix when G = 1).

/** Longest tap row (KH*KW*Ci) the tap-row form takes. */
const MAX_TAP_ROW: u64 = 1024;

/** True when convI8 runs this conv in tap-row form; the weights must then be packed as one [KH*KW*Ci, Co] block. */
export function usesTapRows(transposed: bool, ci: u32, g: u32, kH: u32, kW: u32): bool {
  return !transposed && g == 1 && ci < 8 && <u64>kH * <u64>kW * <u64>ci <= MAX_TAP_ROW;
}

/** Scratch (at pairImage) of the tap-row form: two rows of KH*KW*Ci i16, padded to a multiple of 8. */
function tapRowsScratchBytes(ci: u32, kH: u32, kW: u32): usize { return <usize>roundUp8(kH * kW * ci) << 2; }

/** (x - zp) of every tap of output pixel (oy, ox) into row, 0 for taps in the padding. */
function fillTapRow(geom: ConvGeometry, x: usize, zpX: i32, oy: i32, ox: i32, row: usize): void {
  const Ci = geom.inC, H = geom.inH, W = geom.inW, kh = geom.kernelH, kw = geom.kernelW;
  const sH = geom.strideH, sW = geom.strideW, padT = geom.padTop, padL = geom.padLeft, dH = geom.dilationH, dW = geom.dilationW;
  const iy0 = oy * sH - padT, ix0 = ox * sW - padL;
  const lastRow = iy0 + (kh - 1) * dH;
  if (Ci == 1 && dW == 1 && kw <= 8 && iy0 >= 0 && ix0 >= 0 && lastRow < H && ix0 + kw <= W && lastRow * W + ix0 + 8 <= H * W) {
    // the common first layer (one channel, all taps inside): 8 input values per kernel row at once. Each store
    // writes 8 - kw values too many, which the next kernel row overwrites or which land past the K taps
    // (the zero weights of the pair padding, the next pixel's row, or the scratch's slack).
    const zps = i16x8.splat(<i16>zpX);
    for (let ky: i32 = 0; ky < kh; ky++) v128.store(row + (<usize>(ky * kw) << 1), i16x8.sub(v128.load8x8_s(x + <usize>((iy0 + ky * dH) * W + ix0)), zps));
    return;
  }
  let p = row;
  for (let ky: i32 = 0; ky < kh; ky++) {
    const iy = oy * sH - padT + ky * dH;
    for (let kx: i32 = 0; kx < kw; kx++) {
      const ix = ox * sW - padL + kx * dW;
      if (<u32>iy < <u32>H && <u32>ix < <u32>W) { // unsigned compares: negative coordinates are outside too
        const src = x + <usize>(iy * W + ix) * Ci;
        for (let c: i32 = 0; c < Ci; c++) store<i16>(p + (<usize>c << 1), <i16>(<i32>load<i8>(src + c) - zpX));
      } else {
        for (let c: i32 = 0; c < Ci; c++) store<i16>(p + (<usize>c << 1), 0);
      }
      p += <usize>Ci << 1;
    }
  }
}

function convTapRowsI8(geom: ConvGeometry, x: usize, zpX: i32, packed: usize, rq: usize, bias: usize, y: usize, zpY: i32, lo: i32,
  slope: f32): void {
  const Ci = geom.inC, Co = geom.outC, OH = geom.outH, OW = geom.outW, kh = geom.kernelH, kw = geom.kernelW;
  const K = <u32>(kh * kw * Ci), rowB = <usize>roundUp8(K) << 1;
  const accBytes = <usize>roundUp8(<u32>Co) << 2;
  const rowsAt = inTeam() ? memberAux : pairImage; // threaded build: each member's own two rows
  memory.fill(rowsAt, 0, rowB * 2); // the padding past K starts at zero (its weights are zero anyway)
  for (let j: i32 = 0; j < 2; j++) store<u32>(tapList + (<usize>j << 2), <u32>(rowsAt + <usize>j * rowB));
  store<u32>(tapList, <u32>packed, 16);
  for (let oy: i32 = inTeam() ? shareStart(OH, teamIndex) : 0; oy < (inTeam() ? shareStart(OH, teamIndex + 1) : OH); oy++) {
    for (let ox: i32 = 0; ox < OW; ox += 2) {
      const np = min(2, OW - ox);
      zeroAcc(accBuf, accBytes); zeroAcc(acc1Buf, accBytes);
      for (let j: i32 = 0; j < np; j++) fillTapRow(geom, x, zpX, oy, ox + j, rowsAt + <usize>j * rowB);
      if (np > 1) dot_i16_2px16c(1, (K + 1) >> 1, roundUp8(<u32>Co));
      else dot_i16_1px16c(1, (K + 1) >> 1, roundUp8(<u32>Co));
      requantizeRows(accBuf, acc1Buf - accBuf, np, bias, rq, 0, y + <usize>(oy * OW + ox) * Co, <usize>Co, <u32>Co, zpY, lo, slope);
    }
  }
}
