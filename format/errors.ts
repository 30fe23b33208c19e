// The codes build/edgevae.wasm's load() and run() return, with the name and message hosts show for them.
// The one source of assembly/errors.ts and hosts/wasi/load-errors.ts (scripts/generate-format.ts
// writes both; tests/format-mirrors.test.ts fails when they differ from this table).

/** [code, name, message], codes -1, -2, ... in order. */
export const WASM_ERROR_TABLE = [
  [-1, 'TRUNCATED', 'buffer shorter than the 64-byte header'],
  [-2, 'BAD_MAGIC', 'not an .evae file (magic is not "EVAE")'],
  [-3, 'BAD_VERSION', 'unsupported format version'],
  [-4, 'SIZE_MISMATCH', 'header fileSize differs from the buffer length'],
  [-5, 'BAD_CHECKSUM', 'CRC-32 of bytes [16, fileSize) does not match'],
  [-6, 'BAD_HEADER', 'header field out of range (flags, tensor/op/entry count, arena size)'],
  [-7, 'BAD_SECTION', 'a section is outside the file, not 16-aligned or overlaps another'],
  [-8, 'BAD_TENSOR', 'tensor kind, dtype or rank unknown'],
  [-9, 'BAD_DIMS', 'tensor dim is 0, unused dim not 0, or more than 2^26 elements'],
  [-10, 'BAD_BYTE_LENGTH', 'tensor byteLength inconsistent with dims and dtype'],
  [-11, 'TENSOR_OUT_OF_BOUNDS', 'constant outside the data section / activation outside the arena, or not 16-aligned'],
  [-12, 'BAD_QUANTIZATION', 'quantization scale, zero point or per-channel scales invalid'],
  [-13, 'BAD_ENTRY', 'entry kind duplicated/unknown, op range outside the op stream, or input/outputs not f32 activations'],
  [-14, 'UNKNOWN_OPCODE', 'op has an unknown opcode or fused activation'],
  [-15, 'BAD_TENSOR_INDEX', 'op refers to a tensor index out of range'],
  [-16, 'BAD_OPERAND', 'op operand has the wrong kind or dtype'],
  [-17, 'SHAPE_MISMATCH', 'op operand shapes are inconsistent with the op semantics'],
  [-18, 'BAD_PARAM', 'op parameter out of range (kernel, stride, groups, mode, ...)'],
  [-19, 'WRITES_CONSTANT', 'op output is a constant tensor'],
  [-20, 'UNSUPPORTED', 'no kernel for this dtype combination in this runtime build'],
  [-21, 'OUT_OF_MEMORY', 'could not grow memory for the arena'],
  [-22, 'NOT_LOADED', 'no model loaded'],
  [-23, 'NO_ENTRY', 'the model has no entry of that kind'],
  [-24, 'BAD_BATCH', 'batch size is 0 or larger than maxBatch'],
  [-25, 'BAD_TOKEN', 'a token id is not an integer in 0..vocabulary size - 1'],
] as const;

export type WasmErrorName = (typeof WASM_ERROR_TABLE)[number][1];

/** The code of a named error. */
export function wasmErrorCode(name: WasmErrorName): number {
  return WASM_ERROR_TABLE.find((row) => row[1] === name)![0];
}

/** Codes from -1 down to this one mean "the file is invalid"; the ones below it are limits of the runtime or misuse. */
export const LAST_FORMAT_ERROR = wasmErrorCode('WRITES_CONSTANT');
