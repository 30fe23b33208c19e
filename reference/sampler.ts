// Seeded N(0, t^2) latents, bit-identical to the runtime's sampleNormal (docs/format.md "Sampler"), so
// calibration and parity latents can be reproduced with `edgevae sample --seed`. The twin of assembly/kernels/sampler.ts:
// the same xoshiro128** stream (reference/random.ts, which the trainer's generator uses too).
import { compactLog, sinCos2Pi } from './compact-math.js';
import { xoshiro128ss, xoshiroState } from './random.js';

export function sampleNormal(count: number, seed: number, temperature = 1): Float32Array {
  const s = xoshiroState(seed);
  const next = () => xoshiro128ss(s);
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
