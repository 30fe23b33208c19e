// The three convolutions of training, each one packed GEMM per block of output pixels:
//   forward         Y[P, co]   = im2col(X)[P, KK] * Wf[KK, co]
//   backprop input  dX         = col2im( dY[P, co] * Wf^T[co, KK] )
//   backprop filter dWf^T[co, KK] = dY^T[co, P] * im2col(X)[P, KK]
// Every call first sets the geometry (geometry.ts). `scratch` must hold *ScratchBytes() bytes.
import { CO, KK, P, roundUp } from './geometry';
import { MR, NR, gemmPacked } from './gemm';
import { im2colRowIntoPanelA, im2colRowsIntoPanelsB, col2imAdd } from './im2col';

/** Output pixels per block in forward / backprop-input: A block and C block stay in L2. */
const ROW_BLOCK: i32 = 64;
/** Pixels per k-block in backprop-filter. */
const PIXEL_BLOCK: i32 = 256;

// ---------- forward ----------

export function conv2dScratchBytes(): i32 {
  const coPad = roundUp(CO, NR);
  return (KK * coPad + ROW_BLOCK * KK + ROW_BLOCK * coPad) << 2;
}

export function conv2d(x: usize, w: usize, y: usize, scratch: usize): void {
  const coPad = roundUp(CO, NR);
  const bPack = scratch;
  const aPack = bPack + ((<usize>KK * <usize>coPad) << 2);
  const cBlock = aPack + ((<usize>ROW_BLOCK * <usize>KK) << 2);
  // Filter [KK, co] as B panels of 8 output channels.
  for (let j = 0; j < coPad; j += NR) {
    const panel = bPack + ((<usize>j * <usize>KK) << 2);
    for (let kk = 0; kk < KK; kk++) {
      for (let c = 0; c < NR; c++) {
        const co = j + c;
        store<f32>(panel + ((<usize>(kk * NR + c)) << 2), co < CO ? load<f32>(w + ((<usize>(kk * CO + co)) << 2)) : 0);
      }
    }
  }
  for (let p0 = 0; p0 < P; p0 += ROW_BLOCK) {
    const mb = min(ROW_BLOCK, P - p0);
    const mPanels = (mb + MR - 1) / MR;
    for (let r = 0; r < mPanels * MR; r++) {
      const panel = aPack + ((<usize>(r / MR) * <usize>KK * MR) << 2) + (<usize>(r % MR) << 2);
      if (r < mb) im2colRowIntoPanelA(x, p0 + r, panel);
      else for (let kk = 0; kk < KK; kk++) store<f32>(panel + (<usize>(kk * MR) << 2), 0);
    }
    memory.fill(cBlock, 0, (<usize>mPanels * MR * <usize>coPad) << 2);
    gemmPacked(aPack, bPack, cBlock, mPanels, coPad / NR, KK, coPad);
    for (let q = 0; q < mb; q++) {
      memory.copy(y + ((<usize>(p0 + q) * <usize>CO) << 2), cBlock + ((<usize>q * <usize>coPad) << 2), <usize>CO << 2);
    }
  }
}

// ---------- backprop input ----------

export function conv2dBackpropInputScratchBytes(): i32 {
  const kkPad = roundUp(KK, NR);
  return (kkPad * CO + ROW_BLOCK * CO + ROW_BLOCK * kkPad) << 2;
}

