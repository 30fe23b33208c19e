// Seeded structure-aware mutations of valid .evae files (docs/format.md): raw byte damage, truncation and
// extension, plus targeted edits of header fields, section offsets, tensor records, ops, entries,
// quantization parameters and weight values. The checksum is either left stale (the CRC must catch it)
// or recomputed, so the validators behind the CRC are exercised too.
import { crc32 } from '../format/crc32.js';
import { ENTRY_BYTES, HEADER_BYTES, OP_BYTES, OP_WORDS, TENSOR_BYTES } from '../runtime/format-constants.js';
import type { Rng } from './rng.js';

export const MUTATION_KINDS = [
  'bit-flip', 'byte-set', 'truncate', 'extend', 'header-field', 'section', 'tensor-field', 'op-field',
  'entry-field', 'quant-params', 'weight-values', 'swap-records', 'copy-record', 'paired-fields',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutated {
  bytes: Uint8Array;
  /** what was done, e.g. "tensor-field t3.dims[1]=0" */
  steps: string[];
  /** 'fixed' when the CRC was recomputed after the damage, 'stale' when left as it was */
  checksum: 'fixed' | 'stale';
}

/** Header words by byte offset (docs/format.md "Header"). */
const HEADER_FIELDS: Record<number, string> = {
  4: 'version', 8: 'fileSize', 12: 'checksum', 16: 'flags', 20: 'metaOffset', 24: 'metaLength', 28: 'tensorOffset',
  32: 'tensorCount', 36: 'entryOffset', 40: 'entryCount', 44: 'opOffset', 48: 'opCount', 52: 'dataOffset',
  56: 'dataLength', 60: 'arenaPerSample',
};
const SECTION_FIELDS = [20, 24, 28, 36, 44, 52, 56];
const TENSOR_FIELDS: Array<[string, number, 'u16' | 'u32' | 'f32' | 'i32']> = [
  ['kind', 0, 'u16'], ['dtype', 2, 'u16'], ['rank', 4, 'u32'], ['dims[0]', 8, 'u32'], ['dims[1]', 12, 'u32'],
  ['dims[2]', 16, 'u32'], ['dims[3]', 20, 'u32'], ['offset', 24, 'u32'], ['byteLength', 28, 'u32'],
  ['scale', 32, 'f32'], ['zeroPoint', 36, 'i32'], ['qOffset', 40, 'u32'], ['qCount', 44, 'u32'],
];
const ENTRY_FIELDS = ['kind', 'opStart', 'opCount', 'input', 'outputCount', 'output0', 'output1', 'reserved'];
const OP_FIELDS = ['opcode', 'out', 'a', 'b', 'c', 'act', 'alpha', 'w7', 'w8', 'w9', 'w10', 'w11', 'w12', 'w13', 'w14', 'w15'];
const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, 0, -0, -1, 1e-45, 1e-38, 3.4e38, 1e30, -1e30, 65504, 1e-7, 0.5, 255];

/** Layout of the tables as the (unmutated) header describes them. */
interface Layout {
  tensorOffset: number; tensorCount: number; entryOffset: number; entryCount: number;
  opOffset: number; opCount: number; dataOffset: number; dataLength: number; structureEnd: number;
}

function layoutOf(b: Uint8Array): Layout {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u = (o: number) => v.getUint32(o, true);
  return {
    tensorOffset: u(28), tensorCount: u(32), entryOffset: u(36), entryCount: u(40), opOffset: u(44), opCount: u(48),
    dataOffset: u(52), dataLength: u(56), structureEnd: Math.min(u(52), b.length),
  };
}

/** Values that tend to sit on validation boundaries: 0, 1, powers of two and their neighbours, all ones. */
function interestingU32(rng: Rng, old: number, related: number[]): number {
  const r = rng.int(10);
  if (r === 0) return rng.u32();
  if (r === 1) return (old + rng.pick([1, -1, 2, -2, 4, -4, 16, -16, 48, -48, 64, -64])) >>> 0;
  if (r === 2) return rng.pick([(old * 2) >>> 0, old >>> 1, (old * 4) >>> 0, old ^ 0x80000000]);
  if (r === 3 && related.length > 0) return (rng.pick(related) + rng.pick([0, 0, 1, -1, 16, -16])) >>> 0;
  if (r === 4) return rng.int(20);
  const shift = rng.int(32);
  return rng.pick([0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 15, 16, 17, 31, 32, 48, 63, 64, 255, 256, 0x7fff, 0x8000, 0xffff,
    0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffe, 0xffffffff, (1 << shift) >>> 0, ((1 << shift) - 1) >>> 0]);
}

