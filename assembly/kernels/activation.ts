// Element-wise activations, applied in place after a kernel or as a UNARY op.
// relu, leaky relu and tanh are vectorized here, tanh through a polynomial exp accurate to a few f32 ulp
// (kernels/vexp.ts); sigmoid (the usual decoder output) and the activations of vact_ext.ts run entirely in vector
// code there. The other transcendental ones (and the scalar tails) are
// computed in f64 with the compact exp/log of compact_math.ts (pure wasm, identical on every engine) and
// rounded once to f32: accurate to about half an f32 ulp, far inside the 1e-6 relative target.
import { vtanh } from './vexp';
import { exp, log } from './compact_math';
import { ACT_NONE, ACT_RELU, ACT_LEAKY_RELU, ACT_SIGMOID, ACT_TANH, ACT_EXP, ACT_SOFTPLUS, ACT_ELU, ACT_GELU } from '../format';
import { applyVectorActivation } from './vact_ext';

/** e^x - 1 with relative accuracy near 0, where exp(x) - 1 would cancel (used for x <= 0). */
function expm1(x: f64): f64 {
  // |x| < 1e-5: x + x^2/2 is off by x^2/6 < 2e-11 relative (written as a product so -0 stays -0);
  // above, the cancellation costs < 1e-11.
  return Math.abs(x) < 1e-5 ? x * (1.0 + 0.5 * x) : exp(x) - 1.0;
}

/** log(1 + e) for e in [0, 1]: the quotient e / (u - 1) undoes the rounding of u = 1 + e (Goldberg). */
function log1p(e: f64): f64 {
  const u = 1.0 + e;
  return u == 1.0 ? e : log(u) * (e / (u - 1.0));
}

function softplus(x: f64): f64 {
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
  return (x > 0 ? x : 0.0) + log1p(exp(-Math.abs(x)));
}

function tanh(x: f64): f64 {
  // tanh |x| = -m / (2 + m) with m = e^(-2|x|) - 1 in (-1, 0]: no overflow, relative accuracy near 0.
  const m = expm1(-2.0 * Math.abs(x));
  return copysign<f64>(-m / (2.0 + m), x);
}

export function activate(x: f32, act: u32, alpha: f32): f32 {
  switch (act) {
    case ACT_RELU: return x < 0 ? 0 : x; // NaN stays NaN, as in the conv kernels' fused relu (f32x4.pmax)
    case ACT_LEAKY_RELU: return x > 0 ? x : x * alpha;
    case ACT_TANH: return <f32>tanh(x);
    case ACT_EXP: return <f32>exp(x);
    case ACT_SOFTPLUS: return <f32>softplus(x);
    case ACT_ELU: return x > 0 ? x : <f32>(<f64>alpha * expm1(x));
    default: return x;
  }
}

/** out[i] = act(a[i]) for `count` floats; `out` may equal `a`. */
export function applyActivation(a: usize, out: usize, count: u32, act: u32, alpha: f32): void {
  if (act == ACT_NONE) {
    if (a != out) memory.copy(out, a, <usize>count << 2);
    return;
  }
  if (act >= ACT_GELU || act == ACT_SIGMOID) { // kernels/vact_ext.ts
    applyVectorActivation(a, out, count, act, alpha);
    return;
  }
  let i: u32 = 0;
  if (act == ACT_RELU || act == ACT_LEAKY_RELU) {
    const zero = f32x4.splat(0);
    const slope = f32x4.splat(alpha);
    const leaky = act == ACT_LEAKY_RELU;
    for (; i + 4 <= count; i += 4) {
      const p = <usize>i << 2;
      const v = v128.load(a + p);
      // relu as pmax(v, 0) = v < 0 ? 0 : v keeps NaN, like the fused relu of the conv kernels
      v128.store(out + p, leaky ? v128.bitselect(v, f32x4.mul(v, slope), f32x4.gt(v, zero)) : f32x4.pmax(v, zero));
    }
  }
  if (act == ACT_TANH) {
    for (; i + 4 <= count; i += 4) {
      const p = <usize>i << 2;
      v128.store(out + p, vtanh(v128.load(a + p)));
    }
  }
  for (; i < count; i++) {
    const p = <usize>i << 2;
    store<f32>(out + p, activate(load<f32>(a + p), act, alpha));
  }
}
