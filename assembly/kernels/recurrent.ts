// Sequence kernels (docs/format.md "Sequence ops"): LSTM and GRU layers over a whole sequence, the token
// embedding lookup, argmax and log-softmax per row. The cell step is two f32x4 GEMVs (input and recurrent
// projections, weights K-major [K, G*H] so four gate outputs share one broadcast input) followed by the gate
// nonlinearities on four lanes at once (vexp.ts sigmoid/tanh). Reference twin: tests/kernels/recurrent-reference.ts.
import { vsigmoid, vtanh } from './vexp';
import { exp, log } from './compact_math';

let scratch: usize = 0;

/**
 * Gate scratch of at least 2*G*H + H floats, then max(I, H) / 2 + 8 more for int8 activations, for the widest recurrent
 * op (sized by recurrent_validate.ts at load).
 */
export function setRecurrentScratch(p: usize): void { scratch = p; }

/**
 * out[m] = bias[m] + sum_k x[k] * w[k*ld + m] for m < M, summed in k order (so every column gets the same f32
 * arithmetic as a plain loop). The weights are read row by row, four rows at a time: contiguous streams the
 * prefetcher follows, where a column-block walk would jump ld floats per k (one page per row on wide LSTMs).
 */
export function gemv(x: usize, w: usize, ld: u32, bias: usize, out: usize, K: u32, M: u32): void {
  const rowBytes = <usize>ld << 2;
  const vecEnd = M & ~3;
  memory.copy(out, bias, <usize>M << 2);
  let k: u32 = 0;
  for (; k + 4 <= K; k += 4) {
    const xp = x + (<usize>k << 2);
    const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp, 4), x2 = v128.load32_splat(xp, 8), x3 = v128.load32_splat(xp, 12);
    const r0 = w + <usize>k * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    for (let m: u32 = 0; m < vecEnd; m += 4) {
      const o = <usize>m << 2;
      let a = v128.load(out + o);
      a = f32x4.add(a, f32x4.mul(x0, v128.load(r0 + o)));
      a = f32x4.add(a, f32x4.mul(x1, v128.load(r1 + o)));
      a = f32x4.add(a, f32x4.mul(x2, v128.load(r2 + o)));
      a = f32x4.add(a, f32x4.mul(x3, v128.load(r3 + o)));
      v128.store(out + o, a);
    }
    for (let m = vecEnd; m < M; m++) {
      const o = <usize>m << 2;
      let acc = load<f32>(out + o);
      acc += load<f32>(xp) * load<f32>(r0 + o);
      acc += load<f32>(xp, 4) * load<f32>(r1 + o);
      acc += load<f32>(xp, 8) * load<f32>(r2 + o);
      acc += load<f32>(xp, 12) * load<f32>(r3 + o);
      store<f32>(out + o, acc);
    }
  }
  for (; k < K; k++) {
    const xv = v128.load32_splat(x + (<usize>k << 2));
    const r = w + <usize>k * rowBytes;
    for (let m: u32 = 0; m < vecEnd; m += 4) {
      const o = <usize>m << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), f32x4.mul(xv, v128.load(r + o))));
    }
    for (let m = vecEnd; m < M; m++) {
      const o = <usize>m << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(x + (<usize>k << 2)) * load<f32>(r + o));
    }
  }
}

/** out[0..4) += x0*f32(w0) + x1*f32(w1) + x2*f32(w2) + x3*f32(w3), added in that order (w: i32 lanes of four rows). */
@inline function group4(out: usize, x0: v128, x1: v128, x2: v128, x3: v128, w0: v128, w1: v128, w2: v128, w3: v128): void {
  let a = v128.load(out);
  a = f32x4.add(a, f32x4.mul(x0, f32x4.convert_i32x4_s(w0)));
  a = f32x4.add(a, f32x4.mul(x1, f32x4.convert_i32x4_s(w1)));
  a = f32x4.add(a, f32x4.mul(x2, f32x4.convert_i32x4_s(w2)));
  a = f32x4.add(a, f32x4.mul(x3, f32x4.convert_i32x4_s(w3)));
  v128.store(out, a);
}

