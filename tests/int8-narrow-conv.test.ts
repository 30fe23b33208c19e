// The int8 conv paths for small layers: the tap-row form (assembly/kernels/int8/conv.ts: few input channels,
// all KH*KW*Ci taps of a pixel reduced at once), the padded-image narrow conv (narrow_conv.ts: fewer than 8
// output channels, four pixels summed in registers and requantized in the lanes; transposed convs per stride
// phase) and narrow layers the tile path still takes (grouped), on the default model's shapes and on edge
// shapes, bit-exact against the TypeScript reference (reference/kernels.ts).
import { describe, it, expect, beforeAll } from 'vitest';
import { rng, randInt } from './kernels/harness.js';
import { readyInt8Kernels, putInto, type Int8Kernels } from './helpers/int8-kernels.js';
import * as ref from '../reference/kernels.js';


let k: Int8Kernels;

beforeAll(() => { k = readyInt8Kernels(); });

const put = (a: Int8Array | Int32Array | Float32Array): number => putInto(k, a);

type Shape = Omit<ref.ConvGeometry, 'OH' | 'OW'>;
function geometry(s: Shape): ref.ConvGeometry {
  const effH = s.dH * (s.kh - 1) + 1, effW = s.dW * (s.kw - 1) + 1;
  // symmetric padding, as the default model's convs
  return { ...s, OH: Math.floor((s.H + 2 * s.padT - effH) / s.sH) + 1, OW: Math.floor((s.W + 2 * s.padL - effW) / s.sW) + 1 };
}

/** Like geometry(), with the bottom/right padding chosen (negative: the last input rows/columns unused). */
function asymmetric(s: Shape, padB: number, padR: number): ref.ConvGeometry {
  const effH = s.dH * (s.kh - 1) + 1, effW = s.dW * (s.kw - 1) + 1;
  return { ...s, OH: Math.floor((s.H + s.padT + padB - effH) / s.sH) + 1, OW: Math.floor((s.W + s.padL + padR - effW) / s.sW) + 1 };
}

/** A transposed conv's geometry: OH = (H - 1) * sH + effKH - padT - padB (padB < 0: output padding). */
function transposedGeometry(s: Shape, padB: number, padR: number): ref.ConvGeometry {
  const effH = s.dH * (s.kh - 1) + 1, effW = s.dW * (s.kw - 1) + 1;
  return { ...s, OH: (s.H - 1) * s.sH + effH - s.padT - padB, OW: (s.W - 1) * s.sW + effW - s.padL - padR };
}

function check(g: ref.ConvGeometry, seed: number, wScaleRange: [number, number], transposed = false): void {
  const rand = rng(seed);
  const x = Int8Array.from({ length: g.H * g.W * g.Ci }, () => randInt(rand, -128, 127));
  const w = Int8Array.from({ length: g.kh * g.kw * (g.Ci / g.groups) * g.Co }, () => randInt(rand, -127, 127));
  const wScales = Float32Array.from({ length: g.Co }, () => wScaleRange[0] + (wScaleRange[1] - wScaleRange[0]) * rand());
  const bias = Int32Array.from({ length: g.Co }, () => randInt(rand, -20000, 20000));
  for (const relu of [false, true]) {
    const p = { zpX: randInt(rand, -128, 127), sX: Math.fround(0.01 + rand() * 0.05), zpY: randInt(rand, -128, 127), sY: Math.fround(0.05 + rand() * 0.5), relu, wScales, bias };
    const yp = k.alloc(g.OH * g.OW * g.Co);
    k.convI8(transposed ? 1 : 0, put(x), p.zpX, p.sX, put(w), put(wScales), put(bias), yp, p.zpY, p.sY, relu ? 1 : 0,
      g.Ci, g.H, g.W, g.Co, g.OH, g.OW, g.kh, g.kw, g.sH, g.sW, g.padT, g.padL, g.dH, g.dW, g.groups);
    const got = Array.from(new Int8Array(k.memory.buffer, yp, g.OH * g.OW * g.Co));
    expect(got, `${JSON.stringify(g)} relu ${relu}`).toEqual(Array.from(ref.convI8(g, transposed, x, w, p)));
  }
}

const base = { H: 28, W: 28, kh: 3, kw: 3, sH: 1, sW: 1, padT: 1, padL: 1, dH: 1, dW: 1, groups: 1 };

