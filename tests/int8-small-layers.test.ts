// The int8 conv paths for small layers (assembly/kernels/int8/conv.ts): the tap-row form (few input channels,
// all KH*KW*Ci taps of a pixel reduced at once) and the narrow tile requantized with pixels in the lanes
// (fewer than 8 output channels), on the default model's shapes and on edge shapes, bit-exact against the
// TypeScript reference (converter/quantize/reference-kernels.ts).
import { describe, it, expect, beforeAll } from 'vitest';
import { rng, randInt } from './kernels/harness.js';
import { buildInt8Kernels, putInto, type Int8Kernels } from './helpers/int8-kernels.js';
import * as ref from '../converter/quantize/reference-kernels.js';


let k: Int8Kernels;

beforeAll(() => {
  k = buildInt8Kernels();
  expect(k.init()).toBe(1);
});

const put = (a: Int8Array | Int32Array | Float32Array): number => putInto(k, a);

type Shape = Omit<ref.ConvGeometry, 'OH' | 'OW'>;
function geometry(s: Shape): ref.ConvGeometry {
  const effH = s.dH * (s.kh - 1) + 1, effW = s.dW * (s.kw - 1) + 1;
  // symmetric padding, as the default model's convs
  return { ...s, OH: Math.floor((s.H + 2 * s.padT - effH) / s.sH) + 1, OW: Math.floor((s.W + 2 * s.padL - effW) / s.sW) + 1 };
}

function check(g: ref.ConvGeometry, seed: number, wScaleRange: [number, number]): void {
  const rand = rng(seed);
  const x = Int8Array.from({ length: g.H * g.W * g.Ci }, () => randInt(rand, -128, 127));
  const w = Int8Array.from({ length: g.kh * g.kw * g.Ci * g.Co }, () => randInt(rand, -127, 127));
  const wScales = Float32Array.from({ length: g.Co }, () => wScaleRange[0] + (wScaleRange[1] - wScaleRange[0]) * rand());
  const bias = Int32Array.from({ length: g.Co }, () => randInt(rand, -20000, 20000));
  for (const relu of [false, true]) {
    const p = { zpX: randInt(rand, -128, 127), sX: Math.fround(0.01 + rand() * 0.05), zpY: randInt(rand, -128, 127), sY: Math.fround(0.05 + rand() * 0.5), relu, wScales, bias };
    const yp = k.alloc(g.OH * g.OW * g.Co);
    k.convI8(0, put(x), p.zpX, p.sX, put(w), put(wScales), put(bias), yp, p.zpY, p.sY, relu ? 1 : 0,
      g.Ci, g.H, g.W, g.Co, g.OH, g.OW, g.kh, g.kw, g.sH, g.sW, g.padT, g.padL, g.dH, g.dW, g.groups);
    const got = Array.from(new Int8Array(k.memory.buffer, yp, g.OH * g.OW * g.Co));
    expect(got, `${JSON.stringify(g)} relu ${relu}`).toEqual(Array.from(ref.convI8(g, false, x, w, p)));
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
  it('narrow tile with pixels in the lanes: the last layer (32 -> 1, 3x3) and 2..7 output channels', () => {
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
