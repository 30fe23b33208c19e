// Reader and validator of the .evae format (docs/format.md). Independently written from the wasm loader
// (assembly/loader.ts) but enforcing the same "Validation" rules, with messages that name the problem.
// Browser-safe: no Node imports.
import { crc32 } from '../format/crc32.js';
import {
  ACT_NAME, ALIGN, DTYPE_NAME, DTYPE_SIZE, ENTRY_BYTES, ENTRY_NAME, HEADER_BYTES, MAGIC, MAX_ELEMENTS,
  FLAG_RELU_U7, MAX_ENTRIES, MAX_OPS, MAX_TENSORS, NONE, OP_BYTES, OP_NAME, OP_WORDS, TENSOR_BYTES, VERSION,
} from '../format/constants.js';
import { textPreview } from './text-instead-of-model.js';
import { clipBounds } from './clip-bounds.js';
import { checkComputeOp, isComputeOpcode } from './format-compute.js';
import { checkElementwiseOp, isElementwiseOpcode } from './format-elementwise.js';
import { checkLayoutOp, isLayoutOpcode } from './format-layout.js';
import { checkNormOp, isNormOpcode } from './format-norm.js';
import { fail, OpCheck } from './format-op-check.js';
import { checkSpatialOp, isSpatialOpcode } from './format-spatial.js';
import { checkSequenceEntries, checkSequenceOp, isSequenceOpcode, type EntryWords, type SequenceInfo } from './format-sequence.js';

export type DTypeName = (typeof DTYPE_NAME)[number];
export type EntryName = (typeof ENTRY_NAME)[number];

export interface TensorInfo {
  index: number;
  kind: 'constant' | 'activation';
  dtype: DTypeName;
  rank: number;
  dims: number[];
  elements: number;
  offset: number;
  byteLength: number;
  scale: number;
  zeroPoint: number;
  qOffset: number;
  qCount: number;
}

export interface EntryInfo {
  kind: EntryName;
  opStart: number;
  opCount: number;
  input: number;
  outputs: number[];
}

export interface OpInfo {
  index: number;
  opcode: number;
  name: string;
  output: number;
  a: number;
  b: number;
  c: number;
  activation: number;
  alpha: number;
  /** Words 7..15. */
  params: number[];
}

export interface Section {
  name: string;
  offset: number;
  length: number;
}

export interface ModelInfo {
  version: number;
  fileSize: number;
  checksum: number;
  /** Header flags: 0, or FLAG_RELU_U7 (int8 inputs of integer ops with zero point 0 hold 0..127: int8-relaxed). */
  flags: number;
  arenaPerSample: number;
  sections: Section[];
  /** Parsed metadata JSON; {} when absent or unreadable (see metadataError). */
  metadata: Record<string, unknown>;
  /** Why the metadata could not be read. Metadata is informative only, so a bad one does not reject the file. */
  metadataError?: string;
  tensors: TensorInfo[];
  entries: EntryInfo[];
  ops: OpInfo[];
  /** A sequence model's decoder numbers (seq-init + seq-step entries), docs/format.md "Sequence models". */
  sequence?: SequenceInfo;
  /** Sum of the byte lengths of all constant tensors (weights, biases, per-channel scales excluded). */
  constantBytes: number;
}

export interface ReadOptions {
  /**
   * Skip the CRC-32 pass over the whole file (default false). Only for a caller that has the checksum verified
   * elsewhere before it trusts the file: Engine.load leaves it to the wasm loader, which checks it anyway.
   */
  skipChecksum?: boolean;
}