/**
 * int8-weights GEMV (docs/format.md "Sequence ops"): out[m] = bias[m] + scale[m] * s[m] with
 * s[m] = sum_k x[k] * f32(q[k*ld + m]), summed in f32 in k order from 0 (each product rounded, then each add), then one
 * product by the column scale and one add of the bias. The weights stay i8 (a quarter of the f32 bytes per step) and are
 * read row by row, four rows at a time, 16 columns per load, like gemv; out holds the running sums.
 * Twin: tests/kernels/recurrent-reference.ts qgemvRef.
 */
export function qgemv(x: usize, q: usize, ld: u32, scale: usize, bias: usize, out: usize, K: u32, M: u32): void {
  const vecEnd = M & ~3, wideEnd = M & ~15;
  memory.fill(out, 0, <usize>M << 2);
  // The last K % 4 rows run in the same loop: a missing row adds x = 0 times row k's weights, +-0, which leaves
  // every sum unchanged (sums start at +0 and cannot become -0), so the result is that of a one-row loop.
  for (let k: u32 = 0; k < K; k += 4) {
    const rows = K - k;
    const xp = x + (<usize>k << 2);
    const zero = f32x4.splat(0);
    const x0 = v128.load32_splat(xp), x1 = rows > 1 ? v128.load32_splat(xp, 4) : zero;
    const x2 = rows > 2 ? v128.load32_splat(xp, 8) : zero, x3 = rows > 3 ? v128.load32_splat(xp, 12) : zero;
    const r0 = q + <usize>k * ld, r1 = rows > 1 ? r0 + ld : r0, r2 = rows > 2 ? r1 + ld : r0, r3 = rows > 3 ? r2 + ld : r0;
    let m: u32 = 0;
    for (; m < wideEnd; m += 16) {
      const q0 = v128.load(r0 + m), q1 = v128.load(r1 + m), q2 = v128.load(r2 + m), q3 = v128.load(r3 + m);
      const l0 = i16x8.extend_low_i8x16_s(q0), h0 = i16x8.extend_high_i8x16_s(q0);
      const l1 = i16x8.extend_low_i8x16_s(q1), h1 = i16x8.extend_high_i8x16_s(q1);
      const l2 = i16x8.extend_low_i8x16_s(q2), h2 = i16x8.extend_high_i8x16_s(q2);
      const l3 = i16x8.extend_low_i8x16_s(q3), h3 = i16x8.extend_high_i8x16_s(q3);
      const o = <usize>m << 2; // four f32x4 groups, each summed over the four rows in a register
      group4(out + o, x0, x1, x2, x3, i32x4.extend_low_i16x8_s(l0), i32x4.extend_low_i16x8_s(l1),
        i32x4.extend_low_i16x8_s(l2), i32x4.extend_low_i16x8_s(l3));
      group4(out + o + 16, x0, x1, x2, x3, i32x4.extend_high_i16x8_s(l0), i32x4.extend_high_i16x8_s(l1),
        i32x4.extend_high_i16x8_s(l2), i32x4.extend_high_i16x8_s(l3));
      group4(out + o + 32, x0, x1, x2, x3, i32x4.extend_low_i16x8_s(h0), i32x4.extend_low_i16x8_s(h1),
        i32x4.extend_low_i16x8_s(h2), i32x4.extend_low_i16x8_s(h3));
      group4(out + o + 48, x0, x1, x2, x3, i32x4.extend_high_i16x8_s(h0), i32x4.extend_high_i16x8_s(h1),
        i32x4.extend_high_i16x8_s(h2), i32x4.extend_high_i16x8_s(h3));
    }
    for (; m < M; m++) { // the last M % 16 columns
      const o = <usize>m << 2;
      let acc = load<f32>(out + o);
      acc += f32x4.extract_lane(x0, 0) * <f32>load<i8>(r0 + m);
      acc += f32x4.extract_lane(x1, 0) * <f32>load<i8>(r1 + m);
      acc += f32x4.extract_lane(x2, 0) * <f32>load<i8>(r2 + m);
      acc += f32x4.extract_lane(x3, 0) * <f32>load<i8>(r3 + m);
      store<f32>(out + o, acc);
    }
  }
  for (let m: u32 = 0; m < vecEnd; m += 4) {
    const o = <usize>m << 2;
    v128.store(out + o, f32x4.add(v128.load(bias + o), f32x4.mul(v128.load(scale + o), v128.load(out + o))));
  }
  for (let m = vecEnd; m < M; m++) {
    const o = <usize>m << 2;
    store<f32>(out + o, load<f32>(bias + o) + load<f32>(scale + o) * load<f32>(out + o));
  }
}

