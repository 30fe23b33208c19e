// State of the one loaded model: where the file, its tables and the arena live, plus the per-tensor
// address table the executor uses. Filled by loader.ts only after the whole file validated.
import { TENSOR_BYTES, OP_BYTES, OP_CONV2D } from './format';
import * as W from './format-fields';

export let loaded = false;
export let filePtr: usize = 0;
export let tensorTable: usize = 0; // absolute address of the tensor table
export let tensorCount: u32 = 0;
export let opStream: usize = 0; // absolute address of op 0
export let maxBatch: u32 = 0;
export let arenaBase: usize = 0;
/** Per tensor: u32 address of sample 0, u32 sample stride in bytes (0 for constants). */
export let tensorAddrs: usize = 0;
/**
 * Per entry kind (encode, decode, seq-encode, seq-init, seq-step): opStart, opCount, input, outputCount, output0, output1
 * (u32 each); opCount = 0xffffffff when absent.
 */
export const entryInfo: usize = memory.data(5 * 6 * 4, 16);
/** Bytes of an entry's record in entryInfo: the entry record's words from opStart to output1. */
export const ENTRY_INFO_BYTES: u32 = W.ENTRY_FIELD_OUTPUT1 + 4 - W.ENTRY_FIELD_OP_START;
/**
 * Per op: its prepared weights (loader.ts prepareOpWeights), else 0: a DENSE / conv op's weights in its kernel's layout,
 * an int8 op's requantization block, an int8-activation LSTM/GRU op's packed i8 panels.
 */
export let opWeightTable: usize = 0;
/** Conv scratch: tap lists and a block of zeros that stands in for padded input pixels. */
export let tapBuffer: usize = 0;
export let zeroBuffer: usize = 0;
export let dummyOutput: usize = 0;

export function setModel(file: usize, tensors: usize, count: u32, ops: usize, batch: u32, arena: usize, addrs: usize): void {
  filePtr = file;
  tensorTable = tensors;
  tensorCount = count;
  opStream = ops;
  maxBatch = batch;
  arenaBase = arena;
  tensorAddrs = addrs;
}

export function setScratch(taps: usize, zeros: usize, dummy: usize, opWeights: usize): void {
  opWeightTable = opWeights;
  tapBuffer = taps;
  zeroBuffer = zeros;
  dummyOutput = dummy;
}

export function setLoaded(v: bool): void {
  loaded = v;
}

// Tensor table fields (docs/format.md "Tensor table").
@inline export function tensorRecord(t: u32): usize { return tensorTable + <usize>t * TENSOR_BYTES; }
@inline export function tKind(t: u32): u32 { return load<u16>(tensorRecord(t)); }
@inline export function tDtype(t: u32): u32 { return load<u16>(tensorRecord(t), 2); }
@inline export function tRank(t: u32): u32 { return load<u32>(tensorRecord(t), 4); }
@inline export function tDim(t: u32, k: u32): u32 { return load<u32>(tensorRecord(t) + 8 + (<usize>k << 2)); }
@inline export function tOffset(t: u32): u32 { return load<u32>(tensorRecord(t), 24); }
@inline export function tByteLength(t: u32): u32 { return load<u32>(tensorRecord(t), 28); }
@inline export function tScale(t: u32): f32 { return load<f32>(tensorRecord(t), 32); }
@inline export function tZeroPoint(t: u32): i32 { return load<i32>(tensorRecord(t), 36); }
@inline export function tQOffset(t: u32): u32 { return load<u32>(tensorRecord(t), 40); }
@inline export function tQCount(t: u32): u32 { return load<u32>(tensorRecord(t), 44); }

/** Element count of a tensor whose dims were validated (so it is <= 2^26). */
export function tCount(t: u32): u32 {
  const rank = tRank(t);
  let n: u32 = 1;
  for (let k: u32 = 0; k < rank; k++) n *= tDim(t, k);
  return n;
}

/** Address of sample `s` of tensor `t` (constants ignore `s`). */
@inline export function tensorAddr(t: u32, s: u32): usize {
  const rec = tensorAddrs + (<usize>t << 3);
  return <usize>load<u32>(rec) + <usize>load<u32>(rec, 4) * s;
}

@inline export function opWeights(i: u32): usize { return <usize>load<u32>(opWeightTable + (<usize>i << 2)); }

