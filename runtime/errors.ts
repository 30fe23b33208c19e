// Error classes of the runtime. Each names the problem so callers (and the CLI) can show one clear line.

/** The bytes are not a valid .evae file (bad header, checksum, table entry, op ...). */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

/** The caller passed bad arguments (wrong length, bad batch, non-finite value, missing entry ...). */
export class InputError extends Error {
  override name = 'InputError';
}

/** The WebAssembly runtime reported a failure (load or run error code). */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
  constructor(message: string, readonly code: number) {
    super(message);
  }
}
