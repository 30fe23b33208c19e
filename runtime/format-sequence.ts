// Validation of the sequence ops (opcodes 15..19) and of the entries of a sequence model (kinds 2..4), docs/format.md
// "Sequence models": the same rules as assembly/kernels/recurrent_validate.ts and assembly/sequence.ts, with messages
// that name the problem. Used by runtime/format.ts.
import { EntryKind, MAX_SEQUENCE_LENGTH, NONE, Op, RECURRENT_INT8_ACTIVATIONS } from './format-constants.js';
import { ModelFormatError } from './errors.js';
import type { EntryInfo, OpInfo, TensorInfo } from './format.js';

export const isSequenceOpcode = (code: number): boolean => code >= Op.Embedding && code <= Op.LogSoftmax;

/** Throws ModelFormatError when op (opcode 15..19) breaks a rule; a and out are already checked to exist. */
export function checkSequenceOp(op: OpInfo, a: TensorInfo, out: TensorInfo, tensors: TensorInfo[], where: string): void {
  const fail = (msg: string): never => { throw new ModelFormatError(`${where}: ${msg}`); };
  const p = op.params;
  const f32Act = (role: string, t: TensorInfo) => {
    if (t.kind !== 'activation' || t.dtype !== 'f32') fail(`${role} tensor ${t.index} must be an f32 activation (${t.kind} ${t.dtype})`);
  };
  const tensor = (role: string, index: number): TensorInfo => {
    if (index >= tensors.length) fail(`tensor ${role} index ${index} does not exist (${tensors.length} tensors)`);
    return tensors[index]!;
  };
  const floatConst = (role: string, index: number): TensorInfo => {
    const t = tensor(role, index);
    if (t.kind !== 'constant' || (t.dtype !== 'f32' && t.dtype !== 'f16')) fail(
      `${role} tensor ${t.index} must be an f32 or f16 constant (${t.kind} ${t.dtype})`);
    return t;
  };
  const zeroWords = (from: number) => {
    for (let k = from; k < 9; k++) if (p[k] !== 0) fail(`parameter word ${k + 7} is ${p[k]}, expected 0`);
  };
  f32Act('a', a);
  f32Act('out', out);
  if (op.opcode === Op.ArgMax || op.opcode === Op.LogSoftmax) {
    if (op.b !== NONE || op.c !== NONE) fail('takes no b or c tensor');
    zeroWords(1);
    const L = p[0]!;
    if (L < 1 || a.elements % L !== 0) fail(`row length ${L} does not divide the ${a.elements} elements of a`);
    const expected = op.opcode === Op.ArgMax ? a.elements / L : a.elements;
    if (out.elements !== expected) fail(`out has ${out.elements} elements, expected ${expected}`);
    return;
  }
  if (op.opcode === Op.Embedding) {
    zeroWords(0);
    if (op.c !== NONE) fail('takes no c tensor');
    const table = floatConst('b (table)', op.b);
    if (table.rank !== 2) fail(`b (table) tensor ${table.index} has rank ${table.rank}, expected 2 ([vocabulary, width])`);
    if (out.elements !== a.elements * table.dims[1]!) fail(
      `out has ${out.elements} elements, expected ${a.elements} ids x ${table.dims[1]}`);
    return;
  }
  // LSTM (16) / GRU (17)
  const lstm = op.opcode === Op.Lstm;
  const [r, h0, c0, H, dir, T, lbr] = p as [number, number, number, number, number, number, number];
  const int8Act = p[7]!;
  if (int8Act !== 0 && int8Act !== RECURRENT_INT8_ACTIVATIONS) fail(
    `parameter word 14 is ${int8Act}, expected 0 or ${RECURRENT_INT8_ACTIVATIONS} (int8 activations)`);
  if (p[8] !== 0) fail('parameter word 15 must be 0');
  if (H < 1) fail('hidden size is 0');
  if (T < 1) fail('sequence length is 0');
  if (dir > 2) fail(`direction ${dir} is not 0 (forward), 1 (reverse) or 2 (bidirectional)`);
  if (lbr > 1 || (lstm && lbr !== 0)) fail(`linear_before_reset ${lbr} is not allowed here (GRU: 0 or 1, LSTM: 0)`);
  // W and R may also be i8 with one scale per gate column (int8-weights; kept i8 and run by the int8-weight GEMV).
  const weights = (role: string, index: number): TensorInfo => {
    const t = tensor(role, index);
    if (t.kind === 'constant' && t.dtype === 'i8') {
      if (t.rank !== 2 || t.qCount !== t.dims[1]) fail(
        `${role} tensor ${t.index} is i8 without one scale per column (rank ${t.rank}, ${t.qCount} scales)`);
      return t;
    }
    return floatConst(role, index);
  };
  const W = weights('b (W)', op.b);
  const B = floatConst('c (B)', op.c);
  const R = weights('R (word 7)', r);
  if (int8Act !== 0 && (W.dtype !== 'i8' || R.dtype !== 'i8')) fail(
    `int8 activations (word 14) need i8 W and R (W ${W.dtype}, R ${R.dtype})`);
  const state = (role: string, index: number) => {
    if (index === NONE) return undefined;
    const t = tensor(role, index);
    f32Act(role, t);
    return t;
  };
  const h = state('initial h (word 8)', h0);
  if (!lstm && c0 !== NONE) fail('a GRU has no initial c (word 9 must be 0xFFFFFFFF)');
  const c = state('initial c (word 9)', c0);
  if (a.elements % T !== 0) fail(`sequence length ${T} does not divide the ${a.elements} elements of a`);
  const I = a.elements / T;
  const D = dir === 2 ? 2 : 1;
  const GH = (lstm ? 4 : 3) * H;
  const count = (role: string, t: TensorInfo, n: number) => {
    if (t.elements !== n) fail(`${role} tensor ${t.index} has ${t.elements} elements, expected ${n}`);
  };
  count('b (W)', W, D * I * GH);
  count('R (word 7)', R, D * H * GH);
  count('c (B)', B, D * 2 * GH);
  if (h) count('initial h', h, D * H);
  if (c) count('initial c', c, D * H);
  count('out', out, T * D * H + D * H * (lstm ? 2 : 1));
}