/**
 * Dynamic int8 quantization of one activation row for qgemvI8 (docs/format.md "Sequence ops", int8 activations):
 * a = max |x[k]| (NaN if any is NaN); xq[k] = clamp(nearest_even(x[k] * (127 / a)), -127, 127) as i16, plus one
 * zero i16 when K is odd (so rows pair up); all zeros when a == 0. Returns the row scale a / 127 (0 when a == 0).
 * Twin: tests/kernels/recurrent-reference.ts quantizeRowRef.
 */
export function quantizeRow(x: usize, K: u32, xq: usize): f32 {
  // Scalar: K values per projection against K * G*H products in the GEMV (and the module size budget).
  let a: f32 = 0;
  for (let k: u32 = 0; k < K; k++) a = max(a, abs(load<f32>(x + (<usize>k << 2))));
  const inv: f32 = 127 / a; // a = 0: inv = inf, x * inv = NaN -> every value 0
  for (let k: u32 = 0; k < K; k++) {
    const v = min(max(nearest(load<f32>(x + (<usize>k << 2)) * inv), -127), 127);
    store<i16>(xq + (<usize>k << 1), v != v ? 0 : <i16><i32>v);
  }
  store<i16>(xq + (<usize>K << 1), 0);
  return a / 127;
}

/**
 * Packs columns [0, M) of the i8 matrix q [K, ld] for qgemvI8 into dst (panelBytes(K, M) bytes): panels of four
 * columns, each a run of 16-byte blocks, one per four rows; padding rows and columns (to 4 rows, 16 columns) are
 * zero. Block j holds rows 4j, 4j+1 pair-interleaved per column, then rows 4j+2, 4j+3: c0r0 c0r1 c1r0 c1r1 c2r0
 * c2r1 c3r0 c3r1 | c0r2 c0r3 ... so widening each half to i16 gives the operand of one i32x4.dot_i16x8_s.
 */
export function packI8Panels(q: usize, ld: u32, K: u32, M: u32, dst: usize): void {
  const kp = (K + 3) & ~3;
  memory.fill(dst, 0, panelBytes(K, M));
  for (let m: u32 = 0; m < M; m++) {
    const panel = dst + <usize>(m >> 2) * kp * 4;
    for (let k: u32 = 0; k < K; k++) {
      store<i8>(panel + <usize>((k >> 2) << 4) + ((k & 2) << 2) + ((m & 3) << 1) + (k & 1), load<i8>(q + <usize>k * ld + m));
    }
  }
}

/** Bytes of packI8Panels' output for K rows and M columns (whole groups of four panels). */
export function panelBytes(K: u32, M: u32): usize { return <usize>((M + 15) & ~15) * ((K + 3) & ~3); }

/**
 * acc + the i32 dot of the 16-byte block at p (rows 4j..4j+3 of four columns) with the input pairs x01, x23; each
 * half is loaded already widened to i16 (v128.load8x8_s: one instruction, no extend of a loaded vector).
 */
@inline function panelDot(acc: v128, p: usize, x01: v128, x23: v128): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(p), x01), i32x4.dot_i16x8_s(v128.load8x8_s(p, 8), x23)));
}

