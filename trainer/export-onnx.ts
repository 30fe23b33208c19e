// Exports a trained model as two ONNX files (opset 13, IR version 7, dynamic batch dimension "N"):
//   encoder.onnx  x [N,C,H,W] -> mu [N,L], logvar [N,L]   (autoencoder: mu only)
//   decoder.onnx  z [N,L] -> x [N,C,H,W]  (sigmoid applied: pixel means in [0, 1])
// tfjs computes in NHWC with HWIO conv filters; ONNX is NCHW with OIHW (Conv) and IOHW (ConvTranspose)
// filters. Dense layers next to a flatten/reshape get their rows/columns permuted so ONNX's CHW
// flattening order lands on the same weights as tfjs's HWC order.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkg from 'onnx-proto';
import { convBottleneck, KERNEL, type ModelConfig, type VaeModel } from './models.js';

const { onnx } = pkg;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

export const OPSET = 13;
export const IR_VERSION = 7;
export const PRODUCER = 'edgevae-trainer';
export const PRODUCER_VERSION = '0.1.0';

/** tfjs conv2d filter [kh, kw, ci, co] -> ONNX Conv weight [co, ci, kh, kw]. */
export function convHwioToOihw(w: Float32Array, kh: number, kw: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
    out[((o * ci + i) * kh + y) * kw + x] = w[((y * kw + x) * ci + i) * co + o];
  }
  return out;
}

/** tfjs conv2dTranspose filter [kh, kw, co, ci] -> ONNX ConvTranspose weight [ci, co, kh, kw]. */
export function deconvHwoiToIohw(w: Float32Array, kh: number, kw: number, co: number, ci: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) {
    out[((i * co + o) * kh + y) * kw + x] = w[((y * kw + x) * co + o) * ci + i];
  }
  return out;
}

/** Index in HWC order of the element at CHW-flat index `f` of an [C,H,W] map. */
function hwcIndexOfChw(f: number, h: number, w: number, c: number): number {
  const ch = Math.floor(f / (h * w));
  const rest = f % (h * w);
  return rest * c + ch;
}

/** Dense weight [K, M] whose K rows follow an HWC-flattened input -> rows in CHW order. */
export function denseRowsHwcToChw(wt: Float32Array, m: number, h: number, w: number, c: number): Float32Array {
  const k = h * w * c;
  const out = new Float32Array(k * m);
  for (let f = 0; f < k; f++) out.set(wt.subarray(hwcIndexOfChw(f, h, w, c) * m, (hwcIndexOfChw(f, h, w, c) + 1) * m), f * m);
  return out;
}

/** Dense weight [K, M] (or bias [M], K = 1) whose M outputs are reshaped to HWC -> columns in CHW order. */
export function denseColsHwcToChw(wt: Float32Array, k: number, h: number, w: number, c: number): Float32Array {
  const m = h * w * c;
  const out = new Float32Array(k * m);
  for (let r = 0; r < k; r++) for (let f = 0; f < m; f++) out[r * m + f] = wt[r * m + hwcIndexOfChw(f, h, w, c)];
  return out;
}

