// The shape of one CONV2D / CONV_TRANSPOSE op as its kernels see it: input and output extents and the op's
// kernel, stride, padding, dilation and group fields (docs/format.md "Ops"). Filled once per op from the
// named op fields (opConvGeometry) into a fixed block (the runtime allocates no objects) and passed to the
// f32, depthwise and int8 conv kernels, which copy the fields they loop over into locals.
import { tensorRecord, opRecord, opA, opOut } from '../model';
import { TENSOR_FIELD_DIMS, CONV_WORD_KERNEL_H, CONV_WORD_GROUPS } from '../format-fields';

// The fields from kernelH on are in the order of the op's words CONV_WORD_KERNEL_H..CONV_WORD_GROUPS.
@unmanaged export class ConvGeometry {
  inC: i32; inH: i32; inW: i32;
  outC: i32; outH: i32; outW: i32;
  kernelH: i32; kernelW: i32;
  strideH: i32; strideW: i32;
  padTop: i32; padLeft: i32;
  dilationH: i32; dilationW: i32;
  groups: i32;
}

export const CONV_GEOMETRY_BYTES: usize = 64;
const memberZeroBlock = memory.data(CONV_GEOMETRY_BYTES, 16);
// The block this instance fills: member 0's static one (set at load), or in the threaded build each other team
// member's own (threads/index.ts), so no member reads a block another is filling. An address set at run time
// rather than a constant also keeps each field access one load at an offset from it.
let block: usize = 0;
/** Called at load (p 0: member 0's block) and by each other team member with its own block. */
export function useConvGeometryBlock(p: usize): void { block = p ? p : memberZeroBlock; }

/** This instance's block (opConvGeometry fills it; tests fill it field by field). */
@inline export function convGeometryBlock(): ConvGeometry { return changetype<ConvGeometry>(block); }

/** Op i's geometry (a validated CONV2D or CONV_TRANSPOSE), in this member's block. */
export function opConvGeometry(i: u32): ConvGeometry {
  const g = convGeometryBlock();
  // three copies: dims 0..2 of a and of out, then words CONV_WORD_KERNEL_H..CONV_WORD_GROUPS (same order as the fields)
  memory.copy(changetype<usize>(g) + offsetof<ConvGeometry>('inC'), tensorRecord(opA(i)) + TENSOR_FIELD_DIMS, 12);
  memory.copy(changetype<usize>(g) + offsetof<ConvGeometry>('outC'), tensorRecord(opOut(i)) + TENSOR_FIELD_DIMS, 12);
  memory.copy(changetype<usize>(g) + offsetof<ConvGeometry>('kernelH'), opRecord(i) + (<usize>CONV_WORD_KERNEL_H << 2),
    <usize>(CONV_WORD_GROUPS - CONV_WORD_KERNEL_H + 1) << 2);
  return g;
}
