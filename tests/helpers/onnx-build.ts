// Writes small ONNX ModelProtos with onnx-proto for converter unit tests (no Python needed).
import onnxPkg from 'onnx-proto';

const { onnx } = onnxPkg;

/** Attribute values: integer numbers become INT, `float(x)` FLOAT, arrays INTS, `floats([...])` FLOATS. */
export type AttrSpec = number | number[] | string | string[] | { float: number } | { floats: number[] } | TensorSpec;
export const float = (x: number) => ({ float: x });
export const floats = (x: number[]) => ({ floats: x });

export interface TensorSpec { dims: number[]; data: ArrayLike<number>; type?: 'float' | 'int64' | 'bool' }

export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrSpec>; name?: string }

export interface ModelSpec {
  inputs: { name: string; dims: (number | string)[]; type?: 'float' | 'int64' }[];
  outputs: { name: string; dims?: (number | string)[]; type?: 'float' | 'int64' }[];
  nodes: NodeSpec[];
  initializers?: Record<string, TensorSpec>;
  opset?: number;
  irVersion?: number;
  /** initializers stored as external data: name -> { location, offset? } (bytes written by the caller) */
  external?: Record<string, { location: string; offset?: number }>;
  producer?: string;
  /** store initializers as raw_data bytes instead of float_data/int64_data */
  raw?: boolean;
}

const TYPE = { float: 1, int64: 7, bool: 9 } as const;

export function tensorProto(name: string, t: TensorSpec, external?: { location: string; offset?: number }, raw = false) {
  const type = t.type ?? 'float';
  const p = onnx.TensorProto.create({ name, dims: t.dims, dataType: TYPE[type] });
  if (external) {
    p.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    const bytes = tensorBytes(t);
    p.externalData = [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(external.offset ?? 0) },
      { key: 'length', value: String(bytes.length) },
    ];
  } else if (raw) p.rawData = tensorBytes(t);
  else if (type === 'float') p.floatData = Array.from(t.data);
  else if (type === 'int64') p.int64Data = Array.from(t.data);
  else p.int32Data = Array.from(t.data);
  return p;
}

/** Little-endian raw bytes of a tensor (what an external data file holds). */
export function tensorBytes(t: TensorSpec): Uint8Array {
  const type = t.type ?? 'float';
  if (type === 'float') return new Uint8Array(Float32Array.from(t.data).buffer);
  if (type === 'int64') return new Uint8Array(BigInt64Array.from(Array.from(t.data, (v) => BigInt(v))).buffer);
  return Uint8Array.from(t.data);
}

function attrProto(name: string, v: AttrSpec) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v) && v.some((x) => typeof x === 'string')) return { name, type: T.STRINGS,
    strings: (v as string[]).map((x) => new TextEncoder().encode(x)) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v as number[] };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: tensorProto('', v) };
}

const valueInfo = (name: string, dims?: (number | string)[], type: 'float' | 'int64' = 'float') => ({
  name,
  type: { tensorType: { elemType: TYPE[type], shape: dims
    ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined } },
});

export function buildModel(spec: ModelSpec): Uint8Array {
  const init = Object.entries(spec.initializers ?? {}).map(([n, t]) => tensorProto(n, t, spec.external?.[n], spec.raw));
  const model = onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producer ?? 'onnx-build (tests)',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrProto(k, v)),
      })),
      initializer: init,
      input: spec.inputs.map((v) => valueInfo(v.name, v.dims, v.type)),
      output: spec.outputs.map((v) => valueInfo(v.name, v.dims, v.type)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Deterministic pseudo-random values in [-scale, scale) (xorshift; independent of the code under test). */
export function randomData(count: number, seed: number, scale = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s / 4294967296 * 2 - 1) * scale;
  });
}
