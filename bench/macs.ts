// Multiply-accumulate counts of an ONNX graph, taken from the shapes of one real execution of the tfjs
// mapping on the CPU backend (Conv, ConvTranspose, Gemm and MatMul; element-wise ops are not counted).
import { loadOnnx } from '../converter/onnx-load.js';
import { buildTfjsGraph } from './onnx-tfjs.js';

/** MACs for one sample of the graph at `path` (or model bytes). */
export async function countOnnxMacs(source: string | Uint8Array): Promise<number> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  const model = await loadOnnx(source);
  const graph = buildTfjsGraph(tf, model);
  try {
    const per = (model.inputs[0]!.dims ?? []).slice(1).reduce<number>((a, d) => a * Number(d), 1);
    return graph.countMacs(new Float32Array(per), 1);
  } finally {
    graph.dispose();
  }
}
