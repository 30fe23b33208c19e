// Reads an ONNX ModelProto into plain JS structures: nodes, graph inputs/outputs and constant tensors.
// Numbers are decoded here once (Long -> number, raw bytes -> typed arrays) so later stages never see protobuf.
import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import onnxPkg from 'onnx-proto';
import { describeModule, readNodeMetadata } from './onnx-node-metadata.js';

const { onnx } = onnxPkg;
type ITensorProto = import('onnx-proto').onnx.ITensorProto;
type IAttributeProto = import('onnx-proto').onnx.IAttributeProto;

export type ElemKind = 'float' | 'int' | 'bool';

/** A constant tensor: floats stay f32, integers and bools are kept exactly in f64. */
export interface ConstTensor {
  dims: number[];
  kind: ElemKind;
  data: Float32Array | Float64Array;
}

/** Widens literal defaults (attr('group', 1) has type number, not 1). */
export type Widen<T> = T extends number ? number : T extends string ? string : T;

export type AttrValue = number | number[] | string | string[] | ConstTensor;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[]; // '' marks an omitted optional input
  outputs: string[];
  attrs: Map<string, AttrValue>;
  /** the PyTorch module the node came from ("PyTorch module body.1 (torch.nn...)"), when the file says */
  module?: string;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** number for a fixed dim, string for a symbolic one, null when unknown */
  dims: (number | string | null)[] | null;
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[]; // graph inputs that are not initializers
  outputs: OnnxValueInfo[];
  initializers: Map<string, ConstTensor>;
}

export const MIN_OPSET = 10; // opset 10 graphs are upgraded where an op changed at 11 (patterns/opset10.ts)
export const MAX_OPSET = 21;
// IR 5/6 files (opset 11 exports of 2019/2020) parse and mean the same; the opset decides op semantics.
const MIN_IR = 5;
const MAX_IR = 10;

const num = (v: unknown): number => Number(v);

/** Loads a model from a file path (external data resolved next to it) or from bytes (no external data). */
export async function loadOnnx(source: string | Uint8Array): Promise<OnnxModel> {
  const bytes = typeof source === 'string' ? await readModelFile(source) : source;
  const baseDir = typeof source === 'string' ? dirname(resolve(source)) : null;
  let proto: InstanceType<typeof onnx.ModelProto>;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`not an ONNX model: ${(e as Error).message}`);
  }
  let opset = -1;
  for (const o of proto.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') opset = num(o.version);
  }
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(`ONNX opset ${opset} is not supported (supported: ${MIN_OPSET}..${MAX_OPSET})`);
  }
  const irVersion = num(proto.irVersion);
  if (irVersion < MIN_IR || irVersion > MAX_IR) {
    throw new Error(`ONNX IR version ${irVersion} is not supported (supported: ${MIN_IR}..${MAX_IR})`);
  }
  const g = proto.graph;
  if (!g) throw new Error('ONNX model has no graph');

  const initializers = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', await decodeTensor(t, baseDir));

  const nodes: OnnxNode[] = [];
  const nodeMeta = readNodeMetadata(bytes);
  for (const [i, n] of (g.node ?? []).entries()) {
    const attrs = new Map<string, AttrValue>();
    for (const a of n.attribute ?? []) attrs.set(a.name ?? '', await decodeAttr(a, baseDir));
    const name = n.name || `${n.opType}_${i}`;
    nodes.push({
      name,
      module: describeModule(name, nodeMeta[i]),
      opType: n.opType ?? '',
      domain: n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
    });
  }
  const valueInfo = (v: InstanceType<typeof onnx.ValueInfoProto>): OnnxValueInfo => {
    const tt = v.type?.tensorType;
    const dims = tt?.shape?.dim
      ? tt.shape.dim.map((d) => (d.dimValue != null && (d as { value?: string }).value === 'dimValue' ? num(d.dimValue) : d.dimParam ? d.dimParam : null))
      : null;
    return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims };
  };
  return {
    irVersion,
    opset,
    producerName: proto.producerName ?? '',
    producerVersion: proto.producerVersion ?? '',
    graphName: g.name ?? '',
    nodes,
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map((v) => valueInfo(v as InstanceType<typeof onnx.ValueInfoProto>)),
    outputs: (g.output ?? []).map((v) => valueInfo(v as InstanceType<typeof onnx.ValueInfoProto>)),
    initializers,
  };
}

async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ONNX file ${path}: ${code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

async function decodeAttr(a: IAttributeProto, baseDir: string | null): Promise<AttrValue> {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT: return a.f ?? 0;
    case T.INT: return num(a.i ?? 0);
    case T.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.FLOATS: return [...(a.floats ?? [])];
    case T.INTS: return (a.ints ?? []).map(num);
    case T.STRINGS: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case T.TENSOR: return decodeTensor(a.t!, baseDir);
    default: return `<unsupported attribute type ${a.type}>`;
  }
}

/** Largest constant the converter reads (the .evae format's element limit, 2^26). */
const MAX_TENSOR_ELEMENTS = 2 ** 26;