/** TensorFlow 'same' padding of one spatial axis: [before, after]. */
export function samePadding(inSize: number, stride: number, kernel: number): [number, number] {
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max((outSize - 1) * stride + kernel - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Collects nodes and initializers of one ONNX graph (also used by export-seq-onnx.ts). */
export class GraphBuilder {
  nodes: Node[] = [];
  initializers: Tensor[] = [];
  private counter = 0;

  constant(name: string, dims: number[], values: Float32Array): string {
    const bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes }));
    return name;
  }

  int64Constant(name: string, values: number[]): string {
    this.initializers.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values }));
    return name;
  }

  node(opType: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.counter++}`;
    return this.nodeOutputs(opType, inputs, [out], attrs)[0];
  }

  /** A node with several outputs (LSTM: Y, Y_h, Y_c); '' names an omitted optional output. */
  nodeOutputs(opType: string, inputs: string[], outputs: string[], attrs: Record<string, number | number[] | string> = {}): string[] {
    const attribute = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'string'
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) })
        : Array.isArray(v)
          ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
          : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v }),
    );
    const name = outputs.find((o) => o !== '') ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute }));
    return outputs;
  }

  /** A name no other value in the graph uses. */
  fresh(stem: string): string {
    return `${stem}_${this.counter++}`;
  }

  /** inputs/outputs: [name, dims] (float32) or [name, dims, 'int64']. */
  model(graphName: string, inputs: [string, (number | string)[], 'int64'?][], outputs: [string, (number | string)[]][], doc: string): Uint8Array {
    const valueInfo = ([name, dims, type]: [string, (number | string)[], 'int64'?]) =>
      onnx.ValueInfoProto.create({
        name,
        type: {
          tensorType: {
            elemType: type === 'int64' ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT,
            shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
          },
        },
      });
    const graph = onnx.GraphProto.create({
      name: graphName,
      node: this.nodes,
      initializer: this.initializers,
      input: inputs.map(valueInfo),
      output: outputs.map(valueInfo),
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: PRODUCER,
      producerVersion: PRODUCER_VERSION,
      docString: doc,
      opsetImport: [{ domain: '', version: OPSET }],
      graph,
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function need(weights: Map<string, Float32Array>, name: string): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`ONNX export: missing weight '${name}'`);
  return w;
}

export interface OnnxPair {
  encoder: Uint8Array;
  decoder: Uint8Array;
}

export function buildOnnx(config: ModelConfig, weights: Map<string, Float32Array>): OnnxPair {
  const [H, W, C] = config.inputShape;
  const L = config.latent;
  const K = KERNEL;
  const w = (name: string) => need(weights, name);
  const kind = config.autoencoder ? 'autoencoder' : 'VAE';

  // Encoder.
  const enc = new GraphBuilder();
  let flat: string;
  let flatSize: number;
  let toChwRows: (wt: Float32Array, m: number) => Float32Array;
  if (config.kind === 'conv') {
    let x = 'x';
    let [h, wd, cin] = [H, W, C];
    config.widths.forEach((cout, i) => {
      const [pt, pb] = samePadding(h, 2, K);
      const [pl, pr] = samePadding(wd, 2, K);
      const wt = enc.constant(`enc.conv${i}.w`, [cout, cin, K, K], convHwioToOihw(w(`enc.conv${i}.w`), K, K, cin, cout));
      const b = enc.constant(`enc.conv${i}.b`, [cout], w(`enc.conv${i}.b`));
      x = enc.node('Conv', [x, wt, b], { kernel_shape: [K, K], strides: [2, 2], pads: [pt, pl, pb, pr] });
      x = enc.node('Relu', [x]);
      [h, wd, cin] = [Math.ceil(h / 2), Math.ceil(wd / 2), cout];
    });
    const [bh, bw, bc] = convBottleneck(config);
    flat = enc.node('Flatten', [x], { axis: 1 });
    flatSize = bh * bw * bc;
    toChwRows = (wt, m) => denseRowsHwcToChw(wt, m, bh, bw, bc);
  } else {
    flat = enc.node('Flatten', ['x'], { axis: 1 });
    flatSize = H * W * C;
    toChwRows = (wt, m) => denseRowsHwcToChw(wt, m, H, W, C);
    config.widths.forEach((hidden, i) => {
      const rows = i === 0 ? toChwRows(w(`enc.fc${i}.w`), hidden) : w(`enc.fc${i}.w`);
      const wt = enc.constant(`enc.fc${i}.w`, [flatSize, hidden], rows);
      const b = enc.constant(`enc.fc${i}.b`, [hidden], w(`enc.fc${i}.b`));
      flat = enc.node('Relu', [enc.node('Gemm', [flat, wt, b])]);
      flatSize = hidden;
      toChwRows = (x) => x;
    });
  }
  const heads = config.autoencoder ? ['mu'] : ['mu', 'logvar'];
  for (const head of heads) {
    const wt = enc.constant(`enc.${head}.w`, [flatSize, L], toChwRows(w(`enc.${head}.w`), L));
    const b = enc.constant(`enc.${head}.b`, [L], w(`enc.${head}.b`));
    enc.node('Gemm', [flat, wt, b], {}, head);
  }
  const encoder = enc.model(
    'encoder',
    [['x', ['N', C, H, W]]],
    heads.map((name) => [name, ['N', L]] as [string, (number | string)[]]),
    `edgevae ${config.kind} ${kind} encoder: x [N,${C},${H},${W}] in [0,1] -> ${heads.join(', ')} [N,${L}]`,
  );

  // Decoder.
  const dec = new GraphBuilder();
  let y: string;
  if (config.kind === 'conv') {
    const [bh, bw, bc] = convBottleneck(config);
    const flatOut = bh * bw * bc;
    const wt = dec.constant('dec.fc.w', [L, flatOut], denseColsHwcToChw(w('dec.fc.w'), L, bh, bw, bc));
    const b = dec.constant('dec.fc.b', [flatOut], denseColsHwcToChw(w('dec.fc.b'), 1, bh, bw, bc));
    y = dec.node('Relu', [dec.node('Gemm', ['z', wt, b])]);
    y = dec.node('Reshape', [y, dec.int64Constant('dec.shape', [-1, bc, bh, bw])]);
    let [h, wd, cin] = [bh, bw, bc];
    [...config.widths].reverse().forEach((cout, i) => {
      // Same padding of the forward conv that maps the 2x larger output back to this input.
      const [pt, pb] = samePadding(2 * h, 2, K);
      const [pl, pr] = samePadding(2 * wd, 2, K);
      const dw = dec.constant(`dec.deconv${i}.w`, [cin, cout, K, K], deconvHwoiToIohw(w(`dec.deconv${i}.w`), K, K, cout, cin));
      const db = dec.constant(`dec.deconv${i}.b`, [cout], w(`dec.deconv${i}.b`));
      y = dec.node('ConvTranspose', [y, dw, db], { kernel_shape: [K, K], strides: [2, 2], pads: [pt, pl, pb, pr] });
      y = dec.node('Relu', [y]);
      [h, wd, cin] = [2 * h, 2 * wd, cout];
    });
    const [pt, pb] = samePadding(H, 1, K);
    const [pl, pr] = samePadding(W, 1, K);
    const ow = dec.constant('dec.out.w', [C, cin, K, K], convHwioToOihw(w('dec.out.w'), K, K, cin, C));
    const ob = dec.constant('dec.out.b', [C], w('dec.out.b'));
    y = dec.node('Conv', [y, ow, ob], { kernel_shape: [K, K], strides: [1, 1], pads: [pt, pl, pb, pr] });
    dec.node('Sigmoid', [y], {}, 'x');
  } else {
    y = 'z';
    let prev = L;
    [...config.widths].reverse().forEach((hidden, i) => {
      const wt = dec.constant(`dec.fc${i}.w`, [prev, hidden], w(`dec.fc${i}.w`));
      const b = dec.constant(`dec.fc${i}.b`, [hidden], w(`dec.fc${i}.b`));
      y = dec.node('Relu', [dec.node('Gemm', [y, wt, b])]);
      prev = hidden;
    });
    const D = H * W * C;
    const wt = dec.constant('dec.out.w', [prev, D], denseColsHwcToChw(w('dec.out.w'), prev, H, W, C));
    const b = dec.constant('dec.out.b', [D], denseColsHwcToChw(w('dec.out.b'), 1, H, W, C));
    y = dec.node('Sigmoid', [dec.node('Gemm', [y, wt, b])]);
    dec.node('Reshape', [y, dec.int64Constant('dec.shape', [-1, C, H, W])], {}, 'x');
  }
  const decoder = dec.model(
    'decoder',
    [['z', ['N', L]]],
    [['x', ['N', C, H, W]]],
    `edgevae ${config.kind} ${kind} decoder: z [N,${L}] -> x [N,${C},${H},${W}] in [0,1]`,
  );
  return { encoder, decoder };
}

/** Writes encoder.onnx and decoder.onnx into `dir`; returns their paths. */
export async function exportOnnx(model: VaeModel, dir: string): Promise<string[]> {
  const { encoder, decoder } = buildOnnx(model.config, await model.weights());
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, 'encoder.onnx'), join(dir, 'decoder.onnx')];
  writeFileSync(files[0], encoder);
  writeFileSync(files[1], decoder);
  return files;
}
