// The independent float oracle: runs an ONNX file with onnxruntime-node (CPU) and returns plain arrays.
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';

export interface OrtTensor {
  data: Float32Array;
  dims: number[];
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** One cached session per file; a path (not bytes) lets onnxruntime find a `.onnx.data` file beside it. */
export function ortSession(path: string): Promise<ort.InferenceSession> {
  if (!existsSync(path)) throw new Error(`ONNX file not found: ${path}`);
  let session = sessions.get(path);
  if (!session) {
    // Single-threaded, no graph rewrites: the oracle should compute the graph as written.
    session = ort.InferenceSession.create(path, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'disabled',
    });
    sessions.set(path, session);
  }
  return session;
}

/** Runs the model on float32 inputs (by input name) and returns every output as float32. */
export async function runOnnx(path: string, inputs: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
  const session = await ortSession(path);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const input = inputs[name];
    if (!input) throw new Error(`${path}: no value given for model input "${name}"`);
    const elements = input.dims.reduce((a, b) => a * b, 1);
    if (input.data.length !== elements) {
      throw new Error(`${path}: input "${name}" has ${input.data.length} values, dims [${input.dims}] need ${elements}`);
    }
    feeds[name] = new ort.Tensor('float32', input.data, input.dims);
  }
  const results = await session.run(feeds);
  const out: Record<string, OrtTensor> = {};
  for (const name of session.outputNames) {
    const tensor = results[name];
    if (tensor.type !== 'float32') throw new Error(`${path}: output "${name}" is ${tensor.type}, expected float32`);
    out[name] = { data: Float32Array.from(tensor.data as Float32Array), dims: tensor.dims.map(Number) };
  }
  return out;
}

/** Input and output names in graph order (encoders: x -> mu, logvar; decoders: z -> x_hat). */
export async function ortSignature(path: string): Promise<{ inputs: readonly string[]; outputs: readonly string[] }> {
  const session = await ortSession(path);
  return { inputs: session.inputNames, outputs: session.outputNames };
}
