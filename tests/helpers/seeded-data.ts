// Deterministic test inputs: the same seed gives the same floats on every machine and engine.

/** mulberry32: a small 32-bit PRNG, uniform in [0, 1). */
export function seededUniform(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/** Standard normal values by Box-Muller over seededUniform. */
export function seededNormal(count: number, seed: number): Float32Array {
  const u = seededUniform(2 * count, seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const radius = Math.sqrt(-2 * Math.log(1 - u[2 * i])); // 1 - u is in (0, 1]: no log(0)
    out[i] = radius * Math.cos(2 * Math.PI * u[2 * i + 1]);
  }
  return out;
}
