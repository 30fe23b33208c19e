// Serializer of the .evae format (docs/format.md). Pure layout: it places sections, assigns constant
// data offsets (and activation slots when the caller has no plan) and computes the checksum.
// It rejects inputs that could never pass the loaders, with a message naming the tensor/op.
import {
  ALIGN, DTYPE_SIZE, ENTRY_BYTES, MAX_ENTRIES, HEADER_BYTES, MAGIC, MAX_ELEMENTS, MAX_OPS, MAX_TENSORS, NONE,
  OP_BYTES, OP_WORDS, TENSOR_BYTES, VERSION, DType, EntryKind, Op, Act, TensorKind,
} from '../runtime/format-constants.js';
import { crc32 } from '../format/crc32.js';

export interface WTensor {
  kind: TensorKind;
  dtype: DType;
  dims: number[];
  /** constants: raw little-endian bytes */
  data?: Uint8Array;
  /** activations: per-sample arena offset (planner); if ALL activations lack it, the writer assigns disjoint slots */
  offset?: number;
  byteLength?: number;
  scale?: number;
  zeroPoint?: number;
  channelScales?: Float32Array;
  name?: string;
}
export interface WOp { op: Op; out: number; a: number; b?: number; c?: number; act?: Act; alpha?: number; params?: number[]; name?: string }
/** `reserved`: word 7 of the entry (sequence models: seq-init maxLength | never-emit mask << 16, seq-step bos | eos << 16), else 0. */
export interface WEntry { kind: EntryKind; input: number; outputs: number[]; ops: WOp[]; reserved?: number }
/** flags: header flags (format.md "Header"; FLAG_RELU_U7 for int8-relaxed files), 0 when absent. */
export interface WModel { meta: Record<string, unknown>; tensors: WTensor[]; entries: WEntry[]; arenaPerSample?: number; flags?: number }

const MAX_PARAMS = OP_WORDS - 7;

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function elementCount(t: WTensor, i: number): number {
  if (t.dims.length > 4) throw new Error(`writeModel: tensor ${i} has rank ${t.dims.length} (at most 4)`);
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 1) throw new Error(`writeModel: tensor ${i} has invalid dim ${d} in [${t.dims}]`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) throw new Error(`writeModel: tensor ${i} has ${n} elements (at most 2^26)`);
  return n;
}

/** Activation slots: the caller's plan, or (when no activation has an offset) one disjoint slot each. */
function planActivations(tensors: WTensor[], minArena: number | undefined): { offsets: number[]; lengths: number[]; arena: number } {
  const offsets: number[] = [];
  const lengths: number[] = [];
  const acts = tensors.map((t, i) => ({ t, i })).filter(({ t }) => t.kind === TensorKind.Activation);
  const planned = acts.filter(({ t }) => t.offset !== undefined).length;
  if (planned !== 0 && planned !== acts.length) throw new Error('writeModel: either all activations have an offset or none');
  let cursor = 0;
  let arena = 0;
  for (const { t, i } of acts) {
    const need = elementCount(t, i) * DTYPE_SIZE[t.dtype];
    const len = t.byteLength ?? need;
    if (len < need) throw new Error(`writeModel: activation ${i} byteLength ${len} < ${need}`);
    let off: number;
    if (planned) {
      off = t.offset!;
      if (!Number.isInteger(off) || off < 0 || off % ALIGN) throw new Error(`writeModel: activation ${i} offset ${off} is not a non-negative multiple of 16`);
    } else {
      off = cursor;
      cursor = align(cursor + len);
    }
    offsets[i] = off;
    lengths[i] = len;
    arena = Math.max(arena, align(off + len));
  }
  if (minArena !== undefined) {
    if (minArena % ALIGN || minArena < arena) throw new Error(`writeModel: arenaPerSample ${minArena} must be a multiple of 16 and >= ${arena}`);
    arena = minArena;
  }
  return { offsets, lengths, arena };
}

