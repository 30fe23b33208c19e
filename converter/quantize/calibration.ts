// Activation ranges for int8 quantization: runs the float model on calibration samples in the interpreter
// and records, per tensor read or written and per op result before its fused activation, either the
// min/max or the 0.01% / 99.99% percentiles of all values seen.
import type { EditableModel } from './editable-model.js';
import { Interpreter, type Values } from './interpreter.js';

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
  constructor(private readonly stride: number, private readonly keep: boolean) {}
  add(v: Values): void {
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
  }
  range(method: CalibMethod): Range {
    if (method === 'minmax' || this.kept.length === 0) return { min: this.min, max: this.max };
    const all = new Float32Array(this.kept.reduce((s, k) => s + k.length, 0));
    let o = 0;
    for (const k of this.kept) { all.set(k, o); o += k.length; }
    all.sort();
    const at = (q: number) => all[Math.min(all.length - 1, Math.max(0, Math.round(q * (all.length - 1))))]!;
    return { min: at(1 - PERCENTILE), max: at(PERCENTILE) };
  }
}

export function calibrate(m: EditableModel, kind: number, samples: Float32Array[], method: CalibMethod): Calibration {
  if (samples.length === 0) throw new Error('calibration needs at least one sample');
  const interp = new Interpreter(m);
  const tensors = new Map<number, Collector>();
  const pre = new Map<number, Collector>();
  const collector = (map: Map<number, Collector>, key: number, size: number) => {
    let c = map.get(key);
    if (!c) {
      const stride = Math.max(1, Math.ceil((size * samples.length) / KEEP_PER_TENSOR));
      c = new Collector(stride, method === 'percentile');
      map.set(key, c);
    }
    return c;
  };
  for (const s of samples) {
    interp.run(kind, s, (op, role, t, v) => {
      if (v instanceof Int8Array) return; // already quantized values carry their own parameters
      if (role === 'pre') collector(pre, op, v.length).add(v);
      else collector(tensors, t, v.length).add(v);
    });
  }
  const ranges = (map: Map<number, Collector>) => new Map([...map].map(([k, c]) => [k, c.range(method)]));
  return { method, samples: samples.length, tensors: ranges(tensors), preActivation: ranges(pre) };
}
