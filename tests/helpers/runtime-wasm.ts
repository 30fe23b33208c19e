// The runtime build the wasm-level tests load: $EDGEVAE_WASM or build/edgevae.wasm. A missing build skips those tests
// outside CI and is an error in CI (npm test builds it first).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const RUNTIME_WASM = process.env.EDGEVAE_WASM ?? join(resolve(import.meta.dirname, '..', '..'), 'build', 'edgevae.wasm');
export const haveRuntimeWasm = existsSync(RUNTIME_WASM);
if (!haveRuntimeWasm && process.env.CI) throw new Error('build/edgevae.wasm is missing; npm test builds it first');
