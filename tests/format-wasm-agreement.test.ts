// Differential test of the two independently written validators: runtime/format.ts (TypeScript) and
// assembly/loader.ts (wasm). On randomly corrupted files (checksum fixed up) they must agree on accept/reject.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readModel } from '../runtime/format.js';
import { describeWasmError } from '../runtime/wasm-errors.js';
import { convVaeBytes, denseVaeBytes, refreshChecksum, seededValues } from './format-fixtures.js';
import { haveRuntimeWasm, RUNTIME_WASM } from './helpers/runtime-wasm.js';

interface Loader { memory: WebAssembly.Memory; alloc(n: number): number; load(p: number, n: number, b: number): number; errorDetail(): number }

describe.skipIf(!haveRuntimeWasm)('TypeScript reader and wasm loader agree', () => {
  const module = haveRuntimeWasm ? new WebAssembly.Module(readFileSync(RUNTIME_WASM)) : undefined;
  const wasmLoad = (bytes: Uint8Array): { rc: number; detail: number } => {
    const w = new WebAssembly.Instance(module!, {}).exports as unknown as Loader;
    const ptr = w.alloc(bytes.length);
    new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
    const rc = w.load(ptr, bytes.length, 2);
    return { rc, detail: w.errorDetail() };
  };
  const tsLoad = (bytes: Uint8Array): string | undefined => {
    try {
      readModel(bytes);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  // Valid files the wasm cannot run here (no kernel in this build, arena too large): not validation disagreements.
  const NOT_VALIDATION = new Set([-20, -21]);

  /** Runs `trials` corruptions through both validators: the disagreements (each named by `where`) and how many TS rejected. */
  function compareValidators(trials: number, corrupt: (i: number) => { bad: Uint8Array; where: () => string }) {
    const disagreements: string[] = [];
    let rejected = 0;
    for (let i = 0; i < trials; i++) {
      const { bad, where } = corrupt(i);
      refreshChecksum(bad);
      const ts = tsLoad(bad);
      const wasm = wasmLoad(bad);
      if (ts !== undefined) rejected++;
      if (NOT_VALIDATION.has(wasm.rc)) continue;
      if ((ts === undefined) !== (wasm.rc === 0)) {
        disagreements.push(`${where()}: TS ${ts ?? 'accepts'} | wasm ${wasm.rc === 0 ? 'accepts' : describeWasmError(wasm.rc, wasm.detail)}`);
      }
    }
    return { disagreements, rejected };
  }

  it('on the fixtures and on random single-field corruptions of them', () => {
    const files = [denseVaeBytes(), convVaeBytes(), denseVaeBytes('decode')];
    for (const f of files) {
      expect(tsLoad(f)).toBeUndefined();
      expect(wasmLoad(f).rc).toBe(0);
    }
    const rnd = seededValues(20000, 1234);
    const trials = 3000;
    const { disagreements, rejected } = compareValidators(trials, (i) => {
      const src = files[i % files.length];
      const bad = src.slice();
      const r = (rnd[2 * i] + 1) / 2;
      // Structure lives in the first ~1 KiB (header and tables); weights after it.
      const pos = 16 + Math.floor(r * r * (bad.length - 16));
      const kind = Math.floor(((rnd[2 * i + 1] + 1) / 2) * 4);
      if (kind === 0) bad[pos] ^= 1 << (i % 8);
      else if (kind === 1) bad[pos] = 0;
      else if (kind === 2) bad[pos] = 0xff;
      else bad[pos] = (bad[pos] + 1) & 0xff;
      return { bad, where: () => `byte ${pos}` };
    });
    expect(disagreements.slice(0, 8)).toEqual([]);
    expect(rejected).toBeGreaterThan(trials / 10);
  });

  it('on random word-level corruptions of the header and tables', () => {
    const files = [denseVaeBytes(), convVaeBytes()];
    const rnd = seededValues(30000, 4321);
    const u = (k: number) => (rnd[k % rnd.length] + 1) / 2;
    const trials = 3000;
    const { disagreements, rejected } = compareValidators(trials, (i) => {
      const src = files[i % files.length];
      const bad = src.slice();
      const v = new DataView(bad.buffer);
      const tablesEnd = v.getUint32(52, true); // data section offset: everything before it is structure
      const word = 4 * (4 + Math.floor(u(3 * i) * (tablesEnd / 4 - 4)));
      const old = v.getUint32(word, true);
      const choices = [0, 1, 2, 3, 4, 5, 7, 12, 16, 0xffffffff, old + 1, old - 1, old + 16, old * 2, Math.floor(u(3 * i + 2) * 64)];
      v.setUint32(word, choices[Math.floor(u(3 * i + 1) * choices.length)] >>> 0, true);
      return { bad, where: () => `word at ${word} = ${v.getUint32(word, true)}` };
    });
    expect(disagreements.slice(0, 8)).toEqual([]);
    expect(rejected).toBeGreaterThan(trials / 4);
  });
});