const FLOAT_TYPES = new Set([1, 10, 11, 16]); // float, float16, double, bfloat16
const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13]);
const BOOL = 9;

/** Decodes a TensorProto (initializer, Constant value, or a test_data_set *.pb file). */
export async function decodeTensor(t: ITensorProto, baseDir: string | null = null): Promise<ConstTensor> {
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((p, d) => p * d, 1);
  const type = t.dataType ?? 0;
  const name = t.name ? `tensor "${t.name}"` : 'tensor';
  // Check before allocating: a hostile header must not make us reserve gigabytes (or throw a bare RangeError).
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${name}: invalid dims [${dims}]`);
  if (count > MAX_TENSOR_ELEMENTS) throw new Error(`${name}: dims [${dims}] hold ${count} values, more than the ${MAX_TENSOR_ELEMENTS} a model may have`);
  let raw: Uint8Array | null = null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    raw = await readExternal(t, baseDir, name);
  } else if (t.rawData && t.rawData.length > 0) {
    raw = t.rawData;
  }
  const kind: ElemKind = FLOAT_TYPES.has(type) ? 'float' : INT_TYPES.has(type) ? 'int' : type === BOOL ? 'bool' : (() => {
    throw new Error(`${name}: ONNX data type ${type} is not supported`);
  })();
  const out = kind === 'float' ? new Float32Array(count) : new Float64Array(count);
  if (raw) {
    // Copy first: raw bytes inside a protobuf buffer are usually not aligned for typed-array views.
    const copy = raw.slice();
    const dv = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
    const size = elemSize(type);
    if (copy.byteLength !== count * size) {
      throw new Error(`${name}: has ${copy.byteLength} data bytes, expected ${count * size} for dims [${dims}]`);
    }
    for (let i = 0; i < count; i++) out[i] = readElem(dv, i * size, type);
  } else {
    const src: ArrayLike<unknown> =
      type === 1 ? t.floatData ?? [] :
      type === 11 ? t.doubleData ?? [] :
      type === 7 ? t.int64Data ?? [] :
      type === 12 || type === 13 ? t.uint64Data ?? [] :
      t.int32Data ?? []; // int32, int16, int8, uint16, uint8, bool, float16 bits
    if (src.length !== count) {
      throw new Error(`${name}: has ${src.length} values, expected ${count} for dims [${dims}]`);
    }
    for (let i = 0; i < count; i++) {
      const v = num(src[i]);
      out[i] = type === 10 ? halfToFloat(v) : type === 16 ? bf16ToFloat(v) : v;
    }
  }
  return { dims, kind, data: out };
}

function elemSize(type: number): number {
  switch (type) {
    case 1: case 6: case 12: return 4;
    case 7: case 11: case 13: return 8;
    case 2: case 3: case 9: return 1;
    case 4: case 5: case 10: case 16: return 2;
    default: throw new Error(`ONNX data type ${type} has no raw layout here`);
  }
}

function readElem(dv: DataView, o: number, type: number): number {
  switch (type) {
    case 1: return dv.getFloat32(o, true);
    case 11: return dv.getFloat64(o, true);
    case 10: return halfToFloat(dv.getUint16(o, true));
    case 16: return bf16ToFloat(dv.getUint16(o, true));
    case 2: case 9: return dv.getUint8(o);
    case 3: return dv.getInt8(o);
    case 4: return dv.getUint16(o, true);
    case 5: return dv.getInt16(o, true);
    case 6: return dv.getInt32(o, true);
    case 12: return dv.getUint32(o, true);
    case 7: return Number(dv.getBigInt64(o, true));
    case 13: return Number(dv.getBigUint64(o, true));
    default: throw new Error(`ONNX data type ${type} is not supported`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bf16ToFloat(b: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, b << 16, true);
  return dv.getFloat32(0, true);
}

/** Reads an external-data tensor; the file must stay inside the model's folder (no absolute paths, `..`, or symlinks out). */
async function readExternal(t: ITensorProto, baseDir: string | null, name: string): Promise<Uint8Array> {
  const kv = new Map<string, string>((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new Error(`${name}: external data without a "location" key`);
  if (baseDir === null) {
    throw new Error(`${name}: uses external data "${location}"; pass the model as a file path so it can be resolved`);
  }
  if (isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
    throw new Error(`${name}: external data path "${location}" leaves the model folder (refused)`);
  }
  const realBase = await realpath(baseDir);
  let target: string;
  try {
    target = await realpath(resolve(baseDir, location));
  } catch {
    throw new Error(`${name}: external data file "${location}" not found next to the model`);
  }
  if (!target.startsWith(realBase + sep)) {
    throw new Error(`${name}: external data path "${location}" resolves outside the model folder (refused)`);
  }
  const file = new Uint8Array(await readFile(target));
  const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
  const length = kv.has('length') ? Number(kv.get('length')) : file.byteLength - offset;
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > file.byteLength) {
    throw new Error(`${name}: external data range offset=${offset} length=${length} is outside "${location}" (${file.byteLength} bytes)`);
  }
  return file.subarray(offset, offset + length);
}
