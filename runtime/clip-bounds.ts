// The clip activation's bounds live in the op's one alpha word as two IEEE binary16 values: min in bits
// 0..15, max in bits 16..31 (docs/format.md "Fused activation codes"). Browser-safe.

const word = new DataView(new ArrayBuffer(4));

export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** [min, max] of a clip activation from its alpha (the f32 value stored in word 6). */
export function clipBounds(alpha: number): [number, number] {
  word.setFloat32(0, alpha, true);
  const bits = word.getUint32(0, true);
  return [halfToNumber(bits & 0xffff), halfToNumber(bits >>> 16)];
}

/** The alpha (an f32 value) whose bits hold the two binary16 halves. */
export function clipAlpha(minHalfBits: number, maxHalfBits: number): number {
  word.setUint32(0, ((maxHalfBits & 0xffff) << 16 | (minHalfBits & 0xffff)) >>> 0, true);
  return word.getFloat32(0, true);
}
