// State of the one loaded model: where the file, its tables and the arena live, plus the per-tensor
// address table the executor uses. Filled by loader.ts only after the whole file validated.
import { TENSOR_BYTES, OP_BYTES, OP_CONV2D } from './format';

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
/** Per op: address of a DENSE / conv op's weights in its kernel's layout (loader.ts prepareOpWeights), else 0. */
export let opConvWeights: usize = 0;
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

export function setScratch(taps: usize, zeros: usize, dummy: usize, convWeights: usize): void {
  opConvWeights = convWeights;
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

@inline export function convWeights(i: u32): usize { return <usize>load<u32>(opConvWeights + (<usize>i << 2)); }

/** Op word `k` of op `i`. */
@inline export function opWord(i: u32, k: u32): u32 { return load<u32>(opStream + <usize>i * OP_BYTES + (<usize>k << 2)); }

/** A CONV2D with one input and one output channel per group and more than one group (kernels/depthwise.ts). */
export function isDepthwise(i: u32): bool {
  const g = opWord(i, 15);
  return opWord(i, 0) == OP_CONV2D && g > 1 && tDim(opWord(i, 2), 0) == g && tDim(opWord(i, 1), 0) == g;
}
