// Integer CONV2D / CONV_TRANSPOSE (one group) with fewer than 8 output channels, e.g. the decoder's last layer
// (32 -> 1). The (x - zp) image is written once with its zero padding around it ("padded image"), so every tap
// of every output pixel is a plain address: four output pixels of a row keep their sums in registers across
// all taps (dots along the input channels against the narrow weight layout, pack.ts) and are reduced and
// requantized together, with no bounds checks or accumulator buffers. A transposed conv runs per stride phase
// (the output pixels whose taps hit whole input pixels, kernels/int8/conv.ts): there consecutive output pixels
// of a phase read consecutive input pixels, and a tap outside the input reads the zero padding.
// Taps whose image and weight runs continue each other (an undilated kernel row) are merged into one run.
import { pairImage, memberAux } from './scratch';
import { inTeam, teamIndex, shareStart, teamBarrier } from '../../team';
import { packInputRow, zeroAcc } from './tile';
import { requantizeChannelLanes } from './requantize';
import { roundUp8 } from './pack';
import { ConvGeometry } from '../conv_geometry';

/** True when convI8 runs this conv here (a plain conv with fewer than 8 input channels takes the tap-row form). */
export function usesNarrowConv(transposed: bool, ci: u32, g: u32, co: u32): bool {
  return g == 1 && co < 8 && (transposed || ci >= 8);
}

/** Zero pixels (rows) of the padded image before the first input column (row). */
function padBefore(transposed: bool, k: i32, stride: i32, pad: i32, dil: i32): i64 {
  // transposed: the most negative tap offset of a phase is -ceil(((k - 1) * dil - pad) / stride)
  return transposed ? (<i64>(k - 1) * dil + stride - 1) / stride : <i64>pad;
}

/** Columns (rows) of the padded image: every tap of every output pixel is inside. */
function paddedSize(transposed: bool, size: i32, out: i32, k: i32, stride: i32, pad: i32, dil: i32): i64 {
  const reach = transposed ? (<i64>out - 1 + pad) / stride + 1 : <i64>(out - 1) * stride + <i64>dil * (k - 1) + 1 - pad;
  return padBefore(transposed, k, stride, pad, dil) + max(<i64>size, reach);
}

/** Bytes of one tap-table entry: i32 image offset, u32 weight offset, u32 chunks of 8 channels. */
const ENTRY_BYTES: u64 = 12;

/** Scratch (at pairImage) of the padded image and the tap table (u64: the caller rejects sizes memory cannot hold). */
export function narrowConvScratchBytes(transposed: bool, geom: ConvGeometry): u64 {
  const kH = geom.kernelH, kW = geom.kernelW;
  return <u64>paddedSize(transposed, geom.inH, geom.outH, kH, geom.strideH, geom.padTop, geom.dilationH) *
    <u64>paddedSize(transposed, geom.inW, geom.outW, kW, geom.strideW, geom.padLeft, geom.dilationW) * (<u64>roundUp8(<u32>geom.inC) << 1)
    + <u64>kH * kW * ENTRY_BYTES;
}

@inline function mac(a: v128, w: v128, x: v128): v128 { return i32x4.add(a, i32x4.dot_i16x8_s(w, x)); }

