// Streaming selection of the few smallest and few largest values of a stream: what a percentile near either
// end needs. Each end keeps a buffer of about 2k candidates and a threshold (the k-th value so far); almost
// every value fails one comparison per end, so a pass costs about what a min/max costs. Values are ordered as
// Float32Array.prototype.sort orders them (NaN last), so the value at a rank is the one a full sort would put
// there (up to the sign of a zero).

/** One end: a candidate buffer and, once cut to k values, the k-th of them as threshold. */
class End {
  readonly buf: Float32Array;
  len = 0;
  /** NaN until the first cut: every comparison with it fails, so every value reaches `admits` */
  threshold = NaN;
  cut = false;
  constructor(readonly k: number, readonly largest: boolean) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`tail selection: k must be a positive integer, got ${k}`);
    this.buf = new Float32Array(2 * k + 1024);
  }

  /**
   * Whether x belongs among the k kept values. A value equal to the threshold changes no rank's value and is
   * dropped; so is a -0 equal to a +0 threshold (and the reverse): a range end can come out as the other zero.
   */
  admits(x: number): boolean {
    if (!this.cut) return true;
    const t = this.threshold;
    return this.largest ? x > t || (x !== x && t === t) : x < t;
  }

  push(x: number): void {
    if (this.len === this.buf.length) this.compact();
    this.buf[this.len++] = x;
  }

  /** Sorts the candidates and keeps the k that matter; the k-th becomes the threshold. */
  compact(): void {
    const k = this.k;
    this.buf.subarray(0, this.len).sort();
    if (this.len <= k) return;
    if (this.largest) this.buf.copyWithin(0, this.len - k, this.len);
    this.len = k;
    const t = this.largest ? this.buf[0]! : this.buf[k - 1]!;
    // A NaN k-th smallest: a later number would still displace it, so keep admitting everything.
    if (this.largest || t === t) { this.cut = true; this.threshold = t; }
  }
}

/** The kLow smallest and kHigh largest values of everything added. */
export class Tails {
  private readonly low: End;
  private readonly high: End;
  private count = 0;
  constructor(kLow: number, kHigh: number) {
    this.low = new End(kLow, false);
    this.high = new End(kHigh, true);
  }

  /** Adds v[0], v[stride], v[2 * stride], ... (every value when stride is 1). */
  add(v: Float32Array, stride: number): void {
    const low = this.low, high = this.high;
    let i = 0;
    for (; i < v.length && !(low.cut && high.cut); i += stride) { // until both ends have a threshold
      const x = v[i]!;
      if (low.admits(x)) low.push(x);
      if (high.admits(x)) high.push(x);
    }
    // End.admits, inline: a value below the low threshold; above the high one, or NaN (its test fails either way).
    let lt = low.threshold, ht = high.threshold;
    for (; i < v.length; i += stride) {
      const x = v[i]!;
      if (x < lt) { low.push(x); lt = low.threshold; }
      if (!(x <= ht) && high.admits(x)) { high.push(x); ht = high.threshold; }
    }
    this.count += Math.ceil(v.length / stride);
  }

  /** The value at ascending index `rank` of everything added; rank < kLow, or rank >= (values added) - kHigh. */
  at(rank: number): number {
    const end = rank < this.low.k ? this.low : this.high;
    end.compact();
    const i = end.largest ? rank - (this.count - end.len) : rank;
    if (!(i >= 0 && i < end.len)) throw new Error(`tail selection: rank ${rank} of ${this.count} is outside the values kept`);
    return end.buf[i]!;
  }
}
