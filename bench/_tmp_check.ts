import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { loadOnnx } from '../converter/onnx-load.js';
import { buildTfjsGraph } from './onnx-tfjs.js';
const backend = process.argv[2] ?? 'cpu';
await tf.setBackend(backend);
for (const f of ['conv.decoder','conv.encoder','mlp.decoder','mlp.encoder','bn.decoder','bn.encoder','bench/conv64.decoder','bench/conv64.encoder']) {
  const path = `tests/fixtures/${f}.op13.onnx`;
  const m = await loadOnnx(path);
  const g = buildTfjsGraph(tf, m);
  const dims = m.inputs[0].dims!.slice(1) as number[];
  const per = dims.reduce((a,b)=>a*b,1);
  const x = Float32Array.from({length: 2*per}, (_, i) => Math.sin(i*0.37)*0.9);
  const s = await ort.InferenceSession.create(path);
  const r = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', x, [2, ...dims])});
  const ys = g.run(x, 2);
  const diffs = s.outputNames.map((n, k) => { const a = r[n].data as Float32Array; let d = 0; for (let i=0;i<a.length;i++) d = Math.max(d, Math.abs(a[i]-ys[k][i])); return d + ` (len ${a.length}/${ys[k].length})`; });
  console.log(f, 'macs', g.countMacs(x.subarray(0, per), 1), diffs.join(', '));
}
