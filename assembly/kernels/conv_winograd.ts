// Winograd F(2x2, 2x2) for the 4x4 stride-2 pad-1 CONV_TRANSPOSE and CONV2D (f32, one group): the up- and
// down-sampling layers of DCGAN-style VAEs. Both split into 2x2-tap correlations over a stride phase:
// - CONV_TRANSPOSE: output phase (ry, rx) (oy = 2m + ry) reads input rows m + ry - 1 + a with kernel row
//   ky = 3 - ry - 2a (a = 0, 1); four output phases, one source each.
// - CONV2D: output row m reads input rows 2(m + a) - py with ky = 2a + 1 - py for the input parity py; one
//   output phase summing four sources (the parities), handled as 4*Ci input channels.
// F(2,2) computes two outputs of a 2-tap correlation with 3 multiplies (d: 3 inputs, g: 2 taps):
//   V = (d0 - d1, d1, d2 - d1), U = (g0, g0 + g1, g1), y0 = M0 + M1, y1 = M1 + M2 (M = V * U),
// so a 2x2 output tile costs 9 instead of 16 multiply-adds per input and output channel. The 9 products are
// summed over input channels like a GEMM: 4 tiles x 8 output channels in registers, as in conv_tile.ts.
// Only fixed-width SIMD mul and add, in a fixed order: the same bits on every engine.
import { zeroBuffer } from '../model';
import { inTeam, teamIndex, teamSize } from '../team';

/** Input channels (times sources) the kernel takes: bounds the per-op scratch. */
const MAX_CV: u32 = 2048;

/** True when a conv with these parameters runs here (its weights are then packed by packWinogradWeights). */
export function winogradFits(transposed: bool, Ci: u32, Co: u32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
  dh: i32, dw: i32, G: u32): bool {
  return G == 1 && kh == 4 && kw == 4 && sh == 2 && sw == 2 && pt == 1 && pl == 1 && dh == 1 && dw == 1 &&
    (Ci & 3) == 0 && Ci * (transposed ? 1 : 4) <= MAX_CV;
}

@inline function sources(transposed: bool): u32 { return transposed ? 1 : 4; }
@inline function phases(transposed: bool): u32 { return transposed ? 4 : 1; }
/** Output channels per weight block: 8, or 4 for a narrow layer (an image's 1-4 channels). */
@inline function lanes(Co: u32): u32 { return Co <= 4 ? 4 : 8; }

/**
 * Team members of the threaded build that share one op (each with its own scratch); the others wait at the
 * op's barrier. 1 in the single-thread builds.
 */
const WORKERS: u32 = ASC_FEATURE_THREADS ? 4 : 1;

/** One worker's scratch: input transforms of 4 tiles, products of one block, a spare vector. */
@inline function slotBytes(cv: usize): usize { return 9 * 4 * cv * 4 + 9 * 4 * 32 + 32; }

/** Bytes of packed weights plus every worker's scratch. */
export function winogradBytes(transposed: bool, Ci: u32, Co: u32): usize {
  const cv = <usize>Ci * sources(transposed), L = <usize>lanes(Co), blocks = (<usize>Co + L - 1) / L;
  return phases(transposed) * 9 * blocks * cv * L * 4 + WORKERS * slotBytes(cv);
}

/** Kernel tap (0..3) of 2-tap index a for output phase r (transposed) or input parity r (conv). */
@inline function tap(transposed: bool, r: u32, a: u32): u32 { return transposed ? 3 - r - 2 * a : 2 * a + 1 - r; }

/**
 * Format weights w [4, 4, Ci, Co] -> U [phase][pos 3x3][8-channel block][source * Ci + ci][8] (channels past
 * Co zero), U = G g G^T of each 2x2 tap set g.
 */
