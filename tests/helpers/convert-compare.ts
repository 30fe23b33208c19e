// The converter tests' oracle check: an ONNX graph converted to .evae and run in the wasm runtime gives what
// onnxruntime-node computes for the same seeded input.
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { convertGraph } from '../../converter/index.js';
import { Engine } from '../../runtime/engine.js';
import { readModel, type ModelInfo } from '../../runtime/format.js';
import { checkArenaReplay } from './arena-replay.js';
import { buildModel, randomData, type ModelSpec } from './onnx-build.js';
import { runOnnx } from './ort.js';

export interface Compared {
  info: ModelInfo;
  /** largest absolute difference from onnxruntime */
  err: number;
}

/**
 * Writes `spec` (input dim 0 = batch) to `path`, converts it (graph output `output`), runs batch `n` of random
 * input (`seed`) in the runtime and in onnxruntime, and expects the largest difference, relative to
 * max(1, largest |reference|), to be at most `tol`. The arena replay checks the converted model's memory plan.
 */
export async function compareWithOrt(module: WebAssembly.Module, spec: ModelSpec, path: string, seed: number,
  n: number, output: number, tol: number): Promise<Compared> {
  const bytes = buildModel(spec);
  writeFileSync(path, bytes);
  const inDims = [n, ...(spec.inputs[0]!.dims.slice(1) as number[])];
  const x = randomData(inDims.reduce((a, b) => a * b, 1), seed, 1.5);
  const ref = Object.values(await runOnnx(path, { [spec.inputs[0]!.name]: { data: x, dims: inDims } }))[output]!;
  const model = await convertGraph(bytes, { output });
  const info = readModel(model);
  checkArenaReplay(info);
  const engine = await Engine.create(module);
  await engine.load(model, n);
  const [got] = engine.run('decode', x, n);
  expect(got!.length).toBe(ref.data.length);
  let err = 0, scale = 1;
  for (let i = 0; i < ref.data.length; i++) {
    err = Math.max(err, Math.abs(got![i]! - ref.data[i]!));
    scale = Math.max(scale, Math.abs(ref.data[i]!));
  }
  expect(err / scale, `max error ${err}`).toBeLessThanOrEqual(tol);
  return { info, err };
}