// Entry fields (per entry kind; format-fields.ts ENTRY_FIELD_*, docs/format.md "Entry table").
@inline export function entryRecord(kind: u32): usize { return entryInfo + <usize>kind * ENTRY_INFO_BYTES; }
@inline function entryField(kind: u32, field: u32): u32 { return load<u32>(entryRecord(kind) + field - W.ENTRY_FIELD_OP_START); }
@inline export function entryOpStart(kind: u32): u32 { return entryField(kind, W.ENTRY_FIELD_OP_START); }
/** 0xffffffff when the model has no such entry. */
@inline export function entryOpCount(kind: u32): u32 { return entryField(kind, W.ENTRY_FIELD_OP_COUNT); }
@inline export function entryInputTensor(kind: u32): u32 { return entryField(kind, W.ENTRY_FIELD_INPUT); }
@inline export function entryOutputCount(kind: u32): u32 { return entryField(kind, W.ENTRY_FIELD_OUTPUT_COUNT); }
/** Output k (0 or 1) of the entry. */
@inline export function entryOutputTensor(kind: u32, k: u32): u32 { return entryField(kind, W.ENTRY_FIELD_OUTPUT0 + (k << 2)); }

@inline export function opRecord(i: u32): usize { return opStream + <usize>i * OP_BYTES; }
/** Op word `k` of op `i`. */
@inline export function opWord(i: u32, k: u32): u32 { return load<u32>(opRecord(i) + (<usize>k << 2)); }

// Named op words (format-fields.ts OP_WORD_*, CONV_WORD_*, NORM_WORD_*; docs/format.md "Ops").
@inline export function opCode(i: u32): u32 { return opWord(i, W.OP_WORD_OPCODE); }
@inline export function opOut(i: u32): u32 { return opWord(i, W.OP_WORD_OUT); }
@inline export function opA(i: u32): u32 { return opWord(i, W.OP_WORD_A); }
@inline export function opB(i: u32): u32 { return opWord(i, W.OP_WORD_B); }
@inline export function opC(i: u32): u32 { return opWord(i, W.OP_WORD_C); }
@inline export function opAct(i: u32): u32 { return opWord(i, W.OP_WORD_ACT); }
@inline export function opAlphaBits(i: u32): u32 { return opWord(i, W.OP_WORD_ALPHA); }
@inline export function opAlpha(i: u32): f32 { return reinterpret<f32>(opWord(i, W.OP_WORD_ALPHA)); }
@inline export function opKernelH(i: u32): u32 { return opWord(i, W.CONV_WORD_KERNEL_H); }
@inline export function opKernelW(i: u32): u32 { return opWord(i, W.CONV_WORD_KERNEL_W); }
@inline export function opStrideH(i: u32): u32 { return opWord(i, W.CONV_WORD_STRIDE_H); }
@inline export function opStrideW(i: u32): u32 { return opWord(i, W.CONV_WORD_STRIDE_W); }
@inline export function opPadTop(i: u32): u32 { return opWord(i, W.CONV_WORD_PAD_TOP); }
@inline export function opPadLeft(i: u32): u32 { return opWord(i, W.CONV_WORD_PAD_LEFT); }
@inline export function opDilationH(i: u32): u32 { return opWord(i, W.CONV_WORD_DILATION_H); }
@inline export function opDilationW(i: u32): u32 { return opWord(i, W.CONV_WORD_DILATION_W); }
@inline export function opGroups(i: u32): u32 { return opWord(i, W.CONV_WORD_GROUPS); }
@inline export function opNormGroups(i: u32): u32 { return opWord(i, W.NORM_WORD_GROUPS); }
@inline export function opNormEpsilon(i: u32): f32 { return reinterpret<f32>(opWord(i, W.NORM_WORD_EPSILON)); }
@inline export function opRecurrence(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_RECURRENCE); }
@inline export function opInitialH(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_INITIAL_H); }
@inline export function opInitialC(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_INITIAL_C); }
@inline export function opHidden(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_HIDDEN); }
@inline export function opDirection(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_DIRECTION); }
@inline export function opSteps(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_STEPS); }
@inline export function opLinearBeforeReset(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_LINEAR_BEFORE_RESET); }
@inline export function opRowLength(i: u32): u32 { return opWord(i, W.RECURRENT_WORD_ROW_LENGTH); }

/** A CONV2D with one input and one output channel per group and more than one group (kernels/depthwise.ts). */
export function isDepthwise(i: u32): bool {
  const g = opGroups(i);
  return opCode(i) == OP_CONV2D && g > 1 && tDim(opA(i), 0) == g && tDim(opOut(i), 0) == g;
}