export function packWinogradWeights(transposed: bool, w: usize, out: usize, Ci: u32, Co: u32): void {
  const S = sources(transposed), cv = Ci * S, L = lanes(Co), blocks = (Co + L - 1) / L;
  for (let ph: u32 = 0; ph < phases(transposed); ph++) {
    for (let s: u32 = 0; s < S; s++) {
      const ry = transposed ? ph >> 1 : s >> 1, rx = transposed ? ph & 1 : s & 1;
      for (let ci: u32 = 0; ci < Ci; ci++) {
        for (let co: u32 = 0; co < Co; co++) {
          const at = w + (<usize>(ci * Co + co) << 2), tapBytes = <usize>Ci * Co * 4;
          const g00 = load<f32>(at + (tap(transposed, ry, 0) * 4 + tap(transposed, rx, 0)) * tapBytes);
          const g01 = load<f32>(at + (tap(transposed, ry, 0) * 4 + tap(transposed, rx, 1)) * tapBytes);
          const g10 = load<f32>(at + (tap(transposed, ry, 1) * 4 + tap(transposed, rx, 0)) * tapBytes);
          const g11 = load<f32>(at + (tap(transposed, ry, 1) * 4 + tap(transposed, rx, 1)) * tapBytes);
          const r0a = g00, r0b = g01, r1a = g00 + g10, r1b = g01 + g11, r2a = g10, r2b = g11;
          const base = out + (<usize>(((ph * 9) * blocks + co / L) * cv + s * Ci + ci) * L << 2) + (<usize>(co % L) << 2);
          const posStride = <usize>blocks * cv * L * 4;
          store<f32>(base, r0a); store<f32>(base + posStride, r0a + r0b); store<f32>(base + 2 * posStride, r0b);
          store<f32>(base + 3 * posStride, r1a); store<f32>(base + 4 * posStride, r1a + r1b); store<f32>(base + 5 * posStride, r1b);
          store<f32>(base + 6 * posStride, r2a); store<f32>(base + 7 * posStride, r2a + r2b); store<f32>(base + 8 * posStride, r2b);
        }
      }
    }
  }
}

// The op being run (set by winogradConv).
let inX: usize = 0, inH: i32 = 0, inW: i32 = 0, pixelIn: usize = 0, cin: u32 = 0, cv: u32 = 0;
let outW: i32 = 0;

/** Address of input pixel (iy, ix), or the zero block outside the image. */
@inline function pixel(iy: i32, ix: i32): usize {
  return iy >= 0 && iy < inH && ix >= 0 && ix < inW ? inX + <usize>(iy * inW + ix) * pixelIn : zeroBuffer;
}

/**
 * V of one tile (its 3x3 input patch from row iy0, column ix0, input steps st) into v, laid out [pos][k][tile 4]
 * (k = s * Ci + ci) so the GEMM reads the four tiles' values of one k at fixed offsets.
 */
function transformTile(v: usize, t: u32, s: u32, iy0: i32, ix0: i32, st: i32): void {
  const p00 = pixel(iy0, ix0), p01 = pixel(iy0, ix0 + st), p02 = pixel(iy0, ix0 + 2 * st);
  const p10 = pixel(iy0 + st, ix0), p11 = pixel(iy0 + st, ix0 + st), p12 = pixel(iy0 + st, ix0 + 2 * st);
  const p20 = pixel(iy0 + 2 * st, ix0), p21 = pixel(iy0 + 2 * st, ix0 + st), p22 = pixel(iy0 + 2 * st, ix0 + 2 * st);
  const pos = <usize>cv << 4; // bytes from one position's block to the next
  let dst = v + ((<usize>s * cin) << 4) + (<usize>t << 2);
  for (let o: usize = 0; o < (<usize>cin << 2); o += 16, dst += 64) {
    // rows: (d0 - d1, d1, d2 - d1) per column
    const m1c0 = v128.load(p10 + o), m1c1 = v128.load(p11 + o), m1c2 = v128.load(p12 + o);
    const t0c0 = f32x4.sub(v128.load(p00 + o), m1c0), t0c1 = f32x4.sub(v128.load(p01 + o), m1c1);
    const t0c2 = f32x4.sub(v128.load(p02 + o), m1c2);
    const t2c0 = f32x4.sub(v128.load(p20 + o), m1c0), t2c1 = f32x4.sub(v128.load(p21 + o), m1c1);
    const t2c2 = f32x4.sub(v128.load(p22 + o), m1c2);
    // columns, the same way
    scatter(dst, f32x4.sub(t0c0, t0c1)); scatter(dst + pos, t0c1); scatter(dst + 2 * pos, f32x4.sub(t0c2, t0c1));
    scatter(dst + 3 * pos, f32x4.sub(m1c0, m1c1)); scatter(dst + 4 * pos, m1c1); scatter(dst + 5 * pos, f32x4.sub(m1c2, m1c1));
    scatter(dst + 6 * pos, f32x4.sub(t2c0, t2c1)); scatter(dst + 7 * pos, t2c1); scatter(dst + 8 * pos, f32x4.sub(t2c2, t2c1));
  }
}

/** The four lanes (four consecutive k) at a tile's slot of four consecutive [tile 4] rows. */
@inline function scatter(p: usize, x: v128): void {
  v128.store32_lane(p, x, 0); v128.store32_lane(p, x, 1, 16); v128.store32_lane(p, x, 2, 32); v128.store32_lane(p, x, 3, 48);
}