/** Parses and validates a whole .evae file. Throws ModelFormatError naming the first problem found. */
export function readModel(bytes: Uint8Array, options: ReadOptions = {}): ModelInfo {
  if (!(bytes instanceof Uint8Array)) fail('model file: expected a Uint8Array');
  const text = textPreview(bytes);
  if (text !== undefined) fail(
    `model file: got text, not an .evae model (it starts "${text}"); if it was fetched, check the URL: servers answer a missing file ` +
      `with a page like this`);
  if (bytes.length < HEADER_BYTES) fail(`model file is truncated: ${bytes.length} bytes, a header alone is ${HEADER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (off: number) => view.getUint32(off, true);

  if (u32(0) !== MAGIC) {
    const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`model file: bad magic (bytes ${got}), expected "EVAE": not an .evae file`);
  }
  const version = u32(4);
  if (version !== VERSION) fail(`model file: unsupported version ${version}, this runtime reads version ${VERSION}`);
  const fileSize = u32(8);
  if (fileSize > bytes.length) fail(`model file is truncated: header says ${fileSize} bytes, got ${bytes.length}`);
  if (fileSize < bytes.length) fail(`model file has trailing bytes: header says ${fileSize} bytes, got ${bytes.length}`);
  const checksum = u32(12);
  if (!options.skipChecksum) {
    const actual = crc32(bytes, 16, fileSize);
    if (actual !== checksum) {
      fail(`checksum mismatch: header says 0x${hex(checksum)}, bytes [16, ${fileSize}) have CRC-32 0x${hex(actual)} (file corrupted)`);
    }
  }
  const flags = u32(16);
  if ((flags & ~FLAG_RELU_U7) !== 0) fail(`model file: header flags are ${flags}, expected 0 or ${FLAG_RELU_U7} (7-bit relu activations)`);

  const tensorCount = u32(32);
  const entryCount = u32(40);
  const opCount = u32(48);
  const arenaPerSample = u32(60);
  if (tensorCount > MAX_TENSORS) fail(`model file: tensorCount ${tensorCount} exceeds the limit ${MAX_TENSORS}`);
  if (entryCount > MAX_ENTRIES) fail(`model file: entryCount ${entryCount} exceeds the limit ${MAX_ENTRIES}`);
  if (opCount > MAX_OPS) fail(`model file: opCount ${opCount} exceeds the limit ${MAX_OPS}`);
  if (arenaPerSample % ALIGN !== 0) fail(`model file: arenaPerSample ${arenaPerSample} is not a multiple of ${ALIGN}`);

  const sections: Section[] = [
    { name: 'metadata', offset: u32(20), length: u32(24) },
    { name: 'tensor table', offset: u32(28), length: tensorCount * TENSOR_BYTES },
    { name: 'entry table', offset: u32(36), length: entryCount * ENTRY_BYTES },
    { name: 'op stream', offset: u32(44), length: opCount * OP_BYTES },
    { name: 'data', offset: u32(52), length: u32(56) },
  ];
  checkSections(sections, fileSize);
  const [metaSec, tensorSec, entrySec, opSec, dataSec] = sections;

  const { metadata, metadataError } = readMetadata(bytes.subarray(metaSec.offset, metaSec.offset + metaSec.length));
  const tensors: TensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) tensors.push(readTensor(view, tensorSec.offset + i * TENSOR_BYTES, i));
  for (const t of tensors) checkTensor(t, view, dataSec, arenaPerSample);
  const ops: OpInfo[] = [];
  for (let i = 0; i < opCount; i++) ops.push(readOp(view, opSec.offset + i * OP_BYTES, i));
  for (const op of ops) checkOp(op, tensors);
  const entries: EntryInfo[] = [];
  const words: EntryWords = new Map();
  for (let i = 0; i < entryCount; i++) entries.push(
    readEntry(view, entrySec.offset + i * ENTRY_BYTES, i, tensors, opCount, entries, words));
  const sequence = checkSequenceEntries(entries, words, tensors);

  let constantBytes = 0;
  for (const t of tensors) if (t.kind === 'constant') constantBytes += t.byteLength;
  return { version, fileSize, checksum, flags, arenaPerSample, sections, metadata, ...(metadataError ? { metadataError } : {}), tensors,
    entries, ops, ...(sequence ? { sequence } : {}), constantBytes };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function checkSections(sections: Section[], fileSize: number): void {
  const all = [{ name: 'header', offset: 0, length: HEADER_BYTES }, ...sections];
  for (const s of sections) {
    if (s.offset % ALIGN !== 0) fail(`model file: ${s.name} offset ${s.offset} is not ${ALIGN}-byte aligned`);
    if (s.offset < HEADER_BYTES) fail(`model file: ${s.name} offset ${s.offset} lies inside the ${HEADER_BYTES}-byte header`);
    if (s.offset + s.length > fileSize) {
      fail(`model file: ${s.name} [${s.offset}, ${s.offset + s.length}) lies outside the file (${fileSize} bytes)`);
    }
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i], b = all[j];
      if (a.length === 0 || b.length === 0) continue;
      if (a.offset < b.offset + b.length && b.offset < a.offset + a.length) {
        fail(`model file: ${a.name} [${a.offset}, ${a.offset + a.length}) overlaps ${b.name} [${b.offset}, ${b.offset + b.length})`);
      }
    }
  }
}

function readMetadata(raw: Uint8Array): { metadata: Record<string, unknown>; metadataError?: string } {
  if (raw.length === 0) return { metadata: {} };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { metadata: {}, metadataError: 'metadata is not valid UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { metadata: {}, metadataError: `metadata is not valid JSON (${(e as Error).message})` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { metadata: {},
    metadataError: 'metadata JSON is not an object' };
  return { metadata: parsed as Record<string, unknown> };
}

function readTensor(view: DataView, off: number, index: number): TensorInfo {
  const kindCode = view.getUint16(off, true);
  const dtypeCode = view.getUint16(off + 2, true);
  const rank = view.getUint32(off + 4, true);
  const where = `model file: tensor ${index}`;
  if (kindCode > 1) fail(`${where}: unknown kind ${kindCode} (0 = constant, 1 = activation)`);
  if (dtypeCode >= DTYPE_NAME.length) fail(`${where}: unknown dtype ${dtypeCode}`);
  if (rank > 4) fail(`${where}: rank ${rank} exceeds 4`);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(off + 8 + 4 * d, true));
  for (let d = rank; d < 4; d++) {
    const unused = view.getUint32(off + 8 + 4 * d, true);
    if (unused !== 0) fail(`${where}: unused dim ${d} of a rank-${rank} tensor is ${unused}, expected 0`);
  }
  if (dims.some((d) => d === 0)) fail(`${where}: dims [${dims.join(', ')}] has a zero dimension`);
  // Multiply in floating point: four u32 dims cannot overflow a double before the limit check catches them.
  const elements = dims.reduce((p, d) => p * d, 1);
  if (elements > MAX_ELEMENTS) fail(`${where}: dims [${dims.join(', ')}] hold ${elements} elements, more than the limit ${MAX_ELEMENTS}`);
  return {
    index,
    kind: kindCode === 0 ? 'constant' : 'activation',
    dtype: DTYPE_NAME[dtypeCode],
    rank,
    dims,
    elements,
    offset: view.getUint32(off + 24, true),
    byteLength: view.getUint32(off + 28, true),
    scale: view.getFloat32(off + 32, true),
    zeroPoint: view.getInt32(off + 36, true),
    qOffset: view.getUint32(off + 40, true),
    qCount: view.getUint32(off + 44, true),
  };
}

function dtypeSize(t: TensorInfo): number {
  return DTYPE_SIZE[DTYPE_NAME.indexOf(t.dtype)];
}

function checkTensor(t: TensorInfo, view: DataView, data: Section, arenaPerSample: number): void {
  const where = `model file: tensor ${t.index} (${t.kind} ${t.dtype} [${t.dims.join(', ')}])`;
  const minBytes = t.elements * dtypeSize(t);
  if (t.offset % ALIGN !== 0) fail(`${where}: offset ${t.offset} is not ${ALIGN}-byte aligned`);
  if (t.kind === 'constant') {
    if (t.byteLength !== minBytes) fail(`${where}: byteLength ${t.byteLength}, expected ${minBytes} for its dims and dtype`);
    if (t.offset < data.offset || t.offset + t.byteLength > data.offset + data.length) {
      fail(`${where}: bytes [${t.offset}, ${t.offset + t.byteLength}) lie outside the data section ` +
        `[${data.offset}, ${data.offset + data.length})`);
    }
  } else {
    if (t.byteLength < minBytes) fail(`${where}: byteLength ${t.byteLength} is smaller than the ${minBytes} bytes its dims need`);
    if (t.offset + t.byteLength > arenaPerSample) {
      fail(`${where}: arena bytes [${t.offset}, ${t.offset + t.byteLength}) exceed arenaPerSample ${arenaPerSample}`);
    }
  }
  if (!Number.isFinite(t.scale) || t.scale < 0) fail(`${where}: scale ${t.scale} must be finite and >= 0`);
  const quantized = t.dtype === 'i8' || t.dtype === 'u8';
  if (quantized && t.kind === 'activation' && !(t.scale > 0)) fail(`${where}: quantization scale ${t.scale} must be > 0`);
  if (t.dtype === 'i8' && (t.zeroPoint < -128 || t.zeroPoint > 127)) fail(`${where}: zeroPoint ${t.zeroPoint} is outside -128..127`);
  if (t.dtype === 'u8' && (t.zeroPoint < 0 || t.zeroPoint > 255)) fail(`${where}: zeroPoint ${t.zeroPoint} is outside 0..255`);
  if (!quantized && t.zeroPoint !== 0) fail(`${where}: zeroPoint ${t.zeroPoint} must be 0 for dtype ${t.dtype}`);
  if (t.qCount === 0) {
    if (t.qOffset !== 0) fail(`${where}: qOffset ${t.qOffset} without per-channel scales (qCount 0)`);
    return;
  }
  if (t.dtype !== 'i8' || t.kind !== 'constant') fail(
    `${where}: per-channel scales (qCount ${t.qCount}) are only allowed on constant i8 tensors`);
  const qEnd = t.qOffset + t.qCount * 4;
  if (t.qOffset % ALIGN !== 0) fail(`${where}: qOffset ${t.qOffset} is not ${ALIGN}-byte aligned`);
  if (t.qOffset < data.offset || qEnd > data.offset + data.length) {
    fail(`${where}: per-channel scales [${t.qOffset}, ${qEnd}) lie outside the data section ` +
      `[${data.offset}, ${data.offset + data.length})`);
  }
  for (let i = 0; i < t.qCount; i++) {
    const s = view.getFloat32(t.qOffset + 4 * i, true);
    if (!Number.isFinite(s) || !(s > 0)) fail(`${where}: per-channel scale ${i} is ${s}, expected a finite value > 0`);
  }
}

function readOp(view: DataView, off: number, index: number): OpInfo {
  const w: number[] = [];
  for (let k = 0; k < OP_WORDS; k++) w.push(view.getUint32(off + 4 * k, true));
  return {
    index,
    opcode: w[0],
    name: OP_NAME[w[0]] ?? `opcode ${w[0]}`,
    output: w[1],
    a: w[2],
    b: w[3],
    c: w[4],
    activation: w[5],
    alpha: view.getFloat32(off + 24, true),
    params: w.slice(7),
  };
}

function readEntry(view: DataView, off: number, index: number, tensors: TensorInfo[], totalOps: number, previous: EntryInfo[],
  words: EntryWords): EntryInfo {
  const u32 = (k: number) => view.getUint32(off + 4 * k, true);
  const kindCode = u32(0);
  const where = `model file: entry ${index}`;
  if (kindCode >= ENTRY_NAME.length) fail(`${where}: unknown kind ${kindCode} (0 encode, 1 decode, 2 seq-encode, 3 seq-init, 4 seq-step)`);
  const kind = ENTRY_NAME[kindCode];
  if (previous.some((e) => e.kind === kind)) fail(`${where}: a second "${kind}" entry (each kind may appear once)`);
  const opStart = u32(1), opCount = u32(2), input = u32(3), outputCount = u32(4);
  if (opStart + opCount > totalOps) fail(
    `${where} (${kind}): ops [${opStart}, ${opStart + opCount}) lie outside the op stream (${totalOps} ops)`);
  words.set(kind, u32(7));
  const expectedOutputs = kind === 'encode' || kind === 'seq-encode' ? 2 : 1;
  if (outputCount !== expectedOutputs) fail(`${where} (${kind}): outputCount ${outputCount}, expected ${expectedOutputs}`);
  const outputs = [u32(5), u32(6)].slice(0, outputCount);
  if (outputCount === 1 && u32(6) !== NONE) fail(`${where} (${kind}): unused output1 must be 0xFFFFFFFF, got ${u32(6)}`);
  const roles: Array<[string, number]> = [['input', input], ...outputs.map((t, k): [string, number] => [`output${k}`, t])];
  for (const [role, t] of roles) {
    if (t >= tensors.length) fail(`${where} (${kind}): ${role} tensor ${t} does not exist (${tensors.length} tensors)`);
    const ti = tensors[t];
    if (ti.kind !== 'activation' || ti.dtype !== 'f32' || ti.rank !== 1) {
      fail(`${where} (${kind}): ${role} tensor ${t} is a ${ti.kind} ${ti.dtype} of rank ${ti.rank}, expected a rank-1 f32 activation`);
    }
    // The host copies samples contiguously, so entry tensors must be packed.
    if (ti.byteLength !== ti.elements * 4) fail(
      `${where} (${kind}): ${role} tensor ${t} has byteLength ${ti.byteLength}, expected exactly ${ti.elements * 4}`);
  }
  return { kind, opStart, opCount, input, outputs };
}

/** Checks one op against the semantics in docs/format.md "Ops", so no kernel can step outside its tensors. */
function checkOp(op: OpInfo, tensors: TensorInfo[]): void {
  const c = new OpCheck(op, tensors);
  if (OP_NAME[op.opcode] === undefined) fail(`model file: op ${op.index}: unknown opcode ${op.opcode}`);
  if (op.activation >= ACT_NAME.length) c.fail(`unknown fused activation ${op.activation}`);
  if (!Number.isFinite(op.alpha)) c.fail(`activation alpha ${op.alpha} is not finite`);
  const fusable = (op.opcode >= 1 && op.opcode <= 5) || op.opcode === 13 || op.opcode === 14;
  if (!fusable && op.activation !== 0) c.fail(`this op cannot carry a fused activation (${ACT_NAME[op.activation]})`);
  if (op.activation === 12) { // clip: two binary16 bounds in the alpha word
    const [lo, hi] = clipBounds(op.alpha);
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) c.fail(`clip bounds [${lo}, ${hi}] must be numbers with min <= max`);
  }
  const out = c.tensor('out', op.output);
  if (out.kind === 'constant') c.fail(`writes constant tensor ${out.index}`);
  const a = c.tensor('a', op.a);
  c.activation('a', a);
  const family = OP_FAMILIES.find(([isFamily]) => isFamily(op.opcode));
  family?.[1](c, a, out);
}

/** Each op family's validator, found by opcode. */
const OP_FAMILIES: Array<[(opcode: number) => boolean, (c: OpCheck, a: TensorInfo, out: TensorInfo) => void]> = [
  [isComputeOpcode, checkComputeOp],
  [isElementwiseOpcode, checkElementwiseOp],
  [isLayoutOpcode, checkLayoutOp],
  [isNormOpcode, checkNormOp],
  [isSpatialOpcode, (c, a, out) => checkSpatialOp(c.op, a, out, c.tensors, c.where)],
  [isSequenceOpcode, (c, a, out) => checkSequenceOp(c.op, a, out, c.tensors, c.where)],
];