// The i32 sums of a last, partial group of panels (its padding columns must not be stored past M).
const panelTail: usize = memory.data(64, 16);

/**
 * int8 GEMV (int8 weights and int8 activations, docs/format.md "Sequence ops"): out[m] = bias[m] + (scale[m] * sx) *
 * f32(acc[m]) with acc[m] = sum_k xq[k] * q[k, m] in i32 (exact, so any order gives the same sum). `panels` holds the
 * M columns packed by packI8Panels; xq holds at least K i16 values from quantizeRow (values past K meet zero weights).
 * Four panels (16 columns) run at once with their sums in registers across all K rows; out holds the i32 sums until
 * the final scaling. Twin: tests/kernels/recurrent-reference.ts qgemvI8Ref (on the unpacked matrix).
 */
export function qgemvI8(xq: usize, sx: f32, panels: usize, K: u32, scale: usize, bias: usize, out: usize, M: u32): void {
  const blocks = (K + 3) >> 2;
  const pb = <usize>blocks << 4; // bytes per panel
  for (let m: u32 = 0; m < M; m += 16) {
    const p0 = panels + <usize>(m >> 2) * pb, p1 = p0 + pb, p2 = p1 + pb, p3 = p2 + pb;
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let j: u32 = 0; j < blocks; j++) {
      const xp = xq + (<usize>j << 3), o = <usize>j << 4;
      const x01 = v128.load32_splat(xp), x23 = v128.load32_splat(xp, 4);
      a0 = panelDot(a0, p0 + o, x01, x23);
      a1 = panelDot(a1, p1 + o, x01, x23);
      a2 = panelDot(a2, p2 + o, x01, x23);
      a3 = panelDot(a3, p3 + o, x01, x23);
    }
    const full = M - m >= 16, dst = full ? out + (<usize>m << 2) : panelTail;
    v128.store(dst, a0); v128.store(dst, a1, 16); v128.store(dst, a2, 32); v128.store(dst, a3, 48);
    if (!full) memory.copy(out + (<usize>m << 2), panelTail, <usize>(M - m) << 2);
  }
  for (let m: u32 = 0; m < M; m++) { // scalar: M values against K * M products
    const o = <usize>m << 2;
    store<f32>(out + o, load<f32>(bias + o) + (load<f32>(scale + o) * sx) * <f32>load<i32>(out + o));
  }
}

// Hidden size of the current layer and where quantizeRow writes (after the gate scratch), for int8 activations.
let gateH: u32 = 0;
let xqScratch: usize = 0;

/**
 * Weights w (f32) or, when scale != 0, i8 with one f32 scale per column; `col` is the first column used. panels != 0
 * (int8 activations): x is quantized per row and each gate block of H columns runs from its packed panels
 * (packRecurrentPanels), scales and bias as for qgemv.
 */
function project(x: usize, w: usize, scale: usize, ld: u32, col: u32, bias: usize, out: usize, K: u32, M: u32, panels: usize): void {
  const c = <usize>col << 2;
  if (panels != 0) {
    const sx = quantizeRow(x, K, xqScratch);
    const H = gateH, blockBytes = panelBytes(K, H);
    for (let g = col / H; g < (col + M) / H; g++) {
      const o = <usize>(g * H - col) << 2;
      qgemvI8(xqScratch, sx, panels + <usize>g * blockBytes, K, scale + (<usize>(g * H) << 2), bias + o, out + o, H);
    }
  } else if (scale != 0) qgemv(x, w + col, ld, scale + c, bias, out, K, M);
  else gemv(x, w + c, ld, bias, out, K, M);
}

/** Bytes of packRecurrentPanels' output: D directions of G gate blocks, for W (K = I) and then R (K = H). */
export function recurrentPanelBytes(I: u32, H: u32, G: u32, D: u32): usize {
  return <usize>D * G * (panelBytes(I, H) + panelBytes(H, H));
}