describe('int8 small-layer conv paths vs reference', () => {
  it('tap-row form: the first layer (1 -> 32, 3x3, stride 2) and other few-channel convs', () => {
    check(geometry({ ...base, Ci: 1, Co: 32, sH: 2, sW: 2 }), 1, [1e-3, 2e-2]);
    check(geometry({ ...base, Ci: 3, Co: 17, H: 9, W: 11 }), 2, [1e-3, 2e-2]); // odd tap count, channels not a multiple of 8
    check(geometry({ ...base, Ci: 1, Co: 5, H: 7, W: 10, dH: 2, dW: 2, padT: 2, padL: 2 }), 3, [1e-3, 2e-2]); // narrow, dilated
    check(geometry({ ...base, Ci: 2, Co: 9, H: 5, W: 5, kh: 5, kw: 5, padT: 0, padL: 0 }), 4, [1e-3, 2e-2]); // a single output column
  });
  it('padded-image narrow conv: odd runs, channel padding, strides, dilations, uneven pads, short rows', () => {
    check(geometry({ ...base, Ci: 8, Co: 1, H: 5, W: 6 }), 11, [1e-3, 2e-2]); // one chunk per pixel: an odd run of 3
    check(asymmetric({ ...base, Ci: 13, Co: 2, H: 9, W: 7, kh: 2, kw: 2, sH: 2, sW: 2, padT: 1, padL: 0 }, -1, 1), 12, [1e-3, 2e-2]); // Ci % 8 != 0, unused last row
    check(asymmetric({ ...base, Ci: 16, Co: 7, H: 8, W: 9, kh: 4, kw: 3, dH: 2, dW: 2, padT: 3, padL: 1 }, 0, 4), 13, [1e-3, 2e-2]); // dilated: one run per tap
    check(geometry({ ...base, Ci: 24, Co: 5, H: 3, W: 3, kh: 3, kw: 3, padT: 0, padL: 0 }), 14, [1e-3, 2e-2]); // a single output pixel
    check(geometry({ ...base, Ci: 40, Co: 3, H: 7, W: 11, kh: 1, kw: 1, sH: 3, sW: 3, padT: 0, padL: 0 }), 15, [1e-3, 2e-2]); // 1x1, strided, OW = 4
    check(geometry({ ...base, Ci: 9, Co: 4, H: 2, W: 13, kh: 3, kw: 5, padT: 1, padL: 2 }), 16, [1e-3, 2e-2]); // OW = 13: a last tile of one pixel
  });
  it('transposed narrow convs, per stride phase: kernels larger and smaller than the stride, dilation, output padding', () => {
    check(transposedGeometry({ ...base, Ci: 32, Co: 3, H: 6, W: 7, kh: 4, kw: 4, sH: 2, sW: 2, padT: 1, padL: 1 }, 1, 1), 21, [1e-3, 2e-2], true); // 32 -> 3, 4x4 s2
    check(transposedGeometry({ ...base, Ci: 12, Co: 1, H: 5, W: 4, sH: 2, sW: 2, padT: 1, padL: 1 }, 0, -1), 17, [1e-3, 2e-2], true); // odd kernel, output padding
    check(transposedGeometry({ ...base, Ci: 5, Co: 2, H: 4, W: 5, kh: 2, kw: 2, sH: 3, sW: 3, padT: 0, padL: 1 }, 0, 0), 22, [1e-3, 2e-2], true); // phases without taps, Ci < 8
    check(transposedGeometry({ ...base, Ci: 9, Co: 7, H: 3, W: 6, kh: 3, kw: 2, sH: 1, sW: 2, dH: 2, dW: 3, padT: 2, padL: 0 }, 1, 2), 23, [1e-3, 2e-2], true); // dilated
  });
  it('narrow layers on the tile path (grouped) and the narrow conv with extreme multipliers', () => {
    check(geometry({ ...base, Ci: 16, Co: 6, H: 6, W: 5, groups: 2 }), 18, [1e-3, 2e-2]);
    check(transposedGeometry({ ...base, Ci: 16, Co: 2, H: 4, W: 4, sH: 2, sW: 2 }, 1, 1), 24, [0.5, 4], true); // scalar lanes
    check(geometry({ ...base, Ci: 16, Co: 3, H: 6, W: 7 }), 19, [0.5, 4]); // shifts below the SIMD range: scalar lanes
    check(geometry({ ...base, Ci: 16, Co: 3, H: 6, W: 7 }), 20, [1e-8, 1e-7]); // and above it
  });
  it('narrow conv with pixels in the lanes: the last layer (32 -> 1, 3x3) and 2..7 output channels', () => {
    check(geometry({ ...base, Ci: 32, Co: 1 }), 5, [1e-3, 2e-2]);
    check(geometry({ ...base, Ci: 9, Co: 3, H: 6, W: 7 }), 6, [1e-3, 2e-2]); // OW not a multiple of 4
    check(geometry({ ...base, Ci: 16, Co: 7, H: 5, W: 5, sH: 2, sW: 2 }), 7, [1e-3, 2e-2]);
  });
  it('both paths keep exact results when requantization saturates or needs the scalar fallback', () => {
    check(geometry({ ...base, Ci: 1, Co: 16, H: 8, W: 8 }), 8, [0.5, 4]); // large multipliers: shifts below the SIMD range
    check(geometry({ ...base, Ci: 24, Co: 2, H: 8, W: 9 }), 9, [0.5, 4]);
    check(geometry({ ...base, Ci: 24, Co: 2, H: 8, W: 9 }), 10, [1e-8, 1e-7]); // multipliers near 2^-27: shifts above the SIMD range
  });
});
