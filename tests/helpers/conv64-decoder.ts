// The 64x64x3 benchmark decoder (scripts/fixtures/make_fixtures.py Conv64Decoder: Linear 128 -> 256x4x4, ReLU,
// ConvTranspose 4x4 s2 p1 256-128-64-32 with ReLU, ConvTranspose 32 -> 3, Sigmoid; 23.7 M MACs) written with
// seeded He-scaled weights through onnx-build, so tests and benchmarks have it without PyTorch. Speed depends
// on the shapes only; the trained fixture (when generated) has the same ones.
import { buildModel, type NodeSpec, type TensorSpec } from './onnx-build.js';
import { seededNormal } from './seeded-data.js';

export const CONV64_LATENT = 128;

/** `layers`: how many of the four transposed convs to keep (fewer: a prefix of the decoder, for profiles). */
export function conv64DecoderOnnx(seed = 404, layers = 4): Uint8Array {
  const init: Record<string, TensorSpec> = {};
  let s = seed;
  const normal = (dims: number[], fanIn: number): TensorSpec => {
    const n = dims.reduce((a, b) => a * b, 1);
    const scale = Math.sqrt(2 / fanIn);
    return { dims, data: seededNormal(n, s++).map((v) => v * scale) };
  };
  init.fc_w = normal([256 * 16, CONV64_LATENT], CONV64_LATENT);
  init.fc_b = normal([256 * 16], 1e4);
  init.shape = { dims: [4], data: [-1, 256, 4, 4], type: 'int64' };
  const nodes: NodeSpec[] = [
    { op: 'Gemm', inputs: ['z', 'fc_w', 'fc_b'], outputs: ['fc'], attrs: { transB: 1 } },
    { op: 'Relu', inputs: ['fc'], outputs: ['fc_relu'] },
    { op: 'Reshape', inputs: ['fc_relu', 'shape'], outputs: ['h0'] },
  ];
  const channels = [256, 128, 64, 32, 3];
  for (let k = 0; k < layers; k++) {
    const [ci, co] = [channels[k]!, channels[k + 1]!];
    init[`w${k}`] = normal([ci, co, 4, 4], ci * 4);
    init[`b${k}`] = normal([co], 1e4);
    const last = k === 3;
    nodes.push({ op: 'ConvTranspose', inputs: [`h${k}`, `w${k}`, `b${k}`], outputs: [last ? 'logits' : `c${k}`],
      attrs: { kernel_shape: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1] } });
    nodes.push(last ? { op: 'Sigmoid', inputs: ['logits'], outputs: ['x'] } : { op: 'Relu', inputs: [`c${k}`], outputs: [`h${k + 1}`] });
  }
  const side = 4 << layers, output = layers === 4 ? 'x' : `h${layers}`;
  return buildModel(
    { inputs: [{ name: 'z', dims: ['N', CONV64_LATENT] }], outputs: [{ name: output, dims: ['N', channels[layers]!, side, side] }],
    nodes, initializers: init, raw: true });
}