class Editor {
  readonly view: DataView;
  readonly steps: string[] = [];
  constructor(public bytes: Uint8Array, readonly layout: Layout, readonly rng: Rng) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  /** Header values of the original file plus table counts, used as "related" candidates. */
  related(): number[] {
    const L = this.layout;
    return [L.tensorCount, L.opCount, L.entryCount, L.dataOffset, L.dataLength, L.tensorOffset, L.opOffset, this.bytes.length,
      L.dataOffset + L.dataLength];
  }
  inFile(off: number, size: number): boolean { return off >= 0 && off + size <= this.bytes.length; }
  /** u32 at `off`, or 0 when a previous mutation cut the file short of it. */
  u32(off: number): number { return this.inFile(off, 4) ? this.view.getUint32(off, true) : 0; }
  setU32(off: number, value: number, what: string): void {
    if (!this.inFile(off, 4)) return;
    this.view.setUint32(off, value >>> 0, true);
    this.steps.push(`${what}=${value >>> 0}`);
  }
}

function bitFlip(e: Editor): void {
  const n = e.bytes.length;
  const structure = e.rng.chance(0.7) && e.layout.structureEnd > 16;
  const pos = structure ? e.rng.int(e.layout.structureEnd) : e.rng.int(n);
  const bits = 1 + e.rng.int(e.rng.chance(0.8) ? 1 : 8);
  for (let k = 0; k < bits; k++) e.bytes[pos] ^= 1 << e.rng.int(8);
  e.steps.push(`bit-flip @${pos}`);
}

function byteSet(e: Editor): void {
  const structure = e.rng.chance(0.7) && e.layout.structureEnd > 16;
  const pos = structure ? e.rng.int(e.layout.structureEnd) : e.rng.int(e.bytes.length);
  const len = e.rng.pick([1, 1, 1, 2, 4, 8, 16, 64]);
  const value = e.rng.pick([0, 0xff, 0x7f, 0x80, e.rng.int(256)]);
  e.bytes.fill(value, pos, Math.min(pos + len, e.bytes.length));
  e.steps.push(`byte-set @${pos}+${len}=${value}`);
}

function truncate(e: Editor): Uint8Array {
  const n = e.bytes.length;
  const cut = e.rng.pick([0, 1, 15, 16, 63, 64, 65, e.layout.dataOffset, n - 1, n - 16, e.rng.int(n)]);
  const len = Math.max(0, Math.min(n - 1, cut));
  e.steps.push(`truncate to ${len}`);
  const out = e.bytes.slice(0, len);
  // Sometimes make the header agree, so only the sections tell the truth.
  if (len >= 12 && e.rng.chance(0.5)) { new DataView(out.buffer).setUint32(8, len, true); e.steps.push('fileSize=len'); }
  return out;
}

function extend(e: Editor): Uint8Array {
  const add = e.rng.pick([1, 15, 16, 64, 1000, 1 + e.rng.int(4096)]);
  const out = new Uint8Array(e.bytes.length + add);
  out.set(e.bytes);
  const fill = e.rng.pick([0, 0xff, -1]);
  for (let i = e.bytes.length; i < out.length; i++) out[i] = fill < 0 ? e.rng.int(256) : fill;
  e.steps.push(`extend by ${add}`);
  if (out.length >= 12 && e.rng.chance(0.6)) { new DataView(out.buffer).setUint32(8, out.length, true); e.steps.push('fileSize=len'); }
  return out;
}

function headerField(e: Editor, offsets: number[]): void {
  const off = e.rng.pick(offsets);
  e.setU32(off, interestingU32(e.rng, e.u32(off), e.related()), `header.${HEADER_FIELDS[off]}`);
}

