// Small .evae models built with converter/writer.ts for the format, runtime and CLI tests, plus helpers to
// corrupt them field by field and a plain TypeScript forward pass of the dense model (the reference twin).
import { writeModel, type WModel, type WTensor } from '../converter/writer.js';
import { crc32 } from '../format/crc32.js';
import { Act, DType, EntryKind, Op, TensorKind } from '../runtime/format-constants.js';

/** Deterministic uniform values in [-scale, scale) (xorshift32), so fixtures are reproducible. */
export function seededValues(count: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s / 0x100000000) * 2 - 1) * scale;
  }
  return out;
}

const f32Bytes = (v: Float32Array): Uint8Array => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
const act = (dims: number[], dtype = DType.F32): WTensor => ({ kind: TensorKind.Activation, dtype, dims });
const constant = (dims: number[], values: Float32Array): WTensor => ({ kind: TensorKind.Constant, dtype: DType.F32, dims, data: f32Bytes(values) });

export interface DenseLayer { K: number; M: number; w: Float32Array; b: Float32Array; act: Act }

/** Dense VAE: encoder 12 -> 8 (relu) -> mu[4], logvar[4]; decoder 4 -> 8 (tanh) -> 12 (sigmoid). */
export const DENSE_VAE = (() => {
  const layer = (K: number, M: number, a: Act, seed: number): DenseLayer =>
    ({ K, M, w: seededValues(K * M, seed, 0.8), b: seededValues(M, seed + 100, 0.3), act: a });
  return {
    inputShape: [1, 3, 4],
    latentSize: 4,
    encHidden: layer(12, 8, Act.Relu, 1),
    encMu: layer(8, 4, Act.None, 2),
    encLogvar: layer(8, 4, Act.None, 3),
    decHidden: layer(4, 8, Act.Tanh, 4),
    decOut: layer(8, 12, Act.Sigmoid, 5),
  };
})();

export function denseVaeModel(which: 'both' | 'encode' | 'decode' = 'both'): WModel {
  const v = DENSE_VAE;
  const tensors: WTensor[] = [];
  const add = (t: WTensor) => tensors.push(t) - 1;
  const denseOp = (a: number, l: DenseLayer) => {
    const w = add(constant([l.K, l.M], l.w));
    const b = add(constant([l.M], l.b));
    const out = add(act([l.M]));
    return { op: Op.Dense, out, a, b: w, c: b, act: l.act };
  };
  const entries: WModel['entries'] = [];
  if (which !== 'decode') {
    const x = add(act([12]));
    const h = denseOp(x, v.encHidden);
    const mu = denseOp(h.out, v.encMu);
    const lv = denseOp(h.out, v.encLogvar);
    entries.push({ kind: EntryKind.Encode, input: x, outputs: [mu.out, lv.out], ops: [h, mu, lv] });
  }
  if (which !== 'encode') {
    const z = add(act([4]));
    const h = denseOp(z, v.decHidden);
    const o = denseOp(h.out, v.decOut);
    entries.push({ kind: EntryKind.Decode, input: z, outputs: [o.out], ops: [h, o] });
  }
  return {
    meta: {
      name: 'dense-fixture', producer: 'tests/format-fixtures', inputShape: v.inputShape, latentSize: v.latentSize,
      quantization: 'f32', encoder: { inputShape: v.inputShape }, decoder: { outputShape: v.inputShape },
    },
    tensors,
    entries,
  };
}

