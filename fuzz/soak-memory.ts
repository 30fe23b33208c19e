// Memory measurement shared by the soaks (fuzz/soak.ts, soak-sequences.ts, soak-pool.ts): a forced full GC, then
// the JS heap, array buffers, RSS and a wasm linear memory size; plus the one-line "before -> after" summary and
// the bit-for-bit probe comparison every soak repeats.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemorySnapshot { heapUsed: number; arrayBuffers: number; rss: number; wasm: number }

/** A forced full GC: `--expose-gc` enabled at runtime, so plain `tsx` and vitest work too. */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Process memory after a full GC; `wasmBytes` is the linear memory of the runtime instance(s) being soaked. */
export function snapshot(wasmBytes: number): MemorySnapshot {
  collectGarbage();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss, wasm: wasmBytes };
}

export function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MB`;
}

/** "wasm memory a -> b; JS heap a -> b; array buffers a -> b; RSS a -> b" */
export function memoryLine(before: MemorySnapshot, after: MemorySnapshot, wasmLabel = 'wasm memory'): string {
  const delta = (k: keyof MemorySnapshot) => `${mb(before[k])} -> ${mb(after[k])}`;
  return `${wasmLabel} ${delta('wasm')}; JS heap ${delta('heapUsed')}; array buffers ${delta('arrayBuffers')}; RSS ${delta('rss')}`;
}

/** Throws unless `got` has exactly the bits of `expected` (Object.is: -0 and NaN payload-free compare as written). */
export function assertSameBits(what: string, expected: ArrayLike<number>, got: ArrayLike<number>): void {
  if (got.length !== expected.length) throw new Error(`${what}: ${got.length} values, expected ${expected.length}`);
  for (let k = 0; k < got.length; k++) {
    if (!Object.is(got[k], expected[k])) throw new Error(`${what}: value ${k} changed: ${expected[k]} -> ${got[k]}`);
  }
}

/** The soaks' pass rule: the wasm memory did not change and the JS heap grew by less than `heapSlack` bytes. */
export function memoryGrew(before: MemorySnapshot, after: MemorySnapshot, heapSlack = 4 * 2 ** 20): boolean {
  return after.wasm !== before.wasm || after.heapUsed - before.heapUsed > heapSlack;
}

/** `--flag value` pairs into a map, with a one-line error for a dangling flag. */
export function flagPairs(argv: string[], tool: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (!flag.startsWith('--') || value === undefined) throw new Error(`${tool}: expected --flag value pairs, got "${flag}"`);
    flags.set(flag, value);
  }
  return flags;
}
