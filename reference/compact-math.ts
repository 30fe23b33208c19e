// JavaScript twin of the runtime's log and sinCos2Pi (assembly/kernels/compact_math.ts), operation for
// operation: +, -, *, /, sqrt, floor and exact bit moves give the same doubles as wasm f64, which
// Math.log/sin/cos would not. Used by the sampler twin (sampler.ts); accuracy in tests/kernels/sampler.test.ts.

const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;
const TWO_PI = 6.283185307179586;

const bitsView = new DataView(new ArrayBuffer(8));

/** ln x for a normal x > 0: x = 2^k m, m in (sqrt(1/2), sqrt(2)], ln m = 2 atanh((m - 1) / (m + 1)) to s^19. */
export function compactLog(x: number): number {
  bitsView.setFloat64(0, x);
  const hi = bitsView.getUint32(0);
  let k = (hi >>> 20) - 1023; // x > 0: no sign bit
  bitsView.setUint32(0, (hi & 0x000fffff) | 0x3ff00000);
  let m = bitsView.getFloat64(0);
  if (m > SQRT2) {
    m *= 0.5;
    k++;
  }
  const s = (m - 1) / (m + 1);
  const z = s * s;
  let p = 2 / 19;
  p = p * z + 2 / 17;
  p = p * z + 2 / 15;
  p = p * z + 2 / 13;
  p = p * z + 2 / 11;
  p = p * z + 2 / 9;
  p = p * z + 2 / 7;
  p = p * z + 2 / 5;
  p = p * z + 2 / 3;
  return k * LN2 + (2 * s + s * z * p);
}

/** [sin 2 pi u, cos 2 pi u] for u in [0, 1): exact quarter-turn reduction on u, Taylor sin to x^15, cos = sqrt(1 - sin^2). */
export function sinCos2Pi(u: number): [number, number] {
  const q = Math.floor(u * 4 + 0.5);
  const x = (u - q * 0.25) * TWO_PI;
  const z = x * x;
  let p = 1 / 1307674368000;
  p = 1 / 6227020800 - p * z;
  p = 1 / 39916800 - p * z;
  p = 1 / 362880 - p * z;
  p = 1 / 5040 - p * z;
  p = 1 / 120 - p * z;
  p = 1 / 6 - p * z;
  let s = x - x * z * p;
  let c = Math.sqrt(1 - s * s);
  if (q & 1) [s, c] = [c, -s]; // +90 degrees
  if (q & 2) [s, c] = [-s, -c]; // +180 degrees
  return [s, c];
}
