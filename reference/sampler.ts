// Seeded N(0, t^2) latents, bit-identical to the runtime's sampleNormal (docs/format.md "Sampler"), so
// calibration and parity latents can be reproduced with `edgevae sample --seed`.
import { compactLog, sinCos2Pi } from './compact-math.js';

export function sampleNormal(count: number, seed: number, temperature = 1): Float32Array {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = new Uint32Array([split(), split(), split(), split()]);
  if (s[0] === 0 && s[1] === 0 && s[2] === 0 && s[3] === 0) s[0] = 1;
  const rotl = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!; s[2]! ^= t; s[3] = rotl(s[3]!, 11);
    return result;
  };
  const uniform = () => { const a = next(), b = next(); return ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992; };
  const t32 = Math.fround(temperature); // the runtime receives temperature as an f32
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - uniform(), u2 = uniform();
    const r = Math.sqrt(-2 * compactLog(u1)) * t32;
    const [sin, cos] = sinCos2Pi(u2);
    out[i] = r * cos;
    if (i + 1 < count) out[i + 1] = r * sin;
  }
  return out;
}

/** n latent vectors of size L from one seeded stream. */
export function latentBatch(n: number, L: number, seed: number): Float32Array[] {
  const all = sampleNormal(n * L, seed);
  return Array.from({ length: n }, (_, i) => all.slice(i * L, (i + 1) * L));
}
