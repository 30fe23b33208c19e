// Which input pixel feeds kernel tap (ky, kx) of an output pixel, for convolution and transposed
// convolution (gather form: each output pixel sums its own taps, so no output is written twice).
// Returns the input row/column, or -1 when the tap falls into padding or between strided inputs.

/** Conv: iy = oy*s - pad + k*d. */
@inline export function convSource(o: i32, k: i32, stride: i32, pad: i32, dil: i32, size: i32): i32 {
  const i = o * stride - pad + k * dil;
  return i >= 0 && i < size ? i : -1;
}

/** Transposed conv: oy = iy*s - pad + k*d, so iy = (oy + pad - k*d) / s when that divides exactly. */
@inline export function convTransposeSource(o: i32, k: i32, stride: i32, pad: i32, dil: i32, size: i32): i32 {
  const t = o + pad - k * dil;
  if (t < 0 || t % stride != 0) return -1;
  const i = t / stride;
  return i < size ? i : -1;
}

/** Either of the two, by `transposed`. */
@inline export function tapSource(transposed: bool, o: i32, k: i32, stride: i32, pad: i32, dil: i32, size: i32): i32 {
  return transposed ? convTransposeSource(o, k, stride, pad, dil, size) : convSource(o, k, stride, pad, dil, size);
}