/**
 * The i8 W [D][I, G*H] and R [D][H, G*H] of an int8-activation layer as qgemvI8 panels, one run per (matrix,
 * direction, gate block): all of W's blocks (direction-major), then all of R's. Done once at load.
 */
export function packRecurrentPanels(W: usize, R: usize, I: u32, H: u32, G: u32, D: u32, dst: usize): void {
  const GH = G * H;
  for (let m: u32 = 0; m < 2; m++) {
    const K = m == 0 ? I : H, src = m == 0 ? W : R, blockBytes = panelBytes(K, H);
    for (let b: u32 = 0; b < D * G; b++) {
      packI8Panels(src + <usize>(b / G) * K * GH + <usize>(b % G) * H, GH, K, H, dst);
      dst += blockBytes;
    }
  }
}

// One copy of each nonlinearity (not inlined: the module size budget).
function sig4(x: v128): v128 { return vsigmoid(x); }
function tanh4(x: v128): v128 { return vtanh(x); }

/**
 * LSTM cell on lanes [0, n) (n a multiple of 4), gates i, o, f, c in ONNX order `gb` bytes apart:
 * c' = f*c + i*tanh(g), h' = o*tanh(c').
 */
function lstmLanes(xg: usize, hg: usize, h: usize, c: usize, gb: usize, n: u32): void {
  for (let j: u32 = 0; j < n; j += 4) {
    const o = <usize>j << 2;
    const ig = sig4(f32x4.add(v128.load(xg + o), v128.load(hg + o)));
    const og = sig4(f32x4.add(v128.load(xg + gb + o), v128.load(hg + gb + o)));
    const fg = sig4(f32x4.add(v128.load(xg + 2 * gb + o), v128.load(hg + 2 * gb + o)));
    const cg = tanh4(f32x4.add(v128.load(xg + 3 * gb + o), v128.load(hg + 3 * gb + o)));
    const cn = f32x4.add(f32x4.mul(fg, v128.load(c + o)), f32x4.mul(ig, cg));
    v128.store(c + o, cn);
    v128.store(h + o, f32x4.mul(og, tanh4(cn)));
  }
}

/** GRU reset gate times h: rh = sigmoid(xr + hr) * h (linear_before_reset 0 needs it before the third product). */
function gruResetLanes(xg: usize, hg: usize, h: usize, rh: usize, gb: usize, n: u32): void {
  for (let j: u32 = 0; j < n; j += 4) {
    const o = <usize>j << 2;
    v128.store(rh + o, f32x4.mul(sig4(f32x4.add(v128.load(xg + gb + o), v128.load(hg + gb + o))), v128.load(h + o)));
  }
}

/**
 * GRU cell (gates z, r, h in ONNX order): h' = (1-z)*n + z*h with n = tanh(xn + r*hn) when `lbr` (hg holds the
 * whole recurrent product), else n = tanh(xn + hg_n) where the caller put (r*h)·Rh + Rbh into hg's third block.
 */
function gruLanes(xg: usize, hg: usize, h: usize, gb: usize, n: u32, lbr: bool): void {
  for (let j: u32 = 0; j < n; j += 4) {
    const o = <usize>j << 2;
    const z = sig4(f32x4.add(v128.load(xg + o), v128.load(hg + o)));
    let pre = v128.load(hg + 2 * gb + o);
    if (lbr) pre = f32x4.mul(sig4(f32x4.add(v128.load(xg + gb + o), v128.load(hg + gb + o))), pre);
    const nv = tanh4(f32x4.add(v128.load(xg + 2 * gb + o), pre));
    v128.store(h + o, f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), z), nv), f32x4.mul(z, v128.load(h + o))));
  }
}

// The last H % 4 lanes go through the same vector code on a padded copy (tail scratch: 4 gate blocks of xg and
// hg, then h, c / rh), so every element gets the same arithmetic and no kernel touches bytes past H.
const tail: usize = memory.data(11 * 16, 16);
const TX: usize = 0, TH: usize = 64, TS: usize = 128, TC: usize = 144, TR: usize = 160;

