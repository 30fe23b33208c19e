// Reader and validator of the .evae format (docs/format.md). Independently written from the wasm loader
// (assembly/loader.ts) but enforcing the same "Validation" rules, with messages that name the problem.
// Browser-safe: no Node imports.
import { crc32 } from '../format/crc32.js';
import {
  ACT_NAME, ALIGN, DTYPE_NAME, DTYPE_SIZE, ENTRY_BYTES, ENTRY_NAME, HEADER_BYTES, MAGIC, MAX_ELEMENTS,
  FLAG_RELU_U7, MAX_ENTRIES, MAX_OPS, MAX_TENSORS, NONE, OP_BYTES, OP_NAME, OP_WORDS, TENSOR_BYTES, VERSION,
} from '../format/constants.js';
import { ModelFormatError } from './errors.js';
import { textPreview } from './text-instead-of-model.js';
import { clipBounds } from './clip-bounds.js';
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

const fail = (message: string): never => {
  throw new ModelFormatError(message);
};

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
  const where = `model file: op ${op.index} (${op.name})`;
  if (OP_NAME[op.opcode] === undefined) fail(`model file: op ${op.index}: unknown opcode ${op.opcode}`);
  if (op.activation >= ACT_NAME.length) fail(`${where}: unknown fused activation ${op.activation}`);
  if (!Number.isFinite(op.alpha)) fail(`${where}: activation alpha ${op.alpha} is not finite`);
  const fusable = (op.opcode >= 1 && op.opcode <= 5) || op.opcode === 13 || op.opcode === 14;
  if (!fusable && op.activation !== 0) fail(`${where}: this op cannot carry a fused activation (${ACT_NAME[op.activation]})`);
  if (op.activation === 12) { // clip: two binary16 bounds in the alpha word
    const [lo, hi] = clipBounds(op.alpha);
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) fail(`${where}: clip bounds [${lo}, ${hi}] must be numbers with min <= max`);
  }

  const tensor = (role: string, index: number): TensorInfo => {
    if (index === NONE) return fail(`${where}: tensor ${role} is missing`);
    if (index >= tensors.length) return fail(`${where}: tensor ${role} index ${index} does not exist (${tensors.length} tensors)`);
    return tensors[index];
  };
  const optional = (role: string, index: number): TensorInfo | undefined => (index === NONE ? undefined : tensor(role, index));
  const activation = (role: string, t: TensorInfo) => {
    if (t.kind !== 'activation') fail(`${where}: ${role} tensor ${t.index} is a constant, expected an activation`);
  };
  const constant = (role: string, t: TensorInfo) => {
    if (t.kind !== 'constant') fail(`${where}: ${role} tensor ${t.index} is an activation, expected a constant`);
  };
  const dtype = (role: string, t: TensorInfo, ...allowed: DTypeName[]) => {
    if (!allowed.includes(t.dtype)) fail(`${where}: ${role} tensor ${t.index} has dtype ${t.dtype}, expected ${allowed.join(' or ')}`);
  };
  const count = (role: string, t: TensorInfo, expected: number) => {
    if (t.elements !== expected) fail(`${where}: ${role} tensor ${t.index} has ${t.elements} elements, expected ${expected}`);
  };
  const rank = (role: string, t: TensorInfo, r: number) => {
    if (t.rank !== r) fail(`${where}: ${role} tensor ${t.index} has rank ${t.rank}, expected ${r}`);
  };
  const sameDtype = (x: TensorInfo, y: TensorInfo) => {
    if (x.dtype !== y.dtype) fail(`${where}: input dtype ${x.dtype} differs from output dtype ${y.dtype}`);
  };
  const floatOnly = (...ts: TensorInfo[]) => {
    for (const t of ts) if (t.dtype !== 'f32') fail(`${where}: tensor ${t.index} has dtype ${t.dtype}, this op works on f32 only`);
  };

  const out = tensor('out', op.output);
  if (out.kind === 'constant') fail(`${where}: writes constant tensor ${out.index}`);
  const a = tensor('a', op.a);
  activation('a', a);
  const p = op.params;
  if (isSpatialOpcode(op.opcode)) { checkSpatialOp(op, a, out, tensors, where); return; }
  if (isSequenceOpcode(op.opcode)) { checkSequenceOp(op, a, out, tensors, where); return; }

  switch (op.opcode) {
    case 1: { // DENSE
      const b = tensor('b (weights)', op.b);
      constant('b (weights)', b);
      rank('b (weights)', b, 2);
      const [K, M] = b.dims;
      count('a', a, K);
      count('out', out, M);
      const c = optional('c (bias)', op.c);
      if (c) { constant('c (bias)', c); count('c (bias)', c, M); }
      checkComputeDtypes(where, a, b, c, out, M);
      return;
    }
    case 2: // CONV2D
    case 3: { // CONV_TRANSPOSE
      const [kh, kw, sH, sW, padTop, padLeft, dH, dW, groups] = p;
      // Limits as in docs/format.md (and assembly/loader.ts): 1..65536; groups only has to divide the channels.
      for (const [name, v] of [['kernel height', kh], ['kernel width', kw], ['stride height', sH], ['stride width', sW],
        ['dilation height', dH], ['dilation width', dW]] as const) {
        if (v < 1 || v > 65536) fail(`${where}: ${name} ${v} is outside 1..65536`);
      }
      if (groups < 1) fail(`${where}: groups ${groups} must be >= 1`);
      const effH = dH * (kh - 1) + 1, effW = dW * (kw - 1) + 1;
      // The wasm kernels index in i32: the dilated kernel extent is capped at 2^24 (assembly/loader.ts MAX_EXTENT).
      if (effH > 2 ** 24 || effW > 2 ** 24) fail(`${where}: dilated kernel (${effH}, ${effW}) exceeds 2^24`);
      if (padTop >= effH || padLeft >= effW) fail(
        `${where}: padding (${padTop}, ${padLeft}) must be smaller than the dilated kernel (${effH}, ${effW})`);
      rank('a', a, 3);
      rank('out', out, 3);
      const [Ci, H, W] = a.dims;
      const [Co, OH, OW] = out.dims;
      if (Ci % groups !== 0 || Co % groups !== 0) fail(
        `${where}: groups ${groups} does not divide input channels ${Ci} and output channels ${Co}`);
      const b = tensor('b (weights)', op.b);
      constant('b (weights)', b);
      count('b (weights)', b, groups * kh * kw * (Ci / groups) * (Co / groups));
      const c = optional('c (bias)', op.c);
      if (c) { constant('c (bias)', c); count('c (bias)', c, Co); }
      const transposed = op.opcode === 3;
      checkSpatial(where, 'height', transposed, H, OH, kh, sH, padTop, dH);
      checkSpatial(where, 'width', transposed, W, OW, kw, sW, padLeft, dW);
      checkComputeDtypes(where, a, b, c, out, Co);
      return;
    }
    case 4: // UNARY
      dtype('a', a, 'f32');
      dtype('out', out, 'f32');
      count('out', out, a.elements);
      return;
    case 5: { // BINARY
      const [kind, period] = p;
      if (kind > 4) fail(`${where}: unknown binary kind ${kind} (0 add, 1 sub, 2 mul, 3 div, 4 prelu)`);
      const b = tensor('b', op.b);
      if (period < 1 || a.elements % period !== 0) fail(`${where}: period ${period} does not divide the ${a.elements} elements of a`);
      count('b', b, period);
      count('out', out, a.elements);
      dtype('a', a, 'f32');
      dtype('out', out, 'f32');
      if (b.kind === 'constant') dtype('b', b, 'f32', 'f16');
      else dtype('b', b, 'f32');
      return;
    }
    case 6: { // RESIZE_NEAREST
      const [sH, sW] = p;
      if (sH < 1 || sW < 1) fail(`${where}: scales (${sH}, ${sW}) must be >= 1`);
      rank('a', a, 3);
      rank('out', out, 3);
      const [C, H, W] = a.dims;
      const want = [C, H * sH, W * sW];
      if (out.dims.some((d, i) => d !== want[i])) fail(`${where}: out dims [${out.dims.join(', ')}], expected [${want.join(', ')}]`);
      // i8 -> i8 moves the quantized bytes unchanged, so both sides must share scale and zero point
      if (a.dtype === 'i8' && out.dtype === 'i8') {
        if (a.scale !== out.scale || a.zeroPoint !== out.zeroPoint) {
          fail(`${where}: i8 input (scale ${a.scale}, zeroPoint ${a.zeroPoint}) and output (scale ${out.scale}, ` +
            `zeroPoint ${out.zeroPoint}) must have the same quantization`);
        }
        return;
      }
      floatOnly(a, out);
      return;
    }
    case 7: { // CONCAT
      const [Ca, Cb, rows] = p;
      const b = tensor('b', op.b);
      activation('b', b);
      if (Ca < 1 || Cb < 1 || rows < 1) fail(`${where}: sizes Ca ${Ca}, Cb ${Cb}, rows ${rows} must be >= 1`);
      count('a', a, Ca * rows);
      count('b', b, Cb * rows);
      count('out', out, (Ca + Cb) * rows);
      floatOnly(a, b, out);
      return;
    }
    case 8: { // SLICE
      const [C, start, n, rows] = p;
      if (C < 1 || n < 1 || rows < 1) fail(`${where}: row width ${C}, count ${n}, rows ${rows} must be >= 1`);
      if (start + n > C) fail(`${where}: slice [${start}, ${start + n}) exceeds the row width ${C}`);
      count('a', a, C * rows);
      count('out', out, n * rows);
      floatOnly(a, out);
      return;
    }
    case 9: { // LAYOUT
      const [mode, C, H, W] = p;
      if (mode > 1) fail(`${where}: unknown layout mode ${mode} (0 CHW to HWC, 1 HWC to CHW)`);
      if (C < 1 || H < 1 || W < 1) fail(`${where}: C ${C}, H ${H}, W ${W} must be >= 1`);
      count('a', a, C * H * W);
      count('out', out, C * H * W);
      floatOnly(a, out);
      return;
    }
    case 10: // COPY
      count('out', out, a.elements);
      sameDtype(a, out);
      return;
    case 11: // QUANTIZE
      dtype('a', a, 'f32');
      dtype('out', out, 'i8', 'u8');
      count('out', out, a.elements);
      return;
    case 12: // DEQUANTIZE
      dtype('a', a, 'i8', 'u8');
      dtype('out', out, 'f32');
      count('out', out, a.elements);
      return;
    case 13: // GROUP_NORM
    case 14: { // LAYER_NORM
      const group = op.opcode === 13;
      const b = tensor('b (scale)', op.b);
      const c = tensor('c (bias)', op.c);
      floatOnly(a, out);
      activation('out', out);
      for (const [role, t] of [['b (scale)', b], ['c (bias)', c]] as const) { constant(role, t); dtype(role, t, 'f32', 'f16'); }
      const [n, epsBits] = p;
      const eps = new Float32Array(Uint32Array.of(epsBits).buffer)[0];
      if (n < 1) fail(`${where}: ${group ? 'groups' : 'row size'} ${n} must be >= 1`);
      if (!Number.isFinite(eps) || eps < 0) fail(`${where}: epsilon ${eps} must be finite and >= 0`);
      if (group) rank('a', a, 3);
      const width = group ? a.dims[0] : n;
      if (a.elements % width !== 0 || width % n !== 0) {
        fail(group
          ? `${where}: groups ${n} does not divide the ${width} channels` : `${where}: row size ${n} does not divide ` +
            `the ${a.elements} elements of a`);
      }
      count('out', out, a.elements);
      if (group) {
        rank('out', out, 3);
        if (out.dims[0] !== width) fail(`${where}: out has ${out.dims[0]} channels, expected ${width}`);
      }
      for (const [role, t] of [['b (scale)', b], ['c (bias)', c]] as const) {
        rank(role, t, 1);
        count(role, t, width);
      }
      return;
    }
  }
}