/** dx must be the full input-sized buffer; it is overwritten. */
export function conv2dBackpropInput(dy: usize, w: usize, dx: usize, dxFloats: i32, scratch: usize): void {
  const kkPad = roundUp(KK, NR);
  const bPack = scratch;
  const aPack = bPack + ((<usize>kkPad * <usize>CO) << 2);
  const cBlock = aPack + ((<usize>ROW_BLOCK * <usize>CO) << 2);
  // Filter transposed, [co, KK], as B panels of 8 taps: element (co, kk) = w[kk*CO + co].
  for (let j = 0; j < kkPad; j += NR) {
    const panel = bPack + ((<usize>j * <usize>CO) << 2);
    for (let co = 0; co < CO; co++) {
      for (let c = 0; c < NR; c++) {
        const kk = j + c;
        store<f32>(panel + ((<usize>(co * NR + c)) << 2), kk < KK ? load<f32>(w + ((<usize>(kk * CO + co)) << 2)) : 0);
      }
    }
  }
  memory.fill(dx, 0, <usize>dxFloats << 2);
  for (let p0 = 0; p0 < P; p0 += ROW_BLOCK) {
    const mb = min(ROW_BLOCK, P - p0);
    const mPanels = (mb + MR - 1) / MR;
    // dY rows [p0, p0+mb) as A panels of 4 pixels (k = output channel).
    for (let i = 0; i < mPanels; i++) {
      const panel = aPack + ((<usize>i * <usize>CO * MR) << 2);
      for (let r = 0; r < MR; r++) {
        const q = i * MR + r;
        const src = dy + ((<usize>(p0 + q) * <usize>CO) << 2);
        for (let co = 0; co < CO; co++) {
          store<f32>(panel + (<usize>(co * MR + r) << 2), q < mb ? load<f32>(src + (<usize>co << 2)) : 0);
        }
      }
    }
    memory.fill(cBlock, 0, (<usize>mPanels * MR * <usize>kkPad) << 2);
    gemmPacked(aPack, bPack, cBlock, mPanels, kkPad / NR, CO, kkPad);
    col2imAdd(cBlock, kkPad, p0, mb, dx);
  }
}

// ---------- backprop filter ----------

export function conv2dBackpropFilterScratchBytes(): i32 {
  const kkPad = roundUp(KK, NR);
  const coPad = roundUp(CO, MR);
  return (coPad * kkPad + coPad * PIXEL_BLOCK + kkPad * PIXEL_BLOCK) << 2;
}

/** Writes dw [KH, KW, CI, CO]. */
export function conv2dBackpropFilter(x: usize, dy: usize, dw: usize, scratch: usize): void {
  const kkPad = roundUp(KK, NR);
  const coPad = roundUp(CO, MR);
  const cAcc = scratch; // dW^T [coPad, kkPad]
  const aPack = cAcc + ((<usize>coPad * <usize>kkPad) << 2);
  const bPack = aPack + ((<usize>coPad * <usize>PIXEL_BLOCK) << 2);
  memory.fill(cAcc, 0, (<usize>coPad * <usize>kkPad) << 2);
  const mPanels = coPad / MR;
  const nPanels = kkPad / NR;
  for (let p0 = 0; p0 < P; p0 += PIXEL_BLOCK) {
    const kb = min(PIXEL_BLOCK, P - p0);
    // dY^T as A panels of 4 output channels: element (co, q) = dy[(p0+q)*CO + co].
    for (let i = 0; i < mPanels; i++) {
      const panel = aPack + ((<usize>i * <usize>kb * MR) << 2);
      const co0 = i * MR;
      for (let q = 0; q < kb; q++) {
        const src = dy + ((<usize>(p0 + q) * <usize>CO + <usize>co0) << 2);
        const d = panel + (<usize>(q * MR) << 2);
        if (co0 + MR <= CO) {
          v128.store(d, v128.load(src));
        } else {
          for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), co0 + r < CO ? load<f32>(src + (<usize>r << 2)) : 0);
        }
      }
    }
    if (kkPad != KK) memory.fill(bPack + ((<usize>(nPanels - 1) * <usize>kb * NR) << 2), 0, (<usize>kb * NR) << 2);
    im2colRowsIntoPanelsB(x, p0, kb, bPack);
    gemmPacked(aPack, bPack, cAcc, mPanels, nPanels, kb, kkPad);
  }
  for (let kk = 0; kk < KK; kk++) {
    for (let co = 0; co < CO; co++) {
      store<f32>(dw + ((<usize>(kk * CO + co)) << 2), load<f32>(cAcc + ((<usize>(co * kkPad + kk)) << 2)));
    }
  }
}
