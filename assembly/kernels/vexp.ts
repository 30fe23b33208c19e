// exp on four f32 lanes for arguments <= 0 (all the sigmoid/tanh kernels need): Cody-Waite range
// reduction x = n*ln2 + r, |r| <= ln2/2, then a degree-7 Taylor polynomial (truncation < 6e-9
// relative) and scaling by 2^n through the exponent bits. Results below 2^-126 flush to 0.
// Measured error is a few f32 ulp (tests/kernels/activation.test.ts checks 1e-6 relative).

const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693359375; // exactly representable with few bits, so n*LN2_HI is exact
const LN2_LO: f32 = -2.12194440e-4;
const MIN_ARG: f32 = -87.3365447; // ln(2^-126)

export function vexpNonPositive(x: v128): v128 {
  const tiny = f32x4.lt(x, f32x4.splat(MIN_ARG));
  const xc = f32x4.pmax(x, f32x4.splat(MIN_ARG)); // x < MIN ? MIN : x (NaN stays NaN; one instruction, unlike max)
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.0 / 5040.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 720.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  // 2^n for n in [-126, 0]: exponent field n + 127.
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const y = f32x4.mul(p, scale);
  return v128.andnot(y, tiny);
}

/** sigmoid with exp only of -|x|: s = 1/(1+e), and e*s for negative x. */
@inline export function vsigmoid(x: v128): v128 {
  const e = vexpNonPositive(f32x4.neg(f32x4.abs(x)));
  const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(x, f32x4.splat(0)));
}

/**
 * tanh: odd Taylor polynomial to x^13 for |x| < 0.25 (truncation < 1e-10 relative), else
 * sign(x) * (1 - e) / (1 + e) with e = exp(-2|x|), whose cancellation costs at most ~2x the exp error there.
 */
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(21844.0 / 6081075.0);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-1382.0 / 155925.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(62.0 / 2835.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-17.0 / 315.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(2.0 / 15.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-1.0 / 3.0));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(x, x2), p));
  const e = vexpNonPositive(f32x4.mul(ax, f32x4.splat(-2.0)));
  const one = f32x4.splat(1.0);
  const large = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  const signed = v128.or(large, v128.and(x, f32x4.splat(-0.0)));
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.25)));
}
