// Plain float64 twins of the sequence kernels (assembly/kernels/recurrent.ts), written from the ONNX operator
// definitions: LSTM (gates i, o, f, c), GRU (z, r, h; linear_before_reset 0 and 1), embedding lookup, log-softmax
// and argmax. Weights in ONNX layout; one sample at a time (x [T, I], states [D, H]).
import { roundHalfEven } from '../../reference/quant-arithmetic.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export interface RecurrentRef {
  lstm: boolean;
  H: number;
  /** 0 forward, 1 reverse, 2 bidirectional */
  dir: 0 | 1 | 2;
  lbr?: 0 | 1;
  /** [D, G*H, I], [D, G*H, H], [D, 2*G*H] */
  W: ArrayLike<number>;
  R: ArrayLike<number>;
  B?: ArrayLike<number>;
}

/** Y [T, D, H], Y_h [D, H], Y_c [D, H] of one sample. */
export function recurrentRef(p: RecurrentRef, x: ArrayLike<number>, T: number, h0?: ArrayLike<number>, c0?: ArrayLike<number>) {
  const { H, lstm } = p;
  const D = p.dir === 2 ? 2 : 1;
  const G = lstm ? 4 : 3;
  const I = x.length / T;
  const Y = new Float64Array(T * D * H);
  const Yh = new Float64Array(D * H);
  const Yc = new Float64Array(D * H);
  for (let d = 0; d < D; d++) {
    const w = (g: number, i: number) => p.W[(d * G * H + g) * I + i]!;
    const r = (g: number, j: number) => p.R[(d * G * H + g) * H + j]!;
    const wb = (g: number) => (p.B ? p.B[d * 2 * G * H + g]! : 0);
    const rb = (g: number) => (p.B ? p.B[d * 2 * G * H + G * H + g]! : 0);
    let h = Array.from({ length: H }, (_, j) => (h0 ? h0[d * H + j]! : 0));
    let c = Array.from({ length: H }, (_, j) => (c0 ? c0[d * H + j]! : 0));
    for (let step = 0; step < T; step++) {
      const t = p.dir === 1 || d === 1 ? T - 1 - step : step;
      const xg = (g: number) => { let s = wb(g); for (let i = 0; i < I; i++) s += w(g, i) * x[t * I + i]!; return s; };
      const hg = (g: number, v: number[]) => { let s = rb(g); for (let j = 0; j < H; j++) s += r(g, j) * v[j]!; return s; };
      if (lstm) {
        const nh: number[] = [], nc: number[] = [];
        for (let j = 0; j < H; j++) {
          const i = sigmoid(xg(j) + hg(j, h)), o = sigmoid(xg(H + j) + hg(H + j, h));
          const f = sigmoid(xg(2 * H + j) + hg(2 * H + j, h)), g = Math.tanh(xg(3 * H + j) + hg(3 * H + j, h));
          nc[j] = f * c[j]! + i * g;
          nh[j] = o * Math.tanh(nc[j]!);
        }
        h = nh; c = nc;
      } else {
        const z = h.map((_, j) => sigmoid(xg(j) + hg(j, h)));
        const rr = h.map((_, j) => sigmoid(xg(H + j) + hg(H + j, h)));
        const rh = h.map((v, j) => rr[j]! * v);
        const n = h.map((_, j) => Math.tanh(xg(2 * H + j) + (p.lbr ? rr[j]! * hg(2 * H + j, h) : hg(2 * H + j, rh))));
        h = h.map((v, j) => (1 - z[j]!) * n[j]! + z[j]! * v);
      }
      for (let j = 0; j < H; j++) Y[(t * D + d) * H + j] = h[j]!;
    }
    for (let j = 0; j < H; j++) { Yh[d * H + j] = h[j]!; Yc[d * H + j] = c[j]!; }
  }
  return { Y, Yh, Yc };
}

export function embeddingRef(ids: ArrayLike<number>, table: ArrayLike<number>, E: number): Float64Array {
  const out = new Float64Array(ids.length * E);
  for (let i = 0; i < ids.length; i++) for (let e = 0; e < E; e++) out[i * E + e] = table[ids[i]! * E + e]!;
  return out;
}

export function logSoftmaxRef(x: ArrayLike<number>, L: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / L; r++) {
    let m = -Infinity;
    for (let i = 0; i < L; i++) m = Math.max(m, x[r * L + i]!);
    let s = 0;
    for (let i = 0; i < L; i++) s += Math.exp(x[r * L + i]! - m);
    for (let i = 0; i < L; i++) out[r * L + i] = x[r * L + i]! - m - Math.log(s);
  }
  return out;
}

export function argmaxRef(x: ArrayLike<number>, L: number): number[] {
  return Array.from({ length: x.length / L }, (_, r) => {
    let best = 0;
    for (let i = 1; i < L; i++) if (x[r * L + i]! > x[r * L + best]!) best = i;
    return best;
  });
}

/**
 * f32 twin of the int8-weights GEMV (assembly/kernels/recurrent.ts qgemv, docs/format.md "Sequence ops"), the same
 * f32 operations in the same order: s[m] = sum_k x[k] * f32(q[k*ld + col + m]) from 0 in k order (every product and
 * every add rounded to f32), then out[m] = bias[m] + scale[col + m] * s[m].
 */
export function qgemvRef(x: Float32Array, q: Int8Array, ld: number, col: number, scale: Float32Array, bias: Float32Array,
  K: number, M: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let k = 0; k < K; k++) s = f(s + f(x[k]! * q[k * ld + col + m]!));
    out[m] = f(bias[m]! + f(scale[col + m]! * s));
  }
  return out;
}

/**
 * Twin of the dynamic int8 row quantization (assembly/kernels/recurrent.ts quantizeRow): a = max |x[k]| (NaN wins),
 * q[k] = clamp(round half to even(f32(x[k] * f32(127 / a))), -127, 127) with NaN -> 0, all zeros when a = 0, one zero
 * pad when K is odd; scale f32(a / 127).
 */
export function quantizeRowRef(x: Float32Array): { q: Int16Array; scale: number } {
  const f = Math.fround;
  let a = 0;
  for (const v of x) a = Math.max(a, Math.abs(v));
  const q = new Int16Array(x.length + (x.length & 1));
  if (a === 0) return { q, scale: 0 };
  const inv = f(127 / a);
  x.forEach((v, k) => {
    const p = f(v * inv);
    q[k] = Number.isNaN(p) ? 0 : Math.min(127, Math.max(-127, roundHalfEven(p)));
  });
  return { q, scale: f(a / 127) };
}

/**
 * Twin of the int8 GEMV (qgemvI8): acc[m] = sum_k xq[k] * q[k*ld + col + m] (exact integers), then
 * out[m] = bias[m] + f32(scale[col + m] * sx) * f32(acc[m]) in f32.
 */
export function qgemvI8Ref(xq: Int16Array, sx: number, q: Int8Array, ld: number, col: number, scale: Float32Array,
  bias: Float32Array, K: number, M: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += xq[k]! * q[k * ld + col + m]!;
    out[m] = f(bias[m]! + f(f(scale[col + m]! * sx) * f(acc)));
  }
  return out;
}
