// Float64 erf and GELU: `erf` / `gelu` for the kernel tests (accurate reference), `geluApprox` for the
// interpreter (the runtime's formula, fast). erf: the Taylor series
// below |x| = 2.5 (a few ulp after the cancellation there) and Laplace's continued fraction of erfc beyond.
// Accuracy about 1e-14 absolute (tests/kernels/activation-ext.test.ts checks known values).

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

/**
 * GELU as the runtime computes it (assembly/kernels/vact_ext.ts), in f64: 1 + erf(z) from Abramowitz & Stegun
 * 7.1.26, erfc(|z|) = t P(t) e^-z^2 with t = 1 / (1 + 0.3275911 |z|), absolute error <= 1.5e-7. A few
 * operations per value, for the interpreter, which runs every calibration sample through the model.
 */
export function geluApprox(x: number): number {
  const z = x * Math.SQRT1_2;
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const erfc = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * x * (z >= 0 ? 2 - erfc : erfc);
}