function toTail(src: usize, dst: usize, gb: usize, blocks: u32, bytes: usize): void {
  for (let g: u32 = 0; g < blocks; g++) memory.copy(tail + dst + <usize>g * 16, src + <usize>g * gb, bytes);
}

const CELL_LSTM: u32 = 0, CELL_GRU: u32 = 1, CELL_GRU_RESET: u32 = 2;

/** Runs one cell kind on lanes [0, H): vector body, then the tail on the padded copy. */
function cell(kind: u32, xg: usize, hg: usize, h: usize, c: usize, H: u32, lbr: bool): void {
  const gb = <usize>H << 2;
  const body = H & ~3;
  if (kind == CELL_LSTM) lstmLanes(xg, hg, h, c, gb, body);
  else if (kind == CELL_GRU) gruLanes(xg, hg, h, gb, body, lbr);
  else gruResetLanes(xg, hg, h, c, gb, body);
  const rest = H - body;
  if (rest == 0) return;
  const off = <usize>body << 2, bytes = <usize>rest << 2;
  const blocks: u32 = kind == CELL_LSTM ? 4 : 3;
  toTail(xg + off, TX, gb, blocks, bytes);
  toTail(hg + off, TH, gb, blocks, bytes);
  memory.copy(tail + TS, h + off, bytes);
  if (kind == CELL_LSTM) memory.copy(tail + TC, c + off, bytes);
  if (kind == CELL_LSTM) lstmLanes(tail + TX, tail + TH, tail + TS, tail + TC, 16, 4);
  else if (kind == CELL_GRU) gruLanes(tail + TX, tail + TH, tail + TS, 16, 4, lbr);
  else gruResetLanes(tail + TX, tail + TH, tail + TS, tail + TR, 16, 4);
  if (kind == CELL_GRU_RESET) { memory.copy(c + off, tail + TR, bytes); return; }
  memory.copy(h + off, tail + TS, bytes);
  if (kind == CELL_LSTM) memory.copy(c + off, tail + TC, bytes);
}

/**
 * One LSTM/GRU layer over T steps for one sample. x [T, I]; W [D][I, G*H]; R [D][H, G*H]; B [D][2*G*H] (input
 * bias, then recurrent bias); h0/c0 [D, H] or 0 for zeros. out = Y [T, D, H] ++ Y_h [D, H] (++ Y_c [D, H]);
 * the running state lives in Y_h / Y_c. dirMode 0 forward, 1 reverse, 2 bidirectional (direction 1 reversed).
 * wScale / rScale != 0: W / R are i8 with those per-column scales (shared by both directions), run by qgemv, or when
 * panels != 0 (int8 activations: both i8, packed at load by packRecurrentPanels) by quantizeRow + qgemvI8 on every projection.
 */