/**
 * DENSE/CONV dtype combinations: f32 activations with f32/f16/i8 weights and f32 bias, or the integer path
 * (i8 activations, i8 weights, i32 bias). i8 weights need one per-channel scale per output channel.
 */
function checkComputeDtypes(where: string, a: TensorInfo, b: TensorInfo, c: TensorInfo | undefined, out: TensorInfo,
  channels: number): void {
  if (a.dtype === 'f32') {
    if (out.dtype !== 'f32') fail(`${where}: f32 input but ${out.dtype} output`);
    if (b.dtype !== 'f32' && b.dtype !== 'f16' && b.dtype !== 'i8') fail(`${where}: weights of dtype ${b.dtype}, expected f32, f16 or i8`);
    if (c && c.dtype !== 'f32' && c.dtype !== 'f16') fail(`${where}: bias of dtype ${c.dtype}, expected f32 or f16`);
  } else if (a.dtype === 'i8') {
    if (out.dtype !== 'i8') fail(`${where}: i8 input but ${out.dtype} output`);
    if (b.dtype !== 'i8') fail(`${where}: i8 input needs i8 weights, got ${b.dtype}`);
    if (c && c.dtype !== 'i32') fail(`${where}: i8 compute needs an i32 bias, got ${c.dtype}`);
  } else {
    fail(`${where}: input dtype ${a.dtype} is not supported (f32 or i8)`);
  }
  if (b.dtype === 'i8' && b.qCount !== channels) {
    fail(`${where}: i8 weights tensor ${b.index} has ${b.qCount} per-channel scales, expected ${channels}`);
  }
}

