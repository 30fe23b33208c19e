// The range of one tensor that calibration observes exactly once per sample: the same min/max or percentile
// values as calibration.ts's Collector gives (the same strided values, the same ranks), but the number of
// values is known in advance, so the percentiles come from streaming tail selections instead of keeping every
// value and sorting at the end. One pass answers every observation weight the tensor is asked for (a tensor
// read by two ops and written by one counts 3 times; an op's pre-activation result may be that same tensor).
import { keepStride, percentileRanks, type CalibMethod, type Range } from './calibration.js';
import { Tails } from './tail-select.js';

export class StreamRange {
  private min = Infinity;
  private max = -Infinity;
  private readonly stride: number;
  /** strided values over all samples */
  private readonly n: number;
  private readonly tails?: Tails;
  private seen = 0;

  constructor(private readonly size: number, private readonly samples: number, method: CalibMethod, weights: readonly number[]) {
    this.stride = keepStride(size, samples);
    this.n = samples * Math.ceil(size / this.stride);
    if (method !== 'percentile' || this.n === 0) return;
    let lowK = 1, highK = 1;
    for (const w of weights) {
      const [lo, hi] = percentileRanks(this.n, w);
      lowK = Math.max(lowK, lo + 1);
      highK = Math.max(highK, this.n - hi);
    }
    this.tails = new Tails(lowK, highK);
  }

  /** The values of `count` consecutive samples, `size` each. */
  add(v: Float32Array, count: number): void {
    if (v.length !== count * this.size) throw new Error(`calibration: ${v.length} values for ${count} samples of ${this.size}`);
    this.seen += count;
    if (!this.tails) {
      let min = this.min, max = this.max;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      this.min = min;
      this.max = max;
      return;
    }
    if (this.stride === 1) this.tails.add(v, 1);
    else for (let s = 0; s < count; s++) this.tails.add(v.subarray(s * this.size, (s + 1) * this.size), this.stride); // strided within each sample
  }

  /** The range with every value counted `weight` times (one of the weights given at construction). */
  range(weight: number): Range {
    if (this.seen !== this.samples) throw new Error(`calibration: a tensor was observed for ${this.seen} of ${this.samples} samples`);
    if (!this.tails) return { min: this.min, max: this.max };
    const [lo, hi] = percentileRanks(this.n, weight);
    return { min: this.tails.at(lo), max: this.tails.at(hi) };
  }
}