/** Reserved words of the entries (word 7), by kind; read by format.ts. */
export type EntryWords = Map<string, number>;

export interface SequenceInfo {
  vocabSize: number;
  stateSize: number;
  latentSize: number;
  bos: number;
  eos: number;
  maxLength: number;
  /** token ids (all < 16) the decode loop never emits, from the upper half of the seq-init word */
  neverEmitted: number[];
}

/**
 * Cross-entry rules of a sequence model (image and sequence kinds do not mix; seq-init and seq-step come together;
 * step input [token, state P, latent L], step output [logits V, state P], V >= 2, bos/eos < V <= 65535,
 * 1 <= maxLength <= MAX_SEQUENCE_LENGTH, a never-emit mask without ids >= V or the stop token, a seq-encode latent
 * of L). Returns the decoder's numbers, if any.
 */
export function checkSequenceEntries(entries: EntryInfo[], words: EntryWords, tensors: TensorInfo[]): SequenceInfo | undefined {
  const fail = (msg: string): never => { throw new ModelFormatError(`model file: ${msg}`); };
  const by = new Map(entries.map((e) => [e.kind, e]));
  const image = by.has('encode') || by.has('decode');
  const seq = by.has('seq-encode') || by.has('seq-init') || by.has('seq-step');
  if (image && seq) fail('image entries (encode, decode) and sequence entries (seq-encode, seq-init, seq-step) cannot share a file');
  if ((words.get('seq-encode') ?? 0) !== 0) fail(`entry seq-encode: reserved word is ${words.get('seq-encode')}, expected 0`);
  const init = by.get('seq-init');
  const step = by.get('seq-step');
  if (!init !== !step) fail(`a sequence decoder needs both seq-init and seq-step entries (found only ${init ? 'seq-init' : 'seq-step'})`);
  if (!init || !step) return undefined;
  const n = (t: number) => tensors[t]!.elements;
  const L = n(init.input), P = n(init.outputs[0]!);
  if (n(step.input) !== 1 + P + L) fail(
    `entry seq-step: input has ${n(step.input)} values, expected 1 token + ${P} state + ${L} latent = ${1 + P + L}`);
  const V = n(step.outputs[0]!) - P;
  if (V < 2) fail(`entry seq-step: output has ${n(step.outputs[0]!)} values, expected logits (at least 2) + ${P} state`);
  if (V > 0xffff) fail(`entry seq-step: vocabulary of ${V} tokens exceeds 65535`);
  const word = words.get('seq-step')!;
  const bos = word & 0xffff, eos = word >>> 16;
  if (bos >= V || eos >= V) fail(`entry seq-step: start token ${bos} / stop token ${eos} outside the vocabulary of ${V}`);
  const initWord = words.get('seq-init')!;
  const maxLength = initWord & 0xffff, mask = initWord >>> 16;
  if (maxLength < 1 || maxLength > MAX_SEQUENCE_LENGTH) fail(
    `entry seq-init: maximum length ${maxLength} is outside 1..${MAX_SEQUENCE_LENGTH}`);
  const neverEmitted = Array.from({ length: 16 }, (_, i) => i).filter((i) => (mask >>> i) & 1);
  const outside = neverEmitted.filter((i) => i >= V);
  if (outside.length) fail(`entry seq-init: never-emit mask names token ${outside.join(', ')} outside the vocabulary of ${V}`);
  if (neverEmitted.includes(eos)) fail(`entry seq-init: never-emit mask includes the stop token ${eos}`);
  const enc = by.get('seq-encode');
  if (enc && n(enc.outputs[0]!) !== L) fail(`entry seq-encode: latent of ${n(enc.outputs[0]!)} values, the decoder reads ${L}`);
  return { vocabSize: V, stateSize: P, latentSize: L, bos, eos, maxLength, neverEmitted };
}

/** The seq-init entry's reserved word: maxLength in bits 0..15, bit 16 + i set when id i is never emitted. */
export function seqInitWord(maxLength: number, neverEmitted: readonly number[]): number {
  return (maxLength | neverEmitted.reduce((m, i) => m | (1 << (16 + i)), 0)) >>> 0;
}

export const ENTRY_KIND_CODE =
  { encode: EntryKind.Encode, decode: EntryKind.Decode, 'seq-encode': EntryKind.SeqEncode, 'seq-init': EntryKind.SeqInit,
    'seq-step': EntryKind.SeqStep } as const;
