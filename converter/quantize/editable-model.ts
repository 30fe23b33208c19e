// A .evae file as editable writer structures (converter/writer.ts): tensors with their raw constant bytes,
// entries with their ops. The quantizer rewrites these and writes them back with writeModel, so it works
// on any valid float model, independent of how the converter produced it.
import { DType, ENTRY_NAME, EntryKind, TensorKind, type Op } from '../../runtime/format-constants.js';
import { readModel } from '../../runtime/format.js';
import { seqInitWord } from '../../runtime/format-sequence.js';
import { writeModel, type WEntry, type WModel, type WTensor } from '../writer.js';

const NONE = 0xffffffff;
const DTYPE_CODE = { f32: DType.F32, f16: DType.F16, i8: DType.I8, i32: DType.I32, u8: DType.U8 } as const;

export interface EditableModel extends WModel { arenaPerSample: number }

export function readEditable(bytes: Uint8Array): EditableModel {
  const info = readModel(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors: WTensor[] = info.tensors.map((t) => {
    const base: WTensor = {
      kind: t.kind === 'constant' ? TensorKind.Constant : TensorKind.Activation,
      dtype: DTYPE_CODE[t.dtype], dims: [...t.dims], scale: t.scale, zeroPoint: t.zeroPoint,
    };
    if (t.kind === 'constant') base.data = bytes.slice(t.offset, t.offset + t.byteLength);
    else { base.offset = t.offset; base.byteLength = t.byteLength; }
    if (t.qCount) base.channelScales = Float32Array.from({ length: t.qCount }, (_, i) => view.getFloat32(t.qOffset + 4 * i, true));
    return base;
  });
  const q = info.sequence;
  const reserved = (kind: string) =>
    (kind === 'seq-init' ? seqInitWord(q!.maxLength, q!.neverEmitted) : kind === 'seq-step' ? (q!.bos | (q!.eos << 16)) >>> 0 : 0);
  const entries: WEntry[] = info.entries.map((e) => ({
    kind: ENTRY_NAME.indexOf(e.kind) as EntryKind,
    reserved: reserved(e.kind),
    input: e.input,
    outputs: [...e.outputs],
    ops: info.ops.slice(e.opStart, e.opStart + e.opCount).map((o) => ({
      op: o.opcode as Op, out: o.output, a: o.a, b: o.b === NONE ? undefined : o.b, c: o.c === NONE ? undefined : o.c,
      act: o.activation, alpha: o.alpha, params: [...o.params],
    })),
  }));
  return { meta: { ...info.metadata }, tensors, entries, arenaPerSample: info.arenaPerSample, flags: info.flags };
}

export const writeEditable = (m: EditableModel): Uint8Array => writeModel(m);

import { elementCount } from '../../reference/tensor-data.js';

export { bytesOf, constantF32, constantI32, constantI8, elementCount } from '../../reference/tensor-data.js';

/** Appends a fresh activation slot (never shared) at the end of the arena. */
export function addActivation(m: EditableModel, like: WTensor, dtype: DType, q?: { scale: number; zeroPoint: number }, offset?: number): number {
  const bytes = elementCount(like.dims) * (dtype === DType.I8 || dtype === DType.U8 ? 1 : dtype === DType.F16 ? 2 : 4);
  let off = offset;
  if (off === undefined) {
    off = m.arenaPerSample;
    m.arenaPerSample += Math.ceil(bytes / 16) * 16;
  }
  m.tensors.push({ kind: TensorKind.Activation, dtype, dims: [...like.dims], offset: off, byteLength: Math.max(bytes, 1), scale: q?.scale ?? 0, zeroPoint: q?.zeroPoint ?? 0 });
  return m.tensors.length - 1;
}

export function addConstant(m: EditableModel, dtype: DType, dims: number[], data: Uint8Array, channelScales?: Float32Array): number {
  m.tensors.push({ kind: TensorKind.Constant, dtype, dims: [...dims], data, scale: 0, zeroPoint: 0, channelScales });
  return m.tensors.length - 1;
}
