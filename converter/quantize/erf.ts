// Float64 erf for the TypeScript twins (the interpreter's GELU) and the kernel tests: the Taylor series
// below |x| = 2.5 (a few ulp after the cancellation there) and Laplace's continued fraction of erfc beyond.
// Accuracy about 1e-14 absolute (tests/kernels/activation.test.ts checks known values).

const TWO_OVER_SQRT_PI = 1.1283791670955126;

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80 && Math.abs(term) > 1e-18; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  return Math.sign(x) * (1 - erfcLarge(ax));
}

/** erfc(x) for x >= 2.5: e^-x^2 / (sqrt(pi) K), K = x + (1/2)/(x + 1/(x + (3/2)/(x + ...))) evaluated bottom-up. */
function erfcLarge(x: number): number {
  let k = x;
  for (let n = 120; n >= 1; n--) k = x + n / 2 / k;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * k);
}

/** GELU with the exact erf: x * Phi(x); for x < 0 via erfc, so the tail keeps its relative accuracy. */
export function gelu(x: number): number {
  const z = x / Math.SQRT2;
  const onePlusErf = z < -2.5 ? erfcLarge(-z) : 1 + erf(z);
  return 0.5 * x * onePlusErf;
}
