// The activations PyTorch VAEs add to the classic set (GELU in erf and tanh forms, SiLU, Mish, HardSwish, Clip)
// and sigmoid, on four f32 lanes; a tail of fewer than 4 floats goes through the same vector code, so one
// formula serves every element and one exp serves them all.
// erf: erfc(|x|) ~ t P(t) exp(-x^2) with t = 1 / (1 + p|x|) (Abramowitz & Stegun 7.1.26, absolute error
// <= 1.5e-7); tests/kernels/activation-ext.test.ts checks it against a float64 series within 1e-6 absolute.
import { vexpNonPositive } from './vexp';
import { halfToFloat } from './f16';
import { ACT_CLIP, ACT_GELU, ACT_GELU_TANH, ACT_HARD_SWISH, ACT_MISH, ACT_SIGMOID } from '../format';

const ERF_P: f32 = 0.3275911;
const A1: f32 = 0.254829592, A2: f32 = -0.284496736, A3: f32 = 1.421413741, A4: f32 = -1.453152027, A5: f32 = 1.061405429;
const SQRT1_2: f32 = 0.70710678118654752;
/** 2 sqrt(2/pi): GELU's tanh form is x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3). */
const GELU_TANH_K: f32 = 1.5957691216057308;
const GELU_TANH_C: f32 = 0.044715;

/** x * clamp(x/6 + 1/2, 0, 1) in f32, as ONNX HardSwish (alpha = 1/6, beta = 0.5). */
@inline function vhardSwish(x: v128): v128 {
  const h = f32x4.add(f32x4.mul(x, f32x4.splat(<f32>(1.0 / 6.0))), f32x4.splat(0.5));
  return f32x4.mul(x, f32x4.pmin(f32x4.pmax(h, f32x4.splat(0)), f32x4.splat(1)));
}

/** x < lo ? lo : (x > hi ? hi : x); NaN stays NaN. */
@inline function vclip(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, lo), hi);
}

/** Clip bounds of the fused-activation alpha word: binary16 min in bits 0..15, max in bits 16..31. */
@inline function clipLow(alpha: f32): f32 { return halfToFloat(reinterpret<u32>(alpha) & 0xffff); }
@inline function clipHigh(alpha: f32): f32 { return halfToFloat(reinterpret<u32>(alpha) >>> 16); }

/**
 * One activation on four lanes. Sigmoid, SiLU, GELU-tanh and Mish share one exp: sigmoid(u) and x * sigmoid(u)
 * with u = x (sigmoid, silu) or u = 2 sqrt(2/pi) (x + 0.044715 x^3) (gelu_tanh) need e = e^-|u|, and
 * mish = x tanh(softplus x) = x n / (n + 2) with n = e^x (e^x + 2) is, with e = e^-|x| so nothing overflows,
 * x (1 + 2e) / (1 + 2e + 2e^2) for x >= 0 and x (e^2 + 2e) / (e^2 + 2e + 2) below. GELU needs e^-z^2, z = x / sqrt 2.
 */
@inline function vact(x: v128, act: u32, lo: v128, hi: v128): v128 {
  if (act == ACT_CLIP) return vclip(x, lo, hi);
  if (act == ACT_HARD_SWISH) return vhardSwish(x);
  const gelu = act == ACT_GELU;
  const one = f32x4.splat(1);
  const z = f32x4.mul(x, f32x4.splat(SQRT1_2));
  const z2 = f32x4.mul(z, z);
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = act == ACT_GELU_TANH ? f32x4.mul(f32x4.add(x, f32x4.mul(x3, f32x4.splat(GELU_TANH_C))), f32x4.splat(GELU_TANH_K)) : x;
  const e = vexpNonPositive(f32x4.neg(gelu ? z2 : f32x4.abs(u)));
  if (act == ACT_MISH) {
    const e2 = f32x4.mul(e, e), twoE = f32x4.add(e, e);
    const pos = f32x4.div(f32x4.add(one, twoE), f32x4.add(f32x4.add(one, twoE), f32x4.add(e2, e2)));
    const neg = f32x4.div(f32x4.add(e2, twoE), f32x4.add(f32x4.add(e2, twoE), f32x4.splat(2)));
    return f32x4.mul(x, v128.bitselect(pos, neg, f32x4.ge(x, f32x4.splat(0))));
  }
  if (!gelu) {
    const s = f32x4.div(one, f32x4.add(one, e));
    const sigmoid = v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(u, f32x4.splat(0)));
    return act == ACT_SIGMOID ? sigmoid : f32x4.mul(x, sigmoid);
  }
  // 1 + erf(z): erfc(|z|) = t P(t) e^-z^2, taken as is for z < 0 (no cancellation), 2 - erfc for z >= 0
  const az = f32x4.abs(z);
  const t = f32x4.div(one, f32x4.add(one, f32x4.mul(az, f32x4.splat(ERF_P))));
  let q = f32x4.splat(A5);
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(A4));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(A3));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(A2));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(A1));
  const erfc = f32x4.mul(f32x4.mul(q, t), e);
  const large = v128.bitselect(f32x4.sub(f32x4.splat(2), erfc), erfc, f32x4.ge(z, f32x4.splat(0)));
  return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), large);
}

const tail: usize = memory.data(16, 16);

/** out[i] = act(a[i]) for the activations above (sigmoid, gelu, silu, mish, hard_swish, clip, gelu_tanh). */
export function applyVectorActivation(a: usize, out: usize, count: u32, act: u32, alpha: f32): void {
  const lo = f32x4.splat(clipLow(alpha)), hi = f32x4.splat(clipHigh(alpha));
  for (let i: u32 = 0; i < count; i += 4) {
    const p = <usize>i << 2;
    const rest = count - i;
    let src = a + p, dst = out + p;
    if (rest < 4) {
      v128.store(tail, v128.splat<i32>(0));
      memory.copy(tail, src, <usize>rest << 2);
      src = tail;
      dst = tail;
    }
    v128.store(dst, vact(v128.load(src), act, lo, hi));
    if (rest < 4) memory.copy(out + p, tail, <usize>rest << 2);
  }
}