function tensorField(e: Editor, t: number, fields = TENSOR_FIELDS): void {
  const base = e.layout.tensorOffset + t * TENSOR_BYTES;
  const [name, off, type] = e.rng.pick(fields);
  const at = base + off;
  if (!e.inFile(at, 4)) return;
  const what = `tensor ${t}.${name}`;
  if (type === 'u16') {
    const old = e.view.getUint16(at, true);
    const v = e.rng.pick([0, 1, 2, 3, 4, 5, 0xffff, old ^ 1, e.rng.int(0x10000)]);
    e.view.setUint16(at, v, true);
    e.steps.push(`${what}=${v}`);
  } else if (type === 'f32') {
    const v = e.rng.chance(0.7) ? e.rng.pick(SPECIAL_FLOATS) : e.view.getFloat32(at, true) * e.rng.pick([-1, 2, 0.5, 1e10]);
    e.view.setFloat32(at, v, true);
    e.steps.push(`${what}=${v}`);
  } else if (type === 'i32') {
    const v = e.rng.pick([0, -1, 1, 127, 128, -128, -129, 255, 256, 0x7fffffff, -0x80000000, e.rng.int(512) - 256]);
    e.view.setInt32(at, v, true);
    e.steps.push(`${what}=${v}`);
  } else {
    e.setU32(at, interestingU32(e.rng, e.u32(at), e.related()), what);
  }
}

function opField(e: Editor, i: number): void {
  const base = e.layout.opOffset + i * OP_BYTES;
  const word = e.rng.int(OP_WORDS);
  const at = base + 4 * word;
  if (!e.inFile(at, 4)) return;
  const old = e.u32(at);
  const what = `op ${i}.${OP_FIELDS[word]}`;
  let v: number;
  if (word === 0) v = e.rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0xffffffff, e.rng.int(256)]);
  else if (word >= 1 && word <= 4) {
    v = e.rng.pick([0xffffffff, e.layout.tensorCount, e.layout.tensorCount - 1, e.rng.int(Math.max(1, e.layout.tensorCount)), 0, old + 1, old - 1]) >>> 0;
  } else if (word === 5) v = e.rng.int(10);
  else if (word === 6) {
    e.view.setFloat32(at, e.rng.pick(SPECIAL_FLOATS), true);
    e.steps.push(`${what}=${e.view.getFloat32(at, true)}`);
    return;
  } else v = interestingU32(e.rng, old, e.related());
  e.setU32(at, v, what);
}

function entryField(e: Editor, k: number): void {
  const base = e.layout.entryOffset + k * ENTRY_BYTES;
  const word = e.rng.int(8);
  if (!e.inFile(base + 4 * word, 4)) return;
  const old = e.u32(base + 4 * word);
  const v = e.rng.chance(0.5)
    ? e.rng.pick([0, 1, 2, 3, 0xffffffff, old + 1, old - 1, e.layout.opCount, e.layout.tensorCount, e.rng.int(Math.max(1, e.layout.tensorCount))]) >>> 0
    : interestingU32(e.rng, old, e.related());
  e.setU32(base + 4 * word, v, `entry ${k}.${ENTRY_FIELDS[word]}`);
}

/** Scale/zero point of a quantized tensor, or one of its per-channel scales in the data section. */
function quantParams(e: Editor): void {
  const { tensorCount, tensorOffset } = e.layout;
  const quantized: number[] = [];
  for (let t = 0; t < tensorCount; t++) {
    const at = tensorOffset + t * TENSOR_BYTES;
    if (!e.inFile(at, TENSOR_BYTES)) break;
    const dtype = e.view.getUint16(at + 2, true);
    if (dtype === 2 || dtype === 4 || e.u32(at + 44) > 0) quantized.push(t);
  }
  const t = quantized.length > 0 ? e.rng.pick(quantized) : e.rng.int(Math.max(1, tensorCount));
  const at = tensorOffset + t * TENSOR_BYTES;
  const qOffset = e.inFile(at, TENSOR_BYTES) ? e.u32(at + 40) : 0;
  const qCount = e.inFile(at, TENSOR_BYTES) ? e.u32(at + 44) : 0;
  if (qCount > 0 && e.rng.chance(0.5) && e.inFile(qOffset, 4 * qCount)) {
    const k = e.rng.int(qCount);
    const v = e.rng.pick(SPECIAL_FLOATS);
    e.view.setFloat32(qOffset + 4 * k, v, true);
    e.steps.push(`tensor ${t}.channelScale[${k}]=${v}`);
    return;
  }
  tensorField(e, t, TENSOR_FIELDS.filter(([n]) => n === 'scale' || n === 'zeroPoint' || n === 'qOffset' || n === 'qCount'));
}

