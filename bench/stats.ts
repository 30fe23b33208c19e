// Timing statistics and the measuring loop shared by every engine.

export interface Timing {
  /** per-call wall-clock milliseconds */
  median: number;
  p90: number;
  mean: number;
  samples: number;
  /**
   * per-call CPU time of this process (user + system, ms): immune to being preempted by other processes,
   * so it stays meaningful on a busy machine for single-threaded engines
   */
  cpuMedian?: number;
  cpuP90?: number;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('percentile of an empty list');
  // nearest-rank on the sorted list: small sample counts stay honest (no interpolation between calls)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(times: readonly number[], cpuTimes?: readonly number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const timing: Timing = {
    median: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    samples: times.length,
  };
  if (cpuTimes) {
    const cpu = [...cpuTimes].sort((a, b) => a - b);
    timing.cpuMedian = percentile(cpu, 0.5);
    timing.cpuP90 = percentile(cpu, 0.9);
  }
  return timing;
}

export interface MeasureBudget {
  /** warm-up time before measuring (ms); at least 3 calls */
  warmupMs: number;
  /** measuring time (ms); at least minSamples calls, at most maxSamples */
  measureMs: number;
  minSamples: number;
  maxSamples: number;
}

/**
 * Times `call` one call at a time after a warm-up and returns the per-call statistics. Slow calls shorten
 * both phases (one warm-up call when it alone exceeds the warm-up time, 3 samples when a call exceeds a
 * third of the measuring time), so big models at batch 64 stay within the bench's time budget.
 */
export async function measure(call: () => unknown, budget: MeasureBudget): Promise<Timing> {
  const warmStart = performance.now();
  await call();
  for (let i = 1; i < 3 && performance.now() - warmStart < budget.warmupMs; i++) await call();
  while (performance.now() - warmStart < budget.warmupMs) await call();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const start = performance.now();
  for (;;) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1000);
    const minSamples = times[0]! > budget.measureMs / 3 ? Math.min(3, budget.minSamples) : budget.minSamples;
    if (times.length >= budget.maxSamples) break;
    if (times.length >= minSamples && performance.now() - start >= budget.measureMs) break;
  }
  return summarize(times, cpuTimes);
}

/** Deterministic inputs: uniform [0, 1) images for encoders, N(0, 1) latents for decoders (mulberry32). */
export function seededInput(kind: 'image' | 'latent', count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (kind === 'image') out[i] = next();
    else out[i] = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/** Largest |a - b| relative to max(1, largest |b|). */
export function relativeMaxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0, scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff / scale;
}

/**
 * An encoder whose ONNX graph has one output [N, 2L] comes out of edgevae as mu and logvar [N, L] each:
 * put the rows back side by side so they compare with the ONNX output.
 */
export function matchOutputs(got: Float32Array[], expectedCount: number, batch: number): Float32Array[] {
  if (!(got.length === 2 && expectedCount === 1)) return got;
  const [mu, logvar] = got as [Float32Array, Float32Array];
  const L = mu.length / batch;
  const out = new Float32Array(2 * mu.length);
  for (let n = 0; n < batch; n++) {
    out.set(mu.subarray(n * L, (n + 1) * L), 2 * n * L);
    out.set(logvar.subarray(n * L, (n + 1) * L), (2 * n + 1) * L);
  }
  return [out];
}
