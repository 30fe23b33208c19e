// Seeded pseudo-random numbers whose whole state is two plain numbers, so a checkpoint can store it
// and a resumed run draws exactly the numbers the uninterrupted run would have drawn.
// splitmix32 expands the seed; xoshiro128** produces the stream (both written from their published definitions).

export interface RngState {
  s: [number, number, number, number];
  /** Cached second normal from Box-Muller, or null. */
  spare: number | null;
}

/** splitmix32: a stream of well-mixed 32-bit words from one seed (used to fill xoshiro's state). */
export function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** xoshiro128**'s four-word state from a seed: four splitmix32 words, never all zero. */
export function xoshiroState(seed: number): Uint32Array {
  const next = splitmix32(seed);
  const s = new Uint32Array([next(), next(), next(), next()]);
  if (s.every((v) => v === 0)) s[0] = 1;
  return s;
}

export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.s = xoshiroState(Math.floor(seed));
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    if (!Array.isArray(state.s) || state.s.length !== 4) throw new Error('Rng: malformed state');
    r.s = new Uint32Array(state.s);
    r.spare = state.spare;
    return r;
  }

  state(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  /** Uniform 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    return xoshiro128ss(this.s);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal via Box-Muller (pairs; the second value is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }
}

/** One xoshiro128** step: returns the next word and advances the four-word state in place. */
export function xoshiro128ss(s: Uint32Array): number {
  const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
  const t = (s[1]! << 9) >>> 0;
  s[2]! ^= s[0]!;
  s[3]! ^= s[1]!;
  s[1]! ^= s[2]!;
  s[0]! ^= s[3]!;
  s[2]! ^= t;
  s[3] = rotl(s[3]!, 11);
  return result;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Fisher-Yates permutation of 0..n-1 driven by a fresh generator seeded from `seed`. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}