/** Non-finite or extreme weights: the file stays valid, the kernels must still not trap. */
function weightValues(e: Editor): void {
  const { dataOffset, dataLength } = e.layout;
  if (dataLength < 4 || !e.inFile(dataOffset, dataLength)) return bitFlip(e);
  const n = e.rng.pick([1, 1, 4, 64]);
  for (let k = 0; k < n; k++) {
    const at = dataOffset + 4 * e.rng.int(Math.floor(dataLength / 4));
    const v = e.rng.pick(SPECIAL_FLOATS);
    if (e.rng.chance(0.7)) e.view.setFloat32(at, v, true);
    else e.view.setUint32(at, e.rng.u32(), true);
  }
  e.steps.push(`weight-values x${n}`);
}

function recordRange(e: Editor): { base: number; size: number; count: number; name: string } {
  const L = e.layout;
  const choice = e.rng.int(3);
  if (choice === 0) return { base: L.tensorOffset, size: TENSOR_BYTES, count: L.tensorCount, name: 'tensor' };
  if (choice === 1) return { base: L.opOffset, size: OP_BYTES, count: L.opCount, name: 'op' };
  return { base: L.entryOffset, size: ENTRY_BYTES, count: L.entryCount, name: 'entry' };
}

function swapRecords(e: Editor, copyOnly: boolean): void {
  const r = recordRange(e);
  if (r.count < 1) return bitFlip(e);
  const i = e.rng.int(r.count), j = e.rng.int(r.count);
  const a = r.base + i * r.size, b = r.base + j * r.size;
  if (!e.inFile(a, r.size) || !e.inFile(b, r.size)) return;
  const tmp = e.bytes.slice(a, a + r.size);
  e.bytes.copyWithin(a, b, b + r.size);
  if (!copyOnly) e.bytes.set(tmp, b);
  e.steps.push(`${copyOnly ? 'copy' : 'swap'} ${r.name} ${j}${copyOnly ? ' over' : ' and'} ${i}`);
}

const DTYPE_BYTES = [4, 2, 1, 4, 1];

/**
 * Two fields changed together so the pair stays self-consistent and reaches a rule behind the first one:
 * outputCount with output1, qOffset (pointing at a positive float) with qCount, dims or dtype with byteLength.
 */
function pairedFields(e: Editor): void {
  const L = e.layout;
  const choice = e.rng.int(4);
  if (choice === 0 && L.entryCount > 0) {
    const base = L.entryOffset + e.rng.int(L.entryCount) * ENTRY_BYTES;
    const two = e.rng.chance(0.5);
    e.setU32(base + 16, two ? 2 : 1, 'entry.outputCount');
    e.setU32(base + 24, two ? e.u32(base + 20) : 0xffffffff, 'entry.output1');
    return;
  }
  if (L.tensorCount === 0) return bitFlip(e);
  const t = e.rng.int(L.tensorCount);
  const rec = L.tensorOffset + t * TENSOR_BYTES;
  if (!e.inFile(rec, TENSOR_BYTES)) return;
  if (choice === 1) {
    let at = L.dataOffset + 16 * e.rng.int(Math.max(1, Math.floor(L.dataLength / 16)));
    while (e.inFile(at, 4) && at < L.dataOffset + L.dataLength && !(e.view.getFloat32(at, true) > 0)) at += 16;
    e.setU32(rec + 40, at, `tensor ${t}.qOffset`);
    e.setU32(rec + 44, 1 + e.rng.int(4), `tensor ${t}.qCount`);
    return;
  }
  const rank = e.u32(rec + 4);
  if (choice === 2 && rank >= 1 && rank <= 4) {
    const k = e.rng.int(rank);
    e.setU32(rec + 8 + 4 * k, e.rng.pick([1, 2, 3, 4, 7, 8, 16, 28, 64, 784, e.u32(rec + 8 + 4 * k) + 1]), `tensor ${t}.dims[${k}]`);
  } else {
    const dtype = e.rng.int(5);
    e.view.setUint16(rec + 2, dtype, true);
    e.steps.push(`tensor ${t}.dtype=${dtype}`);
  }
  let elements = 1;
  for (let k = 0; k < Math.min(rank, 4); k++) elements *= e.u32(rec + 8 + 4 * k);
  e.setU32(rec + 28, elements * (DTYPE_BYTES[e.view.getUint16(rec + 2, true)] ?? 4), `tensor ${t}.byteLength`);
}

