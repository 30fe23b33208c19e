// The Stable-Diffusion-style mid-block attention as ONNX nodes, shared by the converter and int8 tests.
import type { NodeSpec } from './onnx-build.js';

/**
 * From `input` [N, C, H, W] to `output`: 1x1 q/k/v convs (initializers Wq/Bq, Wk/Bk, Wv/Bv), the batched q^T k scaled
 * by `scale`, softmax over keys, v p^T, a 1x1 output conv (Wo/Bo) and the residual add. `toTokens` is the shape
 * initializer reshaping to [N, C, HW], `toImage` the one reshaping back to [N, C, H, W].
 */
export function attentionNodes(input: string, output: string, toTokens: string, toImage: string): NodeSpec[] {
  return [
    { op: 'Conv', inputs: [input, 'Wq', 'Bq'], outputs: ['q'] },
    { op: 'Conv', inputs: [input, 'Wk', 'Bk'], outputs: ['k'] },
    { op: 'Conv', inputs: [input, 'Wv', 'Bv'], outputs: ['v'] },
    { op: 'Reshape', inputs: ['q', toTokens], outputs: ['q2'] },
    { op: 'Transpose', inputs: ['q2'], outputs: ['qt'], attrs: { perm: [0, 2, 1] } },
    { op: 'Reshape', inputs: ['k', toTokens], outputs: ['k2'] },
    { op: 'MatMul', inputs: ['qt', 'k2'], outputs: ['att'] },
    { op: 'Mul', inputs: ['att', 'scale'], outputs: ['atts'] },
    { op: 'Softmax', inputs: ['atts'], outputs: ['p'], attrs: { axis: 2 } },
    { op: 'Reshape', inputs: ['v', toTokens], outputs: ['v2'] },
    { op: 'Transpose', inputs: ['p'], outputs: ['pt'], attrs: { perm: [0, 2, 1] } },
    { op: 'MatMul', inputs: ['v2', 'pt'], outputs: ['h'] },
    { op: 'Reshape', inputs: ['h', toImage], outputs: ['h4'] },
    { op: 'Conv', inputs: ['h4', 'Wo', 'Bo'], outputs: ['o'] },
    { op: 'Add', inputs: [input, 'o'], outputs: [output] },
  ];
}