export function recurrentLayer(lstm: bool, x: usize, T: u32, I: u32, W: usize, R: usize, B: usize, h0: usize, c0: usize,
  out: usize, H: u32, dirMode: u32, lbr: bool, wScale: usize, rScale: usize, panels: usize): void {
  const D: u32 = dirMode == 2 ? 2 : 1;
  const G: u32 = lstm ? 4 : 3;
  const GH = G * H;
  const hb = <usize>H << 2;
  const yh = out + <usize>T * D * hb;
  const yc = yh + <usize>D * hb;
  const xg = scratch;
  const hg = scratch + (<usize>GH << 2);
  const rh = hg + (<usize>GH << 2);
  gateH = H;
  xqScratch = rh + (<usize>H << 2);
  for (let d: u32 = 0; d < D; d++) {
    const reverse = dirMode == 1 || d == 1;
    const w = W + <usize>d * I * GH * (wScale != 0 ? 1 : 4);
    const r = R + <usize>d * H * GH * (rScale != 0 ? 1 : 4);
    const wb = B + <usize>d * 2 * GH * 4;
    const rb = wb + (<usize>GH << 2);
    const wp = panels == 0 ? 0 : panels + <usize>d * G * panelBytes(I, H);
    const rp = panels == 0 ? 0 : panels + <usize>D * G * panelBytes(I, H) + <usize>d * G * panelBytes(H, H);
    const h = yh + <usize>d * hb;
    const c = yc + <usize>d * hb;
    if (h0 != 0) memory.copy(h, h0 + <usize>d * hb, hb); else memory.fill(h, 0, hb);
    if (lstm) {
      if (c0 != 0) memory.copy(c, c0 + <usize>d * hb, hb); else memory.fill(c, 0, hb);
    }
    for (let step: u32 = 0; step < T; step++) {
      const t = reverse ? T - 1 - step : step;
      project(x + <usize>t * I * 4, w, wScale, GH, 0, wb, xg, I, GH, wp);
      if (lstm) {
        project(h, r, rScale, GH, 0, rb, hg, H, GH, rp);
        cell(CELL_LSTM, xg, hg, h, c, H, false);
      } else if (lbr) {
        project(h, r, rScale, GH, 0, rb, hg, H, GH, rp);
        cell(CELL_GRU, xg, hg, h, 0, H, true);
      } else {
        project(h, r, rScale, GH, 0, rb, hg, H, 2 * H, rp); // z and r blocks
        cell(CELL_GRU_RESET, xg, hg, h, rh, H, false);
        project(rh, r, rScale, GH, 2 * H, rb + 2 * hb, hg + 2 * hb, H, H, rp); // (r*h)·Rh + Rbh
        cell(CELL_GRU, xg, hg, h, 0, H, false);
      }
      memory.copy(out + (<usize>t * D + d) * hb, h, hb);
    }
  }
}

/** out[i] = table[ids[i]] (rows of E floats); false (row left as zeros) when an id is not an integer in [0, V). */
export function embedding(ids: usize, table: usize, out: usize, count: u32, E: u32, V: u32): bool {
  let ok = true;
  const rowBytes = <usize>E << 2;
  for (let i: u32 = 0; i < count; i++) {
    const v = load<f32>(ids + (<usize>i << 2));
    const dst = out + <usize>i * rowBytes;
    if (!(v >= 0 && v < <f32>V) || v != Mathf.floor(v)) { memory.fill(dst, 0, rowBytes); ok = false; continue; }
    memory.copy(dst, table + <usize><u32>v * rowBytes, rowBytes);
  }
  return ok;
}

/** Index of the first largest value of x[0..L) (NaN never wins; 0 when all are NaN). */
export function argmaxRow(x: usize, L: u32): u32 {
  let best: u32 = 0;
  let bv = load<f32>(x);
  for (let i: u32 = 1; i < L; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v > bv || (bv != bv && v == v)) { bv = v; best = i; }
  }
  return best;
}

export function argmaxRows(x: usize, out: usize, rows: u32, L: u32): void {
  for (let r: u32 = 0; r < rows; r++) store<f32>(out + (<usize>r << 2), <f32>argmaxRow(x + <usize>r * L * 4, L));
}

/** out = a - max - log(sum(exp(a - max))) per row of L (sum and log in f64, compact_math.ts). */
export function logSoftmaxRows(x: usize, out: usize, rows: u32, L: u32): void {
  for (let r: u32 = 0; r < rows; r++) {
    const row = x + <usize>r * L * 4;
    const dst = out + <usize>r * L * 4;
    let m = load<f32>(row);
    for (let i: u32 = 1; i < L; i++) m = max(m, load<f32>(row + (<usize>i << 2)));
    let sum: f64 = 0;
    for (let i: u32 = 0; i < L; i++) sum += exp(<f64>(load<f32>(row + (<usize>i << 2)) - m));
    const lse = <f32>log(sum);
    for (let i: u32 = 0; i < L; i++) store<f32>(dst + (<usize>i << 2), load<f32>(row + (<usize>i << 2)) - m - lse);
  }
}