function applyOne(e: Editor, kind: MutationKind): Uint8Array | undefined {
  const L = e.layout;
  switch (kind) {
    case 'bit-flip': bitFlip(e); return;
    case 'byte-set': byteSet(e); return;
    case 'truncate': return truncate(e);
    case 'extend': return extend(e);
    case 'header-field': headerField(e, Object.keys(HEADER_FIELDS).map(Number)); return;
    case 'section': headerField(e, SECTION_FIELDS); return;
    case 'tensor-field': if (L.tensorCount > 0) tensorField(e, e.rng.int(L.tensorCount)); return;
    case 'op-field': if (L.opCount > 0) opField(e, e.rng.int(L.opCount)); return;
    case 'entry-field': if (L.entryCount > 0) entryField(e, e.rng.int(L.entryCount)); return;
    case 'quant-params': quantParams(e); return;
    case 'weight-values': weightValues(e); return;
    case 'swap-records': swapRecords(e, false); return;
    case 'copy-record': swapRecords(e, true); return;
    case 'paired-fields': pairedFields(e); return;
  }
}

/**
 * Weights of each mutation kind: the structure-aware kinds dominate, byte-level damage keeps them honest.
 * 'paired-fields' came later and runs only when forced (run.ts --kind), so earlier seeded runs replay unchanged.
 */
const KIND_WEIGHTS: Array<[MutationKind, number]> = [
  ['bit-flip', 10], ['byte-set', 6], ['truncate', 3], ['extend', 3], ['header-field', 6], ['section', 6],
  ['tensor-field', 20], ['op-field', 20], ['entry-field', 6], ['quant-params', 8], ['weight-values', 6],
  ['swap-records', 3], ['copy-record', 3],
];
const TOTAL_WEIGHT = KIND_WEIGHTS.reduce((s, [, w]) => s + w, 0);

function pickKind(rng: Rng): MutationKind {
  let r = rng.int(TOTAL_WEIGHT);
  for (const [k, w] of KIND_WEIGHTS) {
    if (r < w) return k;
    r -= w;
  }
  return 'bit-flip';
}

/** Writes the CRC-32 of bytes [16, length) into the header (no-op for buffers shorter than the header). */
export function refreshChecksum(bytes: Uint8Array): void {
  if (bytes.length < HEADER_BYTES) return;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(12, crc32(bytes, 16, bytes.length), true);
}

/** One to three mutations of a copy of `source`; the checksum is recomputed in ~80% of the cases. */
export function mutate(source: Uint8Array, rng: Rng, forceKind?: MutationKind): Mutated {
  const layout = layoutOf(source);
  let e = new Editor(source.slice(), layout, rng);
  const rounds = forceKind ? 1 : rng.pick([1, 1, 1, 1, 2, 2, 3]);
  const steps: string[] = [];
  for (let k = 0; k < rounds; k++) {
    const replaced = applyOne(e, forceKind ?? pickKind(rng));
    steps.push(...e.steps);
    e = new Editor(replaced ?? e.bytes, layout, rng);
  }
  const fix = rng.chance(0.8);
  if (fix) refreshChecksum(e.bytes);
  return { bytes: e.bytes, steps, checksum: fix ? 'fixed' : 'stale' };
}
