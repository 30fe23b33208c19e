// BINARY: out[i] = a[i] op b[i mod L] on one sample of `count` floats (L divides count); op prelu is
// a[i] > 0 ? a[i] : a[i] * b[i mod L] (per-channel slopes).
import { BINARY_ADD, BINARY_SUB, BINARY_MUL, BINARY_DIV } from '../format';

@inline function apply4(x: v128, y: v128, kind: u32): v128 {
  if (kind == BINARY_ADD) return f32x4.add(x, y);
  if (kind == BINARY_SUB) return f32x4.sub(x, y);
  if (kind == BINARY_MUL) return f32x4.mul(x, y);
  if (kind == BINARY_DIV) return f32x4.div(x, y);
  return v128.bitselect(x, f32x4.mul(x, y), f32x4.gt(x, f32x4.splat(0))); // prelu: slope y below 0
}

@inline function apply1(x: f32, y: f32, kind: u32): f32 {
  if (kind == BINARY_ADD) return x + y;
  if (kind == BINARY_SUB) return x - y;
  if (kind == BINARY_MUL) return x * y;
  if (kind == BINARY_DIV) return x / y;
  return x > 0 ? x : x * y;
}

export function binary(a: usize, b: usize, out: usize, count: u32, period: u32, kind: u32): void {
  const rowBytes = <usize>period << 2;
  const vecBytes = rowBytes & ~(<usize>15);
  const end = a + (<usize>count << 2);
  for (; a < end; a += rowBytes, out += rowBytes) {
    let i: usize = 0;
    for (; i < vecBytes; i += 16) v128.store(out + i, apply4(v128.load(a + i), v128.load(b + i), kind));
    for (; i < rowBytes; i += 4) store<f32>(out + i, apply1(load<f32>(a + i), load<f32>(b + i), kind));
  }
}