export function writeModel(m: WModel): Uint8Array {
  const { tensors, entries } = m;
  if (tensors.length > MAX_TENSORS) throw new Error(`writeModel: ${tensors.length} tensors (at most ${MAX_TENSORS})`);
  if (entries.length > MAX_ENTRIES) throw new Error(`writeModel: ${entries.length} entries (at most ${MAX_ENTRIES})`);
  const ops = entries.flatMap((e) => e.ops);
  if (ops.length > MAX_OPS) throw new Error(`writeModel: ${ops.length} ops (at most ${MAX_OPS})`);

  const meta = new TextEncoder().encode(JSON.stringify(m.meta));
  const plan = planActivations(tensors, m.arenaPerSample);

  // Section placement: header, meta, tensor table, entry table, op stream, data.
  const metaOffset = HEADER_BYTES;
  const tensorOffset = align(metaOffset + meta.length);
  const entryOffset = align(tensorOffset + tensors.length * TENSOR_BYTES);
  const opOffset = align(entryOffset + entries.length * ENTRY_BYTES);
  const dataOffset = align(opOffset + ops.length * OP_BYTES);

  // Data section: every constant and every per-channel scale table, 16-aligned.
  const constOffsets: number[] = [];
  const scaleOffsets: number[] = [];
  let cursor = dataOffset;
  tensors.forEach((t, i) => {
    if (t.kind === TensorKind.Constant) {
      const need = elementCount(t, i) * DTYPE_SIZE[t.dtype];
      if (!t.data) throw new Error(`writeModel: constant ${i} has no data`);
      if (t.data.length !== need) throw new Error(`writeModel: constant ${i} has ${t.data.length} bytes, dims [${t.dims}] ${t.dtype} need ${need}`);
      constOffsets[i] = cursor;
      cursor = align(cursor + need);
    } else if (t.kind !== TensorKind.Activation) {
      throw new Error(`writeModel: tensor ${i} has unknown kind ${t.kind}`);
    }
    if (t.channelScales && t.channelScales.length) {
      scaleOffsets[i] = cursor;
      cursor = align(cursor + t.channelScales.length * 4);
    }
  });
  const fileSize = cursor;
  const dataLength = fileSize - dataOffset;

  const bytes = new Uint8Array(fileSize);
  const view = new DataView(bytes.buffer);
  const u32 = (off: number, v: number): void => view.setUint32(off, v >>> 0, true);

  u32(0, MAGIC);
  u32(4, VERSION);
  u32(8, fileSize);
  u32(16, m.flags ?? 0);
  u32(20, metaOffset);
  u32(24, meta.length);
  u32(28, tensorOffset);
  u32(32, tensors.length);
  u32(36, entryOffset);
  u32(40, entries.length);
  u32(44, opOffset);
  u32(48, ops.length);
  u32(52, dataOffset);
  u32(56, dataLength);
  u32(60, plan.arena);
  bytes.set(meta, metaOffset);

  tensors.forEach((t, i) => {
    const base = tensorOffset + i * TENSOR_BYTES;
    view.setUint16(base, t.kind, true);
    view.setUint16(base + 2, t.dtype, true);
    u32(base + 4, t.dims.length);
    t.dims.forEach((d, k) => u32(base + 8 + 4 * k, d));
    if (t.kind === TensorKind.Constant) {
      u32(base + 24, constOffsets[i]);
      u32(base + 28, t.data!.length);
      bytes.set(t.data!, constOffsets[i]);
    } else {
      u32(base + 24, plan.offsets[i]);
      u32(base + 28, plan.lengths[i]);
    }
    view.setFloat32(base + 32, t.scale ?? 0, true);
    view.setInt32(base + 36, t.zeroPoint ?? 0, true);
    if (scaleOffsets[i] !== undefined) {
      const s = t.channelScales!;
      u32(base + 40, scaleOffsets[i]);
      u32(base + 44, s.length);
      s.forEach((v, k) => view.setFloat32(scaleOffsets[i] + 4 * k, v, true));
    }
  });

  let opStart = 0;
  entries.forEach((e, i) => {
    if (e.outputs.length < 1 || e.outputs.length > 2) throw new Error(`writeModel: entry ${i} has ${e.outputs.length} outputs (1 or 2)`);
    const base = entryOffset + i * ENTRY_BYTES;
    u32(base, e.kind);
    u32(base + 4, opStart);
    u32(base + 8, e.ops.length);
    u32(base + 12, e.input);
    u32(base + 16, e.outputs.length);
    u32(base + 20, e.outputs[0]);
    u32(base + 24, e.outputs.length > 1 ? e.outputs[1] : NONE);
    u32(base + 28, e.reserved ?? 0);
    opStart += e.ops.length;
  });

  ops.forEach((o, i) => {
    const base = opOffset + i * OP_BYTES;
    const params = o.params ?? [];
    if (params.length > MAX_PARAMS) throw new Error(`writeModel: op ${i} has ${params.length} params (at most ${MAX_PARAMS})`);
    u32(base, o.op);
    u32(base + 4, o.out);
    u32(base + 8, o.a);
    u32(base + 12, o.b ?? NONE);
    u32(base + 16, o.c ?? NONE);
    u32(base + 20, o.act ?? 0);
    view.setFloat32(base + 24, o.alpha ?? 0, true);
    params.forEach((p, k) => {
      if (!Number.isInteger(p) || p < 0 || p > 0xffffffff) throw new Error(`writeModel: op ${i} param ${k} = ${p} is not a u32`);
      u32(base + 28 + 4 * k, p);
    });
  });

  u32(12, crc32(bytes, 16, fileSize));
  return bytes;
}
