// Numbers of the .evae format (docs/format.md): the one source of both sides. scripts/generate-format.ts writes
// assembly/format.ts from this file; tests/format-mirrors.test.ts fails when the two differ.
export const MAGIC = 0x45415645; // "EVAE" read as little-endian u32
export const VERSION = 1;
/** Header flags bit 0: int8 activations with zero point 0 read by integer DENSE / CONV / CONV_TRANSPOSE hold 0..127
 * (the converter's int8-relaxed mode); the relaxed build feeds them to i32x4.relaxed_dot_i8x16_i7x16_add_s. */
export const FLAG_RELU_U7 = 1;
export const HEADER_BYTES = 64;
export const TENSOR_BYTES = 48;
export const ENTRY_BYTES = 32;
export const OP_WORDS = 16;
export const OP_BYTES = OP_WORDS * 4;
export const ALIGN = 16;
export const NONE = 0xffffffff;
export const MAX_TENSORS = 65535;
export const MAX_OPS = 65535;
export const MAX_ELEMENTS = 1 << 26;
/** Kernel sizes, strides, dilations and spatial op parameters lie in 1..MAX_KERNEL_PARAM. */
export const MAX_KERNEL_PARAM = 1 << 16;
/** Dilated kernel extents and pad magnitudes are at most MAX_EXTENT. */
export const MAX_EXTENT = 1 << 24;

export const enum TensorKind { Constant = 0, Activation = 1 }
export const enum DType { F32 = 0, F16 = 1, I8 = 2, I32 = 3, U8 = 4 }
export const DTYPE_SIZE = [4, 2, 1, 4, 1] as const;
export const DTYPE_NAME = ['f32', 'f16', 'i8', 'i32', 'u8'] as const;

export const enum EntryKind { Encode = 0, Decode = 1, SeqEncode = 2, SeqInit = 3, SeqStep = 4 }
export const ENTRY_NAME = ['encode', 'decode', 'seq-encode', 'seq-init', 'seq-step'] as const;
/** At most this many entries per file (image models use 2, sequence models 3). */
export const MAX_ENTRIES = 3;
/** Hard cap on the sequence decode loop, whatever a file or a caller asks for. */
export const MAX_SEQUENCE_LENGTH = 1024;
/** LSTM / GRU parameter word 14 (0 otherwise): W and R are i8 and every projection quantizes its input row to int8
 * at run time, integer dot products (the int8 mode of sequence files; docs/format.md "Sequence ops"). */
export const RECURRENT_INT8_ACTIVATIONS = 1;

export const enum Act {
  None = 0, Relu = 1, LeakyRelu = 2, Sigmoid = 3, Tanh = 4, Exp = 5, Softplus = 6, Elu = 7,
  Gelu = 8, Silu = 9, Mish = 10, HardSwish = 11, Clip = 12, GeluTanh = 13,
}
export const ACT_NAME = [
  'none', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'exp', 'softplus', 'elu',
  'gelu', 'silu', 'mish', 'hard_swish', 'clip', 'gelu_tanh',
] as const;

export const enum Op {
  Dense = 1, Conv2D = 2, ConvTranspose = 3, Unary = 4, Binary = 5, ResizeNearest = 6,
  Concat = 7, Slice = 8, Layout = 9, Copy = 10, Quantize = 11, Dequantize = 12,
  GroupNorm = 13, LayerNorm = 14,
  // Sequence ops (15..19).
  Embedding = 15, Lstm = 16, Gru = 17, ArgMax = 18, LogSoftmax = 19,
  // Spatial and attention ops (20..29).
  Pad = 20, Resize = 21, Pool = 22, MatMul = 23, Softmax = 24, Transpose = 25,
}
export const OP_NAME: Record<number, string> = {
  1: 'Dense', 2: 'Conv2D', 3: 'ConvTranspose', 4: 'Unary', 5: 'Binary', 6: 'ResizeNearest',
  7: 'Concat', 8: 'Slice', 9: 'Layout', 10: 'Copy', 11: 'Quantize', 12: 'Dequantize',
  13: 'GroupNorm', 14: 'LayerNorm',
  15: 'Embedding', 16: 'LSTM', 17: 'GRU', 18: 'ArgMax', 19: 'LogSoftmax',
  20: 'Pad', 21: 'Resize', 22: 'Pool', 23: 'MatMul', 24: 'Softmax', 25: 'Transpose',
};
export const enum BinaryKind { Add = 0, Sub = 1, Mul = 2, Div = 3, PRelu = 4 }
export const enum LayoutMode { ChwToHwc = 0, HwcToChw = 1 }
export const enum PadMode { Constant = 0, Reflect = 1, Edge = 2 }
/** RESIZE (21): 0 linear, else nearest with the ONNX nearest_mode rounding. */
export const enum ResizeMode { Linear = 0, RoundPreferFloor = 1, RoundPreferCeil = 2, Floor = 3, Ceil = 4 }
export const enum PoolKind { Max = 0, AvgExcludePad = 1, AvgIncludePad = 2 }