/**
 * Output size of a convolution along one axis, with the bottom/right padding implied by the output size.
 * Conv: out = floor((in + padBegin + padEnd - eff) / s) + 1, so the implied end padding lies in (-s, eff - 1].
 * Transposed: out = (in - 1) * s + eff - padBegin - padEnd + outputPadding with outputPadding < max(s, d),
 * so padEnd - outputPadding lies in [-(max(s, d) - 1), eff - 1].
 */
function checkSpatial(where: string, axis: string, transposed: boolean, size: number, outSize: number,
  kernel: number, stride: number, padBegin: number, dilation: number): void {
  const eff = dilation * (kernel - 1) + 1;
  const impliedEnd = transposed
    ? (size - 1) * stride + eff - padBegin - outSize
    : (outSize - 1) * stride + eff - size - padBegin;
  const lowest = transposed ? -(Math.max(stride, dilation) - 1) : -stride + 1;
  if (impliedEnd < lowest || impliedEnd > eff - 1) {
    const symmetric = transposed
      ? (size - 1) * stride + eff - 2 * padBegin
      : Math.floor((size + 2 * padBegin - eff) / stride) + 1;
    fail(`${where}: output ${axis} ${outSize} does not follow from input ${axis} ${size}, kernel ${kernel}, stride ${stride}, ` +
      `pad ${padBegin}, dilation ${dilation} (symmetric padding gives ${symmetric})`);
  }
}
