// Names of the runtime's load()/run() error codes (assembly/errors.ts; runtime/wasm-errors.ts has the
// same names with longer messages; tests/wasi.test.ts checks they agree).
const NAMES: string[] = [
  "TRUNCATED", "BAD_MAGIC", "BAD_VERSION", "SIZE_MISMATCH", "BAD_CHECKSUM", "BAD_HEADER", "BAD_SECTION",
  "BAD_TENSOR", "BAD_DIMS", "BAD_BYTE_LENGTH", "TENSOR_OUT_OF_BOUNDS", "BAD_QUANTIZATION", "BAD_ENTRY",
  "UNKNOWN_OPCODE", "BAD_TENSOR_INDEX", "BAD_OPERAND", "SHAPE_MISMATCH", "BAD_PARAM", "WRITES_CONSTANT",
  "UNSUPPORTED", "OUT_OF_MEMORY", "NOT_LOADED", "NO_ENTRY", "BAD_BATCH",
];

/** Code -1 is NAMES[0], -2 is NAMES[1], ... */
export function loadErrorName(code: i32): string {
  const i = -code - 1;
  return i >= 0 && i < NAMES.length ? NAMES[i] : "UNKNOWN_ERROR_" + code.toString();
}
