// Names and messages of the negative codes returned by build/edgevae.wasm's load() and run(), from the
// table in format/errors.ts (which assembly/errors.ts is generated from).
import { WASM_ERROR_TABLE } from '../format/errors.js';

export interface WasmErrorInfo { code: number; name: string; message: string }

export const WASM_ERRORS: ReadonlyMap<number, WasmErrorInfo> = new Map(
  WASM_ERROR_TABLE.map(([code, name, message]) => [code, { code, name, message }]),
);

export function wasmErrorName(code: number): string {
  return WASM_ERRORS.get(code)?.name ?? `UNKNOWN_ERROR_${code}`;
}

/** Human-readable description; `detail` is errorDetail() (index of the tensor/op/entry, or -1). */
export function describeWasmError(code: number, detail = -1): string {
  const info = WASM_ERRORS.get(code);
  const what = info ? `${info.name}: ${info.message}` : `unknown error code ${code}`;
  return detail >= 0 ? `${what} (index ${detail})` : what;
}