/** Tiles of output phase ph (rows and columns of the phase's grid in 2x2 tiles). */
function tilesOf(OH: i32, OW: i32, ph: u32, step: i32): i32 {
  const rows = (OH - <i32>(ph >> 1) + step - 1) / step, cols = (OW - <i32>(ph & 1) + step - 1) / step;
  return ((rows + 1) >> 1) * ((cols + 1) >> 1);
}

/** `u`: packWinogradWeights's layout followed by winogradBytes's scratch. `relu`: applied to the outputs. */
export function winogradConv(transposed: bool, x: usize, u: usize, bias: usize, y: usize, Ci: u32, H: i32, W: i32,
  Co: u32, OH: i32, OW: i32, relu: bool): void {
  inX = x; inH = H; inW = W; pixelIn = <usize>Ci << 2; cin = Ci; outW = OW;
  const S = sources(transposed);
  cv = Ci * S;
  const L = lanes(Co), blocks = (Co + L - 1) / L, blockBytes = <usize>cv * L * 4;
  const phaseBytes = <usize>9 * blocks * blockBytes, posBytes = <usize>blocks * blockBytes;
  const floor = f32x4.splat(relu ? 0 : -Infinity);
  const step = transposed ? 2 : 1;
  // Work units: the tile quads of every phase; a team's workers take contiguous ranges (the same sums either way).
  let units = 0;
  for (let ph: u32 = 0; ph < phases(transposed); ph++) units += (tilesOf(OH, OW, ph, step) + 3) >> 2;
  let worker: u32 = 0, workers: u32 = 1;
  if (inTeam()) { workers = min(teamSize, WORKERS); worker = teamIndex; }
  if (worker >= workers) return;
  const first = <i32>(<u64>units * worker / workers), last = <i32>(<u64>units * (worker + 1) / workers);
  const v = u + phases(transposed) * phaseBytes + worker * slotBytes(cv), prod = v + <usize>9 * 4 * cv * 4;
  const tail = prod + 9 * 4 * 32;
  let unit = 0;
  for (let ph: u32 = 0; ph < phases(transposed); ph++) {
    const ry = <i32>(ph >> 1), rx = <i32>(ph & 1);
    const rows = (OH - ry + step - 1) / step, cols = (OW - rx + step - 1) / step;
    const tilesX = (cols + 1) >> 1, nTiles = ((rows + 1) >> 1) * tilesX;
    const uPhase = u + ph * phaseBytes;
    for (let q = 0; q < nTiles; q += 4, unit++) {
      if (unit < first || unit >= last) continue;
      for (let t: u32 = 0; t < 4; t++) {
        const tile = min(q + <i32>t, nTiles - 1);
        const m0 = (tile / tilesX) << 1, n0 = (tile % tilesX) << 1;
        if (transposed) transformTile(v, t, 0, m0 + ry - 1, n0 + rx - 1, 1);
        else for (let s: u32 = 0; s < 4; s++) transformTile(v, t, s, 2 * m0 - <i32>(s >> 1), 2 * n0 - <i32>(s & 1), 2);
      }
      for (let b: u32 = 0; b < blocks; b++) {
        for (let pos: u32 = 0; pos < 9; pos++) {
          let wp = uPhase + pos * posBytes + <usize>b * blockBytes;
          const m = prod + pos * 4 * 32;
          if (L == 4) { narrowGemm(v + (<usize>pos * cv << 4), wp, m); continue; }
          let p = v + (<usize>pos * cv << 4);
          const pEnd = p + (<usize>cv << 4);
          let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
          for (; p < pEnd; p += 16, wp += 32) {
            const w0 = v128.load(wp), w1 = v128.load(wp, 16);
            let xv = v128.load32_splat(p);
            a0 = f32x4.add(a0, f32x4.mul(xv, w0)); a1 = f32x4.add(a1, f32x4.mul(xv, w1));
            xv = v128.load32_splat(p, 4);
            b0 = f32x4.add(b0, f32x4.mul(xv, w0)); b1 = f32x4.add(b1, f32x4.mul(xv, w1));
            xv = v128.load32_splat(p, 8);
            c0 = f32x4.add(c0, f32x4.mul(xv, w0)); c1 = f32x4.add(c1, f32x4.mul(xv, w1));
            xv = v128.load32_splat(p, 12);
            d0 = f32x4.add(d0, f32x4.mul(xv, w0)); d1 = f32x4.add(d1, f32x4.mul(xv, w1));
          }
          v128.store(m, a0); v128.store(m, a1, 16); v128.store(m, b0, 32); v128.store(m, b1, 48);
          v128.store(m, c0, 64); v128.store(m, c1, 80); v128.store(m, d0, 96); v128.store(m, d1, 112);
        }
        storeTiles(prod, tail, q, nTiles, tilesX, rows, cols, ry, rx, step, b * L, L, Co, bias, y, floor);
      }
    }
  }
}

