// Numbers of the .evae format (docs/format.md), mirroring runtime/format-constants.ts.
// tests/wasm-loader.test.ts checks both files agree.
export const MAGIC: u32 = 0x45415645;
export const VERSION: u32 = 1;
/**
 * Header flags bit 0: int8 activations with zero point 0 that integer DENSE / CONV / CONV_TRANSPOSE read hold
 * 0..127 (the converter's int8-relaxed mode). The relaxed build then feeds them to i32x4.relaxed_dot_i8x16_i7x16_add_s.
 */
export const FLAG_RELU_U7: u32 = 1;
export const HEADER_BYTES: u32 = 64;
export const TENSOR_BYTES: u32 = 48;
export const ENTRY_BYTES: u32 = 32;
export const OP_WORDS: u32 = 16;
export const OP_BYTES: u32 = 64;
export const ALIGN: u32 = 16;
export const NONE: u32 = 0xffffffff;
export const MAX_TENSORS: u32 = 65535;
export const MAX_OPS: u32 = 65535;
export const MAX_ELEMENTS: u32 = 1 << 26;

export const KIND_CONSTANT: u32 = 0;
export const KIND_ACTIVATION: u32 = 1;

export const DTYPE_F32: u32 = 0;
export const DTYPE_F16: u32 = 1;
export const DTYPE_I8: u32 = 2;
export const DTYPE_I32: u32 = 3;
export const DTYPE_U8: u32 = 4;
export const DTYPE_COUNT: u32 = 5;

export const ENTRY_ENCODE: u32 = 0;
export const ENTRY_DECODE: u32 = 1;

export const ACT_NONE: u32 = 0;
export const ACT_RELU: u32 = 1;
export const ACT_LEAKY_RELU: u32 = 2;
export const ACT_SIGMOID: u32 = 3;
export const ACT_TANH: u32 = 4;
export const ACT_EXP: u32 = 5;
export const ACT_SOFTPLUS: u32 = 6;
export const ACT_ELU: u32 = 7;
export const ACT_GELU: u32 = 8;
export const ACT_SILU: u32 = 9;
export const ACT_MISH: u32 = 10;
export const ACT_HARD_SWISH: u32 = 11;
export const ACT_CLIP: u32 = 12;
export const ACT_GELU_TANH: u32 = 13;
export const ACT_COUNT: u32 = 14;

export const OP_DENSE: u32 = 1;
export const OP_CONV2D: u32 = 2;
export const OP_CONV_TRANSPOSE: u32 = 3;
export const OP_UNARY: u32 = 4;
export const OP_BINARY: u32 = 5;
export const OP_RESIZE_NEAREST: u32 = 6;
export const OP_CONCAT: u32 = 7;
export const OP_SLICE: u32 = 8;
export const OP_LAYOUT: u32 = 9;
export const OP_COPY: u32 = 10;
export const OP_QUANTIZE: u32 = 11;
export const OP_DEQUANTIZE: u32 = 12;
export const OP_GROUP_NORM: u32 = 13;
export const OP_LAYER_NORM: u32 = 14;
export const OP_PAD: u32 = 20;
export const OP_RESIZE: u32 = 21;
export const OP_POOL: u32 = 22;
export const OP_MAT_MUL: u32 = 23;
export const OP_SOFTMAX: u32 = 24;
export const OP_TRANSPOSE: u32 = 25;

export const BINARY_ADD: u32 = 0;
export const BINARY_SUB: u32 = 1;
export const BINARY_MUL: u32 = 2;
export const BINARY_DIV: u32 = 3;
export const BINARY_PRELU: u32 = 4;

export const LAYOUT_CHW_TO_HWC: u32 = 0;
export const LAYOUT_HWC_TO_CHW: u32 = 1;

export const PAD_CONSTANT: u32 = 0;
export const PAD_REFLECT: u32 = 1;
export const PAD_EDGE: u32 = 2;
export const RESIZE_LINEAR: u32 = 0;
export const RESIZE_ROUND_PREFER_FLOOR: u32 = 1;
export const RESIZE_ROUND_PREFER_CEIL: u32 = 2;
export const RESIZE_FLOOR: u32 = 3;
export const RESIZE_CEIL: u32 = 4;
export const POOL_MAX: u32 = 0;
export const POOL_AVG_EXCLUDE_PAD: u32 = 1;
export const POOL_AVG_INCLUDE_PAD: u32 = 2;

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: u32): u32 {
  if (dtype == DTYPE_F32 || dtype == DTYPE_I32) return 4;
  if (dtype == DTYPE_F16) return 2;
  return 1;
}
