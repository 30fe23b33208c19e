// Activation ranges for int8 quantization: runs the float model on calibration samples in the interpreter
// and records, per tensor read or written and per op result before its fused activation, either the
// min/max or the 0.01% / 99.99% percentiles of all values seen.
import type { EditableModel } from './editable-model.js';
import { Interpreter, type Values } from '../../reference/interpreter.js';

export type CalibMethod = 'minmax' | 'percentile';
export interface Range { min: number; max: number }

export interface Calibration {
  method: CalibMethod;
  samples: number;
  /** per activation tensor index (values read or written) */
  tensors: Map<number, Range>;
  /** per op index within the entry: result before the fused activation */
  preActivation: Map<number, Range>;
}

export const PERCENTILE = 0.9999;
/** At most this many values per tensor are kept for percentiles (evenly strided within each sample). */
const KEEP_PER_TENSOR = 1 << 21;

class Collector {
  min = Infinity;
  max = -Infinity;
  kept: Float32Array[] = [];
  /** how many times each kept chunk counts (an observer may see the same values several times per sample) */
  times: number[] = [];
  constructor(private readonly stride: number, private readonly keep: boolean) {}
  add(v: Values, times = 1): void {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    }
    if (!this.keep) return;
    const n = Math.ceil(v.length / this.stride);
    const k = new Float32Array(n);
    for (let i = 0, j = 0; i < v.length; i += this.stride, j++) k[j] = v[i]!;
    this.kept.push(k);
    this.times.push(times);
  }
  range(method: CalibMethod): Range {
    if (method === 'minmax' || this.kept.length === 0) return { min: this.min, max: this.max };
    // Every chunk repeated `times` times, sorted: with one repeat count r for all chunks, index j of that
    // array is index floor(j / r) of the chunks sorted once.
    const r = this.times.every((t) => t === this.times[0]) ? this.times[0]! : 1;
    const chunks = r === 1 ? this.kept.flatMap((k, i) => new Array<Float32Array>(this.times[i]!).fill(k)) : this.kept;
    const all = new Float32Array(chunks.reduce((s, k) => s + k.length, 0));
    let o = 0;
    for (const k of chunks) { all.set(k, o); o += k.length; }
    const [min, max] = sortedAt(all, percentileRanks(all.length, r)) as [number, number];
    return { min, max };
  }
}

/** Indices of the low and high percentile in n sorted values that each count r times (as indices into the n). */
export function percentileRanks(n: number, r: number): [number, number] {
  const total = n * r;
  const index = (q: number) => Math.floor(Math.min(total - 1, Math.max(0, Math.round(q * (total - 1)))) / r);
  return [index(1 - PERCENTILE), index(PERCENTILE)];
}

/** Every how many values of one sample a percentile keeps, for a tensor of `size` values and `samples` samples. */
export const keepStride = (size: number, samples: number): number => Math.max(1, Math.ceil((size * samples) / KEEP_PER_TENSOR));

/** Collects what calibration observes (per tensor, and per op before its fused activation) into ranges. */
export class RangeCollector {
  private readonly tensors = new Map<number, Collector>();
  private readonly pre = new Map<number, Collector>();
  constructor(private readonly samples: number, private readonly method: CalibMethod) {}

  private collector(map: Map<number, Collector>, key: number, size: number): Collector {
    let c = map.get(key);
    if (!c) {
      c = new Collector(keepStride(size, this.samples), this.method === 'percentile');
      map.set(key, c);
    }
    return c;
  }

  /** The interpreter's Observer signature: values of one sample (seen `times` times). */
  observe(op: number, role: 'in' | 'pre' | 'out', t: number, v: Values, times = 1): void {
    if (v instanceof Int8Array) return; // already quantized values carry their own parameters
    if (role === 'pre') this.collector(this.pre, op, v.length).add(v, times);
    else this.collector(this.tensors, t, v.length).add(v, times);
  }

  result(): Calibration {
    const ranges = (map: Map<number, Collector>) => new Map([...map].map(([k, c]) => [k, c.range(this.method)]));
    return { method: this.method, samples: this.samples, tensors: ranges(this.tensors), preActivation: ranges(this.pre) };
  }
}

/** Calibration through the TypeScript interpreter, one sample at a time (the reference; see calibration-wasm.ts). */
export function calibrate(m: EditableModel, kind: number, samples: Float32Array[], method: CalibMethod): Calibration {
  if (samples.length === 0) throw new Error('calibration needs at least one sample');
  const interp = new Interpreter(m);
  const collect = new RangeCollector(samples.length, method);
  for (const s of samples) interp.run(kind, s, (op, role, t, v) => collect.observe(op, role, t, v));
  return collect.result();
}

/** Order-preserving unsigned key of a float's bits: negatives reversed below positives, -0 below +0, NaN last. */
const sortKey = (x: number, u: number): number => (x !== x ? 0xffffffff : u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0);

/**
 * The values at indices `ks` of `v` sorted ascending as Float32Array.prototype.sort orders it (NaN last,
 * -0 before +0): a radix select on the float bits, two linear passes for all indices together.
 */
export function sortedAt(v: Float32Array, ks: readonly number[]): number[] {
  const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const hist = new Uint32Array(65536);
  for (let i = 0; i < v.length; i++) hist[sortKey(v[i]!, bits[i]!) >>> 16]!++;
  const targets = ks.map((k) => {
    let high = 0;
    for (let seen = 0; ; high++) { if (seen + hist[high]! > k) return { high, rest: k - seen, low: new Uint32Array(65536) }; seen += hist[high]!; }
  });
  for (let i = 0; i < v.length; i++) {
    const key = sortKey(v[i]!, bits[i]!);
    for (const t of targets) if (key >>> 16 === t.high) t.low[key & 0xffff]!++;
  }
  const out = new Uint32Array(1);
  const asFloat = new Float32Array(out.buffer);
  return targets.map((t) => {
    let low = 0;
    for (let seen = 0; ; low++) { if (seen + t.low[low]! > t.rest) break; seen += t.low[low]!; }
    const key = ((t.high << 16) | low) >>> 0;
    out[0] = key & 0x80000000 ? key ^ 0x80000000 : ~key >>> 0;
    return asFloat[0]!;
  });
}