/** The GEMM of one position for a 4-channel block: four tiles' products into m (as the 8-channel loop's low halves). */
function narrowGemm(p: usize, wp: usize, m: usize): void {
  const pEnd = p + (<usize>cv << 4);
  let a = f32x4.splat(0), b = a, c = a, d = a;
  for (; p < pEnd; p += 16, wp += 16) {
    const w = v128.load(wp);
    a = f32x4.add(a, f32x4.mul(v128.load32_splat(p), w)); b = f32x4.add(b, f32x4.mul(v128.load32_splat(p, 4), w));
    c = f32x4.add(c, f32x4.mul(v128.load32_splat(p, 8), w)); d = f32x4.add(d, f32x4.mul(v128.load32_splat(p, 12), w));
  }
  v128.store(m, a); v128.store(m, b, 32); v128.store(m, c, 64); v128.store(m, d, 96);
}

/** Y = A^T M A of the quad's tiles for block b: bias added, floored, written where the pixel exists. */
function storeTiles(prod: usize, tail: usize, q: i32, nTiles: i32, tilesX: i32, rows: i32, cols: i32, ry: i32, rx: i32,
  step: i32, co: u32, L: u32, Co: u32, bias: usize, y: usize, floor: v128): void {
  const full = co + L <= Co;
  let bias0 = f32x4.splat(0), bias1 = bias0;
  if (bias && full) bias0 = v128.load(bias + (<usize>co << 2));
  if (bias && full && L == 8) bias1 = v128.load(bias + (<usize>co << 2), 16);
  for (let t = 0; t < 4 && q + t < nTiles; t++) {
    const tile = q + t, m0 = (tile / tilesX) << 1, n0 = (tile % tilesX) << 1;
    for (let half: usize = 0; half < (<usize>L << 2); half += 16) {
      const m = prod + (<usize>t << 5) + half; // position pos at m + pos * 128
      // rows first: R_a = M_a + M_(a+1), then Y_ab = R_a(b) + R_a(b+1)
      const m0_ = v128.load(m), m1_ = v128.load(m, 128), m2_ = v128.load(m, 256);
      const m3_ = v128.load(m, 384), m4_ = v128.load(m, 512), m5_ = v128.load(m, 640);
      const m6_ = v128.load(m, 768), m7_ = v128.load(m, 896), m8_ = v128.load(m, 1024);
      const r00 = f32x4.add(m0_, m3_), r01 = f32x4.add(m1_, m4_), r02 = f32x4.add(m2_, m5_);
      const r10 = f32x4.add(m3_, m6_), r11 = f32x4.add(m4_, m7_), r12 = f32x4.add(m5_, m8_);
      const bv = half ? bias1 : bias0;
      for (let a = 0; a < 2; a++) {
        const oy = m0 + a;
        if (oy >= rows) break;
        const left = a ? f32x4.add(r10, r11) : f32x4.add(r00, r01), right = a ? f32x4.add(r11, r12) : f32x4.add(r01, r02);
        for (let c = 0; c < 2; c++) {
          const ox = n0 + c;
          if (ox >= cols) break;
          const dst = y + (<usize>(((oy * step + ry) * outW + ox * step + rx) * Co + co) << 2) + half;
          const val = f32x4.add(c ? right : left, bv);
          if (full) v128.store(dst, f32x4.pmax(val, floor));
          else storePartial(dst, val, co + <u32>(half >> 2), Co, bias, floor, tail);
        }
      }
    }
  }
}

/** Channels c0.. of a vector whose block passes Co: lanes below Co, each plus its bias, floored (NaN kept as pmax does). */
function storePartial(dst: usize, val: v128, c0: u32, Co: u32, bias: usize, floor: v128, tail: usize): void {
  v128.store(tail, val);
  const fl = f32x4.extract_lane(floor, 0);
  for (let k: u32 = 0; k < 4 && c0 + k < Co; k++) {
    let r = load<f32>(tail + (<usize>k << 2));
    if (bias) r += load<f32>(bias + (<usize>(c0 + k) << 2));
    store<f32>(dst + (<usize>k << 2), r < fl ? fl : r);
  }
}
