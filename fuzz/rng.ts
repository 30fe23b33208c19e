// Small deterministic PRNG for the fuzzers: every case derives its own generator from (run seed, case
// index), so any single case can be replayed without running the ones before it.

/** mulberry32: fast, 32-bit state, good enough to pick mutations. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform u32. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 0x100000000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }
}

/** The seed of case `index` of a run seeded with `runSeed` (splitmix-style mixing, so neighbours differ). */
export function caseSeed(runSeed: number, index: number): number {
  let z = (Math.imul(runSeed >>> 0, 0x9e3779b1) + Math.imul(index >>> 0, 0x85ebca6b) + Math.floor(index / 0x100000000)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
