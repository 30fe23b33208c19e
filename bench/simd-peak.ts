// The machine's WebAssembly SIMD peak on one thread: compiles bench/simd-peak.as.ts into
// build/simd-peak.wasm (when missing or older than the source) and times its two micro-kernels.
// Run alone: `tsx bench/simd-peak.ts`.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(here, 'simd-peak.as.ts');
const OUTPUT = join(here, '..', 'build', 'simd-peak.wasm');

/** MACs per loop iteration of each kernel (see simd-peak.as.ts). */
const MACS_PER_ITERATION = { f32MulAdd: 32, int8Dot: 64 } as const;

export interface SimdPeak {
  /** f32x4.mul + f32x4.add, 8 accumulators */
  f32Gmacs: number;
  /** i32x4.dot_i16x8_s + i32x4.add on i16 operands (activations pre-widened, as in the kernels), 8 accumulators */
  int8Gmacs: number;
}

export async function buildSimdPeakModule(): Promise<Uint8Array<ArrayBuffer>> {
  if (!existsSync(OUTPUT) || statSync(OUTPUT).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(dirname(OUTPUT), { recursive: true });
    const { default: asc } = await import('assemblyscript/asc');
    const result = await asc.main([SOURCE, '--outFile', OUTPUT, '-O3', '--enable', 'simd', '--runtime', 'stub', '--use', 'abort=', '--noAssert'], {});
    if (result.error) throw new Error(`could not compile ${SOURCE}: ${result.error.message}\n${result.stderr.toString()}`);
  }
  return new Uint8Array(readFileSync(OUTPUT));
}

/** Best rate of each kernel over about `ms` milliseconds of ~1 ms runs. */
export async function measureSimdPeak(ms = 200): Promise<SimdPeak> {
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(await buildSimdPeakModule()), {});
  const k = instance.exports as { fill(): void; f32MulAdd(n: number): number; int8Dot(n: number): number };
  k.fill();
  const rate = (name: keyof typeof MACS_PER_ITERATION): number => {
    const run = (n: number) => k[name](n);
    // Many ~1 ms runs, best one wins: a short run is rarely preempted, so a busy machine (other
    // processes on the same cores) lowers the peak much less than with one long run.
    let n = 1 << 12;
    for (;;) {
      const t0 = performance.now();
      run(n);
      if (performance.now() - t0 > 1 || n > 1 << 30) break;
      n *= 2;
    }
    let best = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t0 = performance.now();
      run(n);
      const seconds = (performance.now() - t0) / 1000;
      best = Math.max(best, (n * MACS_PER_ITERATION[name]) / seconds / 1e9);
    }
    return best;
  };
  return { f32Gmacs: rate('f32MulAdd'), int8Gmacs: rate('int8Dot') };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const peak = await measureSimdPeak(400);
  console.log(`WebAssembly SIMD peak, one thread: f32 mul+add ${peak.f32Gmacs.toFixed(1)} GMAC/s, int8 dot ${peak.int8Gmacs.toFixed(1)} GMAC/s`);
}
