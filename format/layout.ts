// Where each field sits in the fixed-size parts of an .evae file (docs/format.md "Layout"): byte offsets in
// the header, a tensor record and an entry record, and word indices in an op. scripts/generate-format.ts
// writes them into assembly/format.ts too.

/** Byte offsets in the 64-byte header. */
export const enum HeaderField {
  Magic = 0, Version = 4, FileSize = 8, Checksum = 12, Flags = 16, MetaOffset = 20, MetaLength = 24,
  TensorOffset = 28, TensorCount = 32, EntryOffset = 36, EntryCount = 40, OpOffset = 44, OpCount = 48,
  DataOffset = 52, DataLength = 56, ArenaPerSample = 60,
}

/** Byte offsets in a 48-byte tensor record (kind and dtype are u16, dims four u32). */
export const enum TensorField {
  Kind = 0, Dtype = 2, Rank = 4, Dims = 8, Offset = 24, ByteLength = 28, Scale = 32, ZeroPoint = 36, QOffset = 40, QCount = 44,
}

/** Byte offsets in a 32-byte entry record. */
export const enum EntryField { Kind = 0, OpStart = 4, OpCount = 8, Input = 12, OutputCount = 16, Output0 = 20, Output1 = 24 }

/** Word indices in a 16-word op; the op's own parameters start at word Params. */
export const enum OpWord { Opcode = 0, Out = 1, A = 2, B = 3, C = 4, Act = 5, Alpha = 6, Params = 7 }

/** Word indices of a CONV2D / CONV_TRANSPOSE op's parameters (docs/format.md "Ops"). */
export const enum ConvWord {
  KernelH = 7, KernelW = 8, StrideH = 9, StrideW = 10, PadTop = 11, PadLeft = 12, DilationH = 13, DilationW = 14, Groups = 15,
}

/** Word indices of a GROUP_NORM / LAYER_NORM op's parameters: groups (LAYER_NORM: the row size), then epsilon (f32). */
export const enum NormWord { Groups = 7, Epsilon = 8 }

/**
 * Word indices of an LSTM / GRU op's parameters: the recurrent weights R, the initial h and c (or NONE), hidden size,
 * direction, steps and GRU's linear_before_reset. ARG_MAX / LOG_SOFTMAX keep their row length in word RowLength.
 */
export const enum RecurrentWord {
  Recurrence = 7, InitialH = 8, InitialC = 9, Hidden = 10, Direction = 11, Steps = 12, LinearBeforeReset = 13, RowLength = 7,
}

/** The checksum covers bytes [CHECKSUM_START, fileSize): the header from `flags` on and everything after it. */
export const CHECKSUM_START = 16;
