// Deterministic Gaussian samples (docs/format.md "Sampler"): xoshiro128** seeded by splitmix32,
// 53-bit uniforms, Box-Muller in f64 with the module's own log and sin/cos (compact_math.ts), so the
// values are bit-identical on every engine and in the JavaScript twin (reference/sampler.ts).
import { log, sinCos2Pi, sin2PiResult, cos2PiResult } from './compact_math';

let s0: u32 = 0, s1: u32 = 0, s2: u32 = 0, s3: u32 = 0;
let mix: u32 = 0;

function splitmix32(): u32 {
  mix += 0x9e3779b9;
  let z = mix;
  z = (z ^ (z >>> 16)) * 0x85ebca6b;
  z = (z ^ (z >>> 13)) * 0xc2b2ae35;
  return z ^ (z >>> 16);
}

export function seedState(seed: u32): void {
  mix = seed;
  s0 = splitmix32(); s1 = splitmix32(); s2 = splitmix32(); s3 = splitmix32();
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1; // the all-zero state is a fixed point
}

function next(): u32 {
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return result;
}

/** Uniform in [0, 1) with 53 random bits (27 from one draw, 26 from the next). */
export function uniform(): f64 {
  const hi = <f64>(next() >>> 5);
  const lo = <f64>(next() >>> 6);
  return (hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0);
}

export function sampleNormal(ptr: usize, count: u32, seed: u32, temperature: f32): void {
  seedState(seed);
  const t = <f64>temperature;
  for (let i: u32 = 0; i < count; i += 2) {
    const u1 = 1.0 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    const r = Math.sqrt(-2.0 * log(u1)) * t;
    sinCos2Pi(u2);
    store<f32>(ptr + (<usize>i << 2), <f32>(r * cos2PiResult));
    if (i + 1 < count) store<f32>(ptr + (<usize>i << 2), <f32>(r * sin2PiResult), 4);
  }
}
