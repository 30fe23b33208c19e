// Browser twin of runtime/node.js for the converter's int8 calibration and evaluation: the runtime wasm
// bytes the training page fetched (set with setRuntimeWasm), instead of build/edgevae.wasm from disk.
let wasm: Uint8Array | null = null;

export function setRuntimeWasm(bytes: Uint8Array): void {
  wasm = bytes;
}

export function readDefaultWasm(): Uint8Array {
  if (!wasm) throw new Error('runtime wasm not loaded yet');
  return wasm;
}
