// The plain reference kernels (reference.ts) agree with onnxruntime-node, the independent engine, on
// Conv / ConvTranspose with strides, pads, dilations, groups and output_padding; the WebAssembly
// kernels are then checked against the reference in conv.test.ts with many more shapes.
import { describe, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildModel } from '../helpers/onnx-build.js';
import { expectClose, randInt, randomArray, rng } from './harness.js';
import { type ConvSpec, convOutSize, convTransposeOutSize, refConv, refConvTranspose } from './reference.js';

async function ortConv(s: ConvSpec, transpose: boolean, x: Float32Array, w: Float32Array, b: Float32Array): Promise<Float32Array> {
  const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  const wDims = transpose ? [s.Ci, Cog, s.kh, s.kw] : [s.Co, Cig, s.kh, s.kw];
  const attrs: Record<string, number[] | number> = {
    kernel_shape: [s.kh, s.kw], strides: [s.sh, s.sw], pads: [s.pt, s.pl, s.pb, s.pr], dilations: [s.dh, s.dw], group: s.groups,
  };
  if (transpose) attrs.output_padding = [s.oph ?? 0, s.opw ?? 0];
  const model = buildModel({
    inputs: [{ name: 'x', dims: [s.n, s.Ci, s.H, s.W] }],
    outputs: [{ name: 'y' }],
    nodes: [{ op: transpose ? 'ConvTranspose' : 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs }],
    initializers: { w: { dims: wDims, data: w }, b: { dims: [s.Co], data: b } },
  });
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const out = await session.run({ x: new ort.Tensor('float32', x, [s.n, s.Ci, s.H, s.W]) });
  return out.y.data as Float32Array;
}

function randomSpec(rand: () => number, transpose: boolean): ConvSpec {
  const groups = [1, 2, 3][randInt(rand, 0, 2)];
  const kh = randInt(rand, 1, 3), kw = randInt(rand, 1, 3), dh = randInt(rand, 1, 2), dw = randInt(rand, 1, 2);
  const sh = randInt(rand, 1, 3), sw = randInt(rand, 1, 3);
  const effH = dh * (kh - 1) + 1, effW = dw * (kw - 1) + 1;
  const s: ConvSpec = {
    n: randInt(rand, 1, 2), Ci: groups * randInt(rand, 1, 3), Co: groups * randInt(rand, 1, 3), H: randInt(rand, effH, effH + 4),
    W: randInt(rand, effW, effW + 4), kh, kw, sh, sw, dh, dw, groups,
    pt: randInt(rand, 0, effH - 1), pl: randInt(rand, 0, effW - 1), pb: randInt(rand, 0, effH - 1), pr: randInt(rand, 0, effW - 1),
  };
  if (transpose) {
    // onnxruntime accepts output_padding < stride only
    s.oph = randInt(rand, 0, sh - 1);
    s.opw = randInt(rand, 0, sw - 1);
  }
  return s;
}

describe('reference conv kernels vs onnxruntime-node', () => {
  for (const transpose of [false, true]) {
    it(`${transpose ? 'ConvTranspose' : 'Conv'}: 25 random specs`, async () => {
      const rand = rng(transpose ? 77 : 66);
      let checked = 0;
      while (checked < 25) {
        const s = randomSpec(rand, transpose);
        const [OH, OW] = transpose ? convTransposeOutSize(s) : convOutSize(s);
        if (OH < 1 || OW < 1) continue;
        const x = randomArray(rand, s.n * s.Ci * s.H * s.W);
        const w = randomArray(rand, s.Co * (s.Ci / s.groups) * s.kh * s.kw);
        const b = randomArray(rand, s.Co);
        const got = await ortConv(s, transpose, x, w, b);
        const ref = transpose ? refConvTranspose(s, x, w, b) : refConv(s, x, w, b);
        expectClose(got, ref.value, ref.magnitude, 1e-5, `${transpose ? 'convT' : 'conv'} ${JSON.stringify(s)}`);
        checked++;
      }
    });
  }
});
