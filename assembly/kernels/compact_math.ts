// Small f64 exp, log and sin/cos of a full turn, replacing AssemblyScript's libm (about 4 KB of wasm)
// for the sampler and the scalar activations. Only +, -, *, /, sqrt, floor/nearest and bit moves are
// used, so reference/sampler.ts can repeat log and sinCos2Pi bit for bit in JavaScript.
// Accuracy (tests/kernels/sampler.test.ts): log and sin/cos within a few f64 ulp, exp within 3e-13 relative,
// far below the 6e-8 resolution of the f32 results.

const LN2: f64 = 0.6931471805599453;
const LOG2E: f64 = 1.4426950408889634;
const LN2_HI: f64 = 0.6931467056274414; // 20 mantissa bits: n * LN2_HI is exact for |n| < 2^32
const LN2_LO: f64 = 4.7493250390316726e-7; // ln 2 - LN2_HI
const SQRT2: f64 = 1.4142135623730951;
const TWO_PI: f64 = 6.283185307179586;

/**
 * e^x. Reduction x = n ln2 + r with |r| <= ln2/2, then the Taylor polynomial to r^10 (truncation
 * < 3e-13 relative, invisible after rounding to f32), evaluated in Estrin's order: short dependency
 * chains keep it as fast as the libm exp it replaced. x is clamped to [-700, 700] so 2^n stays a
 * normal double; callers round to f32, which overflows / flushes far inside that range. NaN stays NaN.
 */
export function exp(x: f64): f64 {
  x = min(max(x, -700.0), 700.0);
  const n = nearest(x * LOG2E);
  const r = x - n * LN2_HI - n * LN2_LO;
  const r2 = r * r;
  const r4 = r2 * r2;
  const low = 1.0 + r + r2 * (0.5 + r * (1.0 / 6.0));
  const mid = 1.0 / 24.0 + r * (1.0 / 120.0) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0));
  const high = 1.0 / 40320.0 + r * (1.0 / 362880.0) + r2 * (1.0 / 3628800.0);
  const p = low + r4 * (mid + r4 * high);
  return p * reinterpret<f64>(<u64>(<i64>n + 1023) << 52);
}

/**
 * ln x for a normal x > 0 (all callers: the sampler's (0, 1] uniforms and 1 + e with e in (0, 1]).
 * x = 2^k m with m in (sqrt(1/2), sqrt(2)], taken from the bits exactly; ln m = 2 atanh(s) with
 * s = (m - 1) / (m + 1), |s| < 0.1716, summed to s^19 (truncation < 3e-17 relative).
 */
export function log(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let k = <i32>(bits >>> 52) - 1023;
  let m = reinterpret<f64>((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
  if (m > SQRT2) {
    m *= 0.5;
    k++;
  }
  const s = (m - 1.0) / (m + 1.0);
  const z = s * s;
  let p = 2.0 / 19.0;
  p = p * z + 2.0 / 17.0;
  p = p * z + 2.0 / 15.0;
  p = p * z + 2.0 / 13.0;
  p = p * z + 2.0 / 11.0;
  p = p * z + 2.0 / 9.0;
  p = p * z + 2.0 / 7.0;
  p = p * z + 2.0 / 5.0;
  p = p * z + 2.0 / 3.0;
  return <f64>k * LN2 + (2.0 * s + s * z * p);
}

/** Outputs of sinCos2Pi (a wasm function returns one value). */
export let sin2PiResult: f64 = 0;
export let cos2PiResult: f64 = 0;

/**
 * sin and cos of 2 pi u for u in [0, 1). The reduction works on u itself and is exact: q = the nearest
 * quarter turn, f = u - q/4 in [-1/8, 1/8], so the polynomial sees x = 2 pi f in [-pi/4, pi/4] and no
 * multiple of pi is ever subtracted. sin x: Taylor to x^15 (truncation < 1e-16 relative); cos x = sqrt(1 - sin^2 x),
 * accurate there because cos x >= 0.7. The quarter turns then rotate (sin, cos).
 */
export function sinCos2Pi(u: f64): void {
  const q = floor(u * 4.0 + 0.5);
  const x = (u - q * 0.25) * TWO_PI;
  const z = x * x;
  let p = 1.0 / 1307674368000.0;
  p = 1.0 / 6227020800.0 - p * z;
  p = 1.0 / 39916800.0 - p * z;
  p = 1.0 / 362880.0 - p * z;
  p = 1.0 / 5040.0 - p * z;
  p = 1.0 / 120.0 - p * z;
  p = 1.0 / 6.0 - p * z;
  let s = x - x * z * p;
  let c = Math.sqrt(1.0 - s * s);
  const quarter = <i32>q;
  if (quarter & 1) {
    // +90 degrees: (sin, cos) -> (cos, -sin)
    const t = s;
    s = c;
    c = -t;
  }
  if (quarter & 2) {
    s = -s;
    c = -c;
  }
  sin2PiResult = s;
  cos2PiResult = c;
}
