import { writeFileSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildModel, randomData } from './tests/helpers/onnx-build.ts';
import { convertGraph } from './converter/index.ts';
import { Engine } from './runtime/engine.ts';
const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const w = (dims: number[], seed: number, s = 0.1) => ({ dims, data: randomData(count(dims), seed, s) });
const ints = (data: number[]) => ({ dims: [data.length], data, type: 'int64' as const });
async function bench(name: string, nodes: any[], inits: any, dims: number[]) {
  const bytes = buildModel({ inputs: [{ name: 'x', dims }], outputs: [{ name: 'y' }], nodes, initializers: inits, opset: 13 });
  writeFileSync('/tmp/perf.onnx', bytes);
  const s = await ort.InferenceSession.create('/tmp/perf.onnx', { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const x = randomData(count(dims), 5, 1);
  const feeds = { x: new ort.Tensor('float32', x, dims) };
  for (let i = 0; i < 5; i++) await s.run(feeds);
  let t = performance.now(); const N = 30;
  for (let i = 0; i < N; i++) await s.run(feeds);
  const tOrt = (performance.now() - t) / N;
  const e = await Engine.create(new WebAssembly.Module(readFileSync('build/edgevae.wasm')));
  await e.load(await convertGraph(bytes, {}), 1);
  for (let i = 0; i < 5; i++) e.run('decode', x, 1);
  t = performance.now();
  for (let i = 0; i < N; i++) e.run('decode', x, 1);
  const tUs = (performance.now() - t) / N;
  console.log(`${name}: edgevae ${tUs.toFixed(2)} ms, onnxruntime-node ${tOrt.toFixed(2)} ms`);
}
const C = 64, H = 16, W = 16, HW = H * W;
for (let rep = 0; rep < 2; rep++)
await bench('SD attention C=64 16x16', [
  { op: 'Conv', inputs: ['x', 'Wq', 'B'], outputs: ['q'] }, { op: 'Conv', inputs: ['x', 'Wk', 'B'], outputs: ['k'] }, { op: 'Conv', inputs: ['x', 'Wv', 'B'], outputs: ['v'] },
  { op: 'Reshape', inputs: ['q', 'shp'], outputs: ['q2'] }, { op: 'Transpose', inputs: ['q2'], outputs: ['qt'], attrs: { perm: [0, 2, 1] } },
  { op: 'Reshape', inputs: ['k', 'shp'], outputs: ['k2'] }, { op: 'MatMul', inputs: ['qt', 'k2'], outputs: ['att'] },
  { op: 'Mul', inputs: ['att', 'sc'], outputs: ['atts'] }, { op: 'Softmax', inputs: ['atts'], outputs: ['p'], attrs: { axis: 2 } },
  { op: 'Reshape', inputs: ['v', 'shp'], outputs: ['v2'] }, { op: 'Transpose', inputs: ['p'], outputs: ['pt'], attrs: { perm: [0, 2, 1] } },
  { op: 'MatMul', inputs: ['v2', 'pt'], outputs: ['h'] }, { op: 'Reshape', inputs: ['h', 'shp4'], outputs: ['h4'] },
  { op: 'Conv', inputs: ['h4', 'Wo', 'B'], outputs: ['o'] }, { op: 'Add', inputs: ['x', 'o'], outputs: ['y'] },
], { Wq: w([C, C, 1, 1], 1), Wk: w([C, C, 1, 1], 2), Wv: w([C, C, 1, 1], 3), Wo: w([C, C, 1, 1], 4), B: w([C], 5), shp: ints([1, C, HW]), shp4: ints([1, C, H, W]), sc: { dims: [1], data: [C ** -0.5] } }, [1, C, H, W]);