/** The four lane sums of a, b, c, d as the lanes of one vector. */
@inline function laneSums(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

/**
 * i8 x [H, W, Ci] (zero point zpX) -> i8 y [OH, OW, Co]; `packed`: narrow layout [Co][KH*KW][roundUp8(Ci)] i16;
 * rq: requantization table; lo: the output clamp's lower bound (relu folded in); slope: leaky relu's alpha or 1.
 */
export function narrowConvI8(transposed: bool, geom: ConvGeometry, x: usize, zpX: i32, packed: usize, rq: usize, bias: usize, y: usize, zpY: i32,
  lo: i32, slope: f32): void {
  const Ci = geom.inC, H = geom.inH, W = geom.inW, Co = geom.outC, OH = geom.outH, OW = geom.outW, kh = geom.kernelH, kw = geom.kernelW;
  const sH = geom.strideH, sW = geom.strideW, padT = geom.padTop, padL = geom.padLeft, dH = geom.dilationH, dW = geom.dilationW;
  const chunks = roundUp8(<u32>Ci) >> 3, rowB = <usize>chunks << 4; // bytes per padded pixel
  // (all fit i32: the scratch holding the padded image was allocated at load)
  const PT = <i32>padBefore(transposed, kh, sH, padT, dH), PL = <i32>padBefore(transposed, kw, sW, padL, dW);
  const Hp = <i32>paddedSize(transposed, H, OH, kh, sH, padT, dH), Wp = <i32>paddedSize(transposed, W, OW, kw, sW, padL, dW);
  const lineB = <usize>Wp * rowB;
  // threaded build: each member packs a share of the lines, keeps its own tap table and computes its output rows
  const table = inTeam() ? memberAux : pairImage + <usize>Hp * lineB;
  // the padded image: zero rows above and below, zero pixels left and right of each input row, line by line
  // (zeroAcc may write 16 bytes past a zero run: into pixels written after it, or into the tap table, built later;
  // in a team the next line may be another member's, so zero runs are filled exactly there)
  for (let py: i32 = inTeam() ? shareStart(Hp, teamIndex) : 0; py < (inTeam() ? shareStart(Hp, teamIndex + 1) : Hp); py++) {
    const line = pairImage + <usize>py * lineB, iy = py - PT;
    if (iy < 0 || iy >= H) { if (inTeam()) memory.fill(line, 0, lineB); else zeroAcc(line, lineB); continue; }
    zeroAcc(line, <usize>PL * rowB);
    // whole input rows at once when no pixel needs channel padding
    if ((Ci & 7) == 0) packInputRow(x + <usize>(iy * W) * Ci, zpX, <u32>(W * Ci), line + <usize>PL * rowB);
    else for (let ix: i32 = 0; ix < W; ix++) packInputRow(x + (<usize>(iy * W + ix) * Ci), zpX, <u32>Ci, line + <usize>(PL + ix) * rowB);
    if (inTeam()) memory.fill(line + <usize>(PL + W) * rowB, 0, <usize>(Wp - PL - W) * rowB);
    else zeroAcc(line + <usize>(PL + W) * rowB, <usize>(Wp - PL - W) * rowB);
  }
  if (inTeam()) teamBarrier();
  // conv: one phase, output (oy, ox) at image pixel (oy * sH, ox * sW), tap (ky, kx) at + (ky * dH, kx * dW).
  // transposed: phase (phy, phx) pixel (phy + t * sH, phx + u * sW) at image pixel (PT + t, PL + u), its taps at
  // + ((phy + padT - ky * dH) / sH, (phx + padL - kx * dW) / sW) for the (ky, kx) where those divide exactly.
  const phasesY = transposed ? min(sH, OH) : 1, phasesX = transposed ? min(sW, OW) : 1;
  const rowMul = transposed ? 1 : sH, colMul = transposed ? 1 : sW, oyMul = transposed ? sH : 1, oxMul = transposed ? sW : 1;
  for (let phy: i32 = 0; phy < phasesY; phy++) {
    for (let phx: i32 = 0; phx < phasesX; phx++) {
      // tap (ky, kx) at image offset (ty / yDiv, tx / xDiv) with ty = yBase + ky * yStep, when both divide exactly
      const yBase = transposed ? phy + padT : 0, yStep = transposed ? -dH : dH, yDiv = transposed ? sH : 1;
      const xBase = transposed ? phx + padL : 0, xStep = transposed ? -dW : dW, xDiv = transposed ? sW : 1;
      let n: usize = 0; // tap-table entries
      for (let ky: i32 = 0; ky < kh; ky++) {
        const ty = yBase + ky * yStep;
        if (ty % yDiv != 0) continue;
        for (let kx: i32 = 0; kx < kw; kx++) {
          const tx = xBase + kx * xStep;
          if (tx % xDiv != 0) continue;
          const off = <i32>(<usize>(ty / yDiv) * lineB + <usize>(tx / xDiv) * rowB);
          const wOff = <u32>(<usize>(ky * kw + kx) * rowB);
          const prev = table + (n - 1) * <usize>ENTRY_BYTES, prevBytes = load<u32>(prev, 8) << 4;
          if (n > 0 && load<i32>(prev) + <i32>prevBytes == off && load<u32>(prev, 4) + prevBytes == wOff) { store<u32>(prev, load<u32>(prev, 8) + chunks, 8); continue; }
          const e = table + n * <usize>ENTRY_BYTES;
          store<i32>(e, off); store<u32>(e, wOff, 4); store<u32>(e, chunks, 8);
          n++;
        }
      }
      const rows = (OH - phy + oyMul - 1) / oyMul, cols = (OW - phx + oxMul - 1) / oxMul;
      const pxStep = <usize>colMul * rowB, last = <usize>(cols - 1), outStep = <usize>(oxMul * Co);
      for (let t: i32 = inTeam() ? shareStart(rows, teamIndex) : 0; t < (inTeam() ? shareStart(rows, teamIndex + 1) : rows); t++) {
        const line = pairImage + <usize>((transposed ? PT : 0) + t * rowMul) * lineB + <usize>(transposed ? PL : 0) * rowB;
        for (let u: i32 = 0; u < cols; u += 4) {
          const np = min(4, cols - u);
          // absent pixels of the last tile repeat the last one (computed, not stored)
          const p0 = line + <usize>u * pxStep, p1 = line + min(<usize>u + 1, last) * pxStep;
          const p2 = line + min(<usize>u + 2, last) * pxStep, p3 = line + min(<usize>u + 3, last) * pxStep;
          const out = y + <usize>((phy + t * oyMul) * OW + phx + u * oxMul) * Co;
          for (let co: i32 = 0; co < Co; co++) {
            let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
            const wco = packed + <usize>(co * kh * kw) * rowB;
            for (let k: usize = 0; k < n; k++) {
              const e = table + k * <usize>ENTRY_BYTES, runChunks = load<u32>(e, 8);
              let o = <usize>load<i32>(e), wp = wco + <usize>load<u32>(e, 4), c: u32 = 0;
              for (; c + 2 <= runChunks; c += 2) { // two chunks per step: half the address arithmetic
                const w0 = v128.load(wp), w1 = v128.load(wp, 16);
                const q0 = p0 + o, q1 = p1 + o, q2 = p2 + o, q3 = p3 + o;
                a0 = mac(mac(a0, w0, v128.load(q0)), w1, v128.load(q0, 16)); a1 = mac(mac(a1, w0, v128.load(q1)), w1, v128.load(q1, 16));
                a2 = mac(mac(a2, w0, v128.load(q2)), w1, v128.load(q2, 16)); a3 = mac(mac(a3, w0, v128.load(q3)), w1, v128.load(q3, 16));
                wp += 32; o += 32;
              }
              if (c < runChunks) {
                const wv = v128.load(wp);
                a0 = mac(a0, wv, v128.load(p0 + o)); a1 = mac(a1, wv, v128.load(p1 + o));
                a2 = mac(a2, wv, v128.load(p2 + o)); a3 = mac(a3, wv, v128.load(p3 + o));
              }
            }
            let q = requantizeChannelLanes(laneSums(a0, a1, a2, a3), bias, rq, <u32>co, zpY, lo, slope);
            // bytes 0..3 (all in lane 0): pixel j's output is byte 0 after j shifts
            for (let j: i32 = 0, p = out + <usize>co; j < np; j++, p += outStep) { v128.store8_lane(p, q, 0); q = i32x4.shr_u(q, 8); }
          }
        }
      }
    }
  }
}