/** Conv VAE (validation only): x[25] -> HWC [1,5,5] -> conv k3 s2 p1 -> [2,3,3] -> [18] -> mu, logvar; decoder mirrors it. */
export function convVaeModel(): WModel {
  const tensors: WTensor[] = [];
  const add = (t: WTensor) => tensors.push(t) - 1;
  const x = add(act([25]));
  const xs = add(act([1, 5, 5]));
  const cw = add(constant([3, 3, 1, 2], seededValues(18, 7)));
  const cb = add(constant([2], seededValues(2, 8)));
  const h = add(act([2, 3, 3]));
  const hf = add(act([18]));
  const mw = add(constant([18, 4], seededValues(72, 9)));
  const mu = add(act([4]));
  const lw = add(constant([18, 4], seededValues(72, 10)));
  const lv = add(act([4]));
  const z = add(act([4]));
  const dw = add(constant([4, 18], seededValues(72, 11)));
  const dh = add(act([18]));
  const ds = add(act([2, 3, 3]));
  const tw = add(constant([3, 3, 2, 1], seededValues(18, 12)));
  const y = add(act([1, 5, 5]));
  const yf = add(act([25]));
  const conv = [3, 3, 2, 2, 1, 1, 1, 1, 1];
  return {
    meta: { name: 'conv-fixture', inputShape: [1, 5, 5], latentSize: 4, quantization: 'f32' },
    tensors,
    entries: [
      {
        kind: EntryKind.Encode, input: x, outputs: [mu, lv], ops: [
          { op: Op.Layout, out: xs, a: x, params: [0, 1, 5, 5] },
          { op: Op.Conv2D, out: h, a: xs, b: cw, c: cb, act: Act.LeakyRelu, alpha: 0.1, params: conv },
          { op: Op.Copy, out: hf, a: h },
          { op: Op.Dense, out: mu, a: hf, b: mw },
          { op: Op.Dense, out: lv, a: hf, b: lw },
        ],
      },
      {
        kind: EntryKind.Decode, input: z, outputs: [yf], ops: [
          { op: Op.Dense, out: dh, a: z, b: dw, act: Act.Relu },
          { op: Op.Copy, out: ds, a: dh },
          { op: Op.ConvTranspose, out: y, a: ds, b: tw, act: Act.Sigmoid, params: conv },
          { op: Op.Layout, out: yf, a: y, params: [1, 1, 5, 5] },
        ],
      },
    ],
  };
}

/** Byte offsets of the tables of a file, read from its header. */
export function layoutOf(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u = (o: number) => v.getUint32(o, true);
  return {
    meta: u(20), tensor: (i: number) => u(28) + 48 * i, entry: (i: number) => u(36) + 32 * i,
    op: (i: number) => u(44) + 64 * i, data: u(52), dataLength: u(56),
  };
}

/** Writes a u32/i32/f32/u16 into a copy of the file and (unless told otherwise) recomputes the checksum. */
export function patched(bytes: Uint8Array, edits: Array<[offset: number, value: number, type?: 'u32' | 'u16' | 'f32' | 'i32']>, fixChecksum = true): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  for (const [off, value, type = 'u32'] of edits) {
    if (type === 'u32') v.setUint32(off, value >>> 0, true);
    else if (type === 'u16') v.setUint16(off, value, true);
    else if (type === 'i32') v.setInt32(off, value, true);
    else v.setFloat32(off, value, true);
  }
  if (fixChecksum) refreshChecksum(out);
  return out;
}

export function refreshChecksum(bytes: Uint8Array): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(12, crc32(bytes, 16, bytes.length), true);
}

export const denseVaeBytes = (which: 'both' | 'encode' | 'decode' = 'both') => writeModel(denseVaeModel(which));
export const convVaeBytes = () => writeModel(convVaeModel());

// ---- plain reference forward pass of DENSE_VAE (float64 accumulation), the twin the runtime is checked against

function applyAct(x: number, a: Act): number {
  switch (a) {
    case Act.Relu: return Math.max(0, x);
    case Act.Tanh: return Math.tanh(x);
    case Act.Sigmoid: return 1 / (1 + Math.exp(-x));
    case Act.None: return x;
    default: throw new Error(`reference: activation ${a} not used by the fixture`);
  }
}

function denseRef(x: Float32Array, l: DenseLayer): Float32Array {
  const out = new Float32Array(l.M);
  for (let m = 0; m < l.M; m++) {
    let s = l.b[m];
    for (let k = 0; k < l.K; k++) s += x[k] * l.w[k * l.M + m];
    out[m] = applyAct(s, l.act);
  }
  return out;
}

export function referenceEncode(x: Float32Array): { mu: Float32Array; logvar: Float32Array } {
  const h = denseRef(x, DENSE_VAE.encHidden);
  return { mu: denseRef(h, DENSE_VAE.encMu), logvar: denseRef(h, DENSE_VAE.encLogvar) };
}

export function referenceDecode(z: Float32Array): Float32Array {
  return denseRef(denseRef(z, DENSE_VAE.decHidden), DENSE_VAE.decOut);
}
