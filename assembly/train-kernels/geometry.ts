// Geometry of the convolution being computed, set once per call by `setConvGeometry`.
// Layouts are tfjs's: input NHWC [n, h, w, ci], filter HWIO [kh, kw, ci, co], output NHWC [n, oh, ow, co].
// One im2col row (the receptive field of one output pixel) holds KK = kh*kw*ci values in filter order.

export let N: i32 = 0;
export let H: i32 = 0;
export let W: i32 = 0;
export let CI: i32 = 0;
export let OH: i32 = 0;
export let OW: i32 = 0;
export let CO: i32 = 0;
export let KH: i32 = 0;
export let KW: i32 = 0;
export let SH: i32 = 1;
export let SW: i32 = 1;
export let PT: i32 = 0;
export let PL: i32 = 0;
export let KK: i32 = 0;
/** Output pixels over the whole batch: the rows of the im2col matrix. */
export let P: i32 = 0;

export function setConvGeometry(
  n: i32, h: i32, w: i32, ci: i32, oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
): void {
  N = n; H = h; W = w; CI = ci; OH = oh; OW = ow; CO = co;
  KH = kh; KW = kw; SH = sh; SW = sw; PT = padTop; PL = padLeft;
  KK = kh * kw * ci;
  P = n * oh * ow;
}

/** Rounds up to a multiple of `m` (a power of two). */
@inline export function roundUp(v: i32, m: i32): i32 {
  return (v + m - 1) & ~(m - 1);
}

// The output pixel whose taps are being visited (selectPixel): its batch index and the input coordinates of
// its tap (0, 0). Module globals, so the kernels' tap loops need no division per tap.
let pixelN: i32 = 0;
let pixelIh0: i32 = 0;
let pixelIw0: i32 = 0;

/** Selects output pixel p (flat over N, OH, OW) for tapRow. */
@inline export function selectPixel(p: i32): void {
  const ohw = OH * OW;
  const n = p / ohw;
  const rem = p - n * ohw;
  const oh = rem / OW;
  pixelN = n;
  pixelIh0 = oh * SH - PT;
  pixelIw0 = (rem - oh * OW) * SW - PL;
}

/**
 * Byte address, in the NHWC image at x, of the CI floats that tap (kh, kw) of the selected pixel reads, or 0
 * when the tap falls in the zero padding (x is never 0: images live above the module's static data).
 */
@inline export function tapRow(x: usize, kh: i32, kw: i32): usize {
  const ih = pixelIh0 + kh, iw = pixelIw0 + kw;
  if (<u32>ih >= <u32>H || <u32>iw >= <u32>W) return 0;
  return x + ((<usize>((pixelN * H + ih) * W + iw) * <usize>CI) << 2);
}
