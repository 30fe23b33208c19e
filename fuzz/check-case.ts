// One fuzz case: mutate a corpus model, give the same bytes to both validators (runtime/format.ts and the
// wasm loader), demand they agree, and when both accept run every entry at batch 1 and maxBatch on finite
// inputs. Anything other than "ran correctly" or "rejected with a named error" is a failure.
import { readModel, type ModelInfo } from '../runtime/format.js';
import { ModelFormatError } from '../runtime/errors.js';
import { describeWasmError, wasmErrorName, WASM_ERRORS } from '../runtime/wasm-errors.js';
import { mutate, type MutationKind } from './mutate.js';
import { caseSeed, Rng } from './rng.js';
import type { CorpusModel } from './corpus.js';
import { hasDefinedDataflow } from './dataflow.js';

export type { WasmExports } from '../runtime/engine.js';
import type { WasmExports } from '../runtime/engine.js';

export type FailureKind = 'ts-crash' | 'harness-error' | 'wasm-trap' | 'disagreement' | 'run-error' | 'batch-mismatch' |
  'memory-corruption' | 'state-leak' | 'hang' | 'slow';

export interface CaseResult {
  index: number;
  corpus: string;
  steps: string[];
  checksum: 'fixed' | 'stale';
  /** 'ran': both accepted and every entry ran; 'rejected': both refused; 'unsupported': valid but the wasm
   *  build cannot run it (UNSUPPORTED / OUT_OF_MEMORY) */
  outcome: 'ran' | 'rejected' | 'unsupported' | 'failed';
  /** wasm load() code name, e.g. OK, BAD_CHECKSUM */
  wasmCode: string;
  tsMessage?: string;
  failure?: { kind: FailureKind; message: string };
}

const ENTRY_CODES: Record<string, number> = { encode: 0, decode: 1, 'seq-encode': 2, 'seq-init': 3, 'seq-step': 4 };
const BAD_TOKEN = -25;

/** Entries whose input holds token ids: seq-encode all of it, seq-step its first value; plus entries starting with EMBEDDING. */
function tokenInputEntries(info: ModelInfo): Map<string, 'all' | 'first'> {
  const m = new Map<string, 'all' | 'first'>([['seq-encode', 'all'], ['seq-step', 'first']]);
  for (const e of info.entries) if (info.ops[e.opStart]?.opcode === 15 && !m.has(e.kind)) m.set(e.kind, 'all');
  return m;
}

/** Codes of a file the format allows but this runtime cannot run: not a validation disagreement. */
const NOT_VALIDATION = new Set([-20, -21]);
const NOT_LOADED = -22;
const CANARY_BYTES = 256;
const CANARY = 0xa5;
/** Bytes after the canary checked to be untouched (the allocator never gave them out). */
const TAIL_CHECK = 1 << 20;

/** Wasm instances shared by consecutive cases (a fresh one every `casesPerInstance`), to catch leaked state. */
export class WasmHost {
  private current: WasmExports | undefined;
  private uses = 0;
  private readonly instantiate: () => WasmExports;
  /** `module` is build/edgevae.wasm, or (for the harness's own tests) a factory of stand-in exports. */
  constructor(module: WebAssembly.Module | (() => WasmExports), readonly casesPerInstance: number) {
    this.instantiate = module instanceof WebAssembly.Module
      ? () => new WebAssembly.Instance(module, {}).exports as unknown as WasmExports
      : module;
  }

  shared(): WasmExports {
    if (!this.current || this.uses >= this.casesPerInstance) {
      this.current = this.fresh();
      this.uses = 0;
    }
    this.uses++;
    return this.current;
  }

  fresh(): WasmExports {
    return this.instantiate();
  }

  /** Drops the shared instance (after a trap its state is unknown). */
  discard(): void {
    this.current = undefined;
  }
}

class CaseFailure extends Error {
  constructor(readonly kind: FailureKind, message: string) {
    super(message);
  }
}

const isTrap = (e: unknown) => e instanceof WebAssembly.RuntimeError;

function wasmCall<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isTrap(e)) throw new CaseFailure('wasm-trap', `${what}: ${(e as Error).message}`);
    throw e;
  }
}

function sameValue(a: number, b: number, tolerance: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
}

function firstDifference(a: Float32Array, b: Float32Array, tolerance: number): number {
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i]!, b[i]!, tolerance)) return i;
  return -1;
}

interface Loaded { w: WasmExports; ptr: number; canary: number }

function loadInto(w: WasmExports, bytes: Uint8Array, maxBatch: number): { rc: number; detail: number; loaded: Loaded } {
  // Addresses are u32 but arrive in JS as signed i32 (negative above 2 GiB).
  const ptr = wasmCall('alloc', () => w.alloc(Math.max(bytes.length, 1)) >>> 0);
  if (ptr === 0) throw new CaseFailure('run-error', `alloc(${bytes.length}) returned 0`);
  new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
  const rc = wasmCall('load', () => w.load(ptr, bytes.length, maxBatch));
  const detail = wasmCall('errorDetail', () => w.errorDetail());
  return { rc, detail, loaded: { w, ptr, canary: 0 } };
}

/** Runs every entry at batch 1 and `maxBatch`; returns the outputs of the batch run (for comparisons). */
function runEntries(l: Loaded, info: ModelInfo, bytes: Uint8Array, maxBatch: number, rng: Rng): Float32Array[] {
  const { w } = l;
  // Canary right after everything load() allocated: a kernel that writes past its tensors hits it.
  l.canary = wasmCall('alloc', () => w.alloc(CANARY_BYTES) >>> 0);
  new Uint8Array(w.memory.buffer, l.canary, CANARY_BYTES).fill(CANARY);
  const results: Float32Array[] = [];
  const tokenInput = tokenInputEntries(info);
  for (const entry of info.entries) {
    const code = ENTRY_CODES[entry.kind];
    const inSize = info.tensors[entry.input]!.elements;
    // Entries that read token ids get small integers there (random floats would only hit BAD_TOKEN).
    const ids = tokenInput.get(entry.kind);
    const input = Float32Array.from({ length: inSize * maxBatch }, (_, i) =>
      (ids === 'all' || (ids === 'first' && i % inSize === 0) ? rng.int(3) : rng.float() * 4 - 2));
    const outputs = (n: number) => entry.outputs.map((t, k) => {
      const size = info.tensors[t]!.elements;
      const at = wasmCall('entryOutput', () => w.entryOutput(code, k) >>> 0);
      if (at === 0) throw new CaseFailure('run-error', `entryOutput(${entry.kind}, ${k}) is 0 after a successful load`);
      return new Float32Array(w.memory.buffer, at, n * size).slice();
    });
    const runAt = (n: number) => {
      const at = wasmCall('entryInput', () => w.entryInput(code) >>> 0);
      if (at === 0) throw new CaseFailure('run-error', `entryInput(${entry.kind}) is 0 after a successful load`);
      new Float32Array(w.memory.buffer, at, n * inSize).set(input.subarray(0, n * inSize));
      const rc = wasmCall(`run(${entry.kind}, ${n})`, () => w.run(code, n));
      if (rc === BAD_TOKEN) return outputs(n); // a mutated table can be smaller than the ids: a named run-time refusal
      if (rc !== 0) throw new CaseFailure('run-error', `run(${entry.kind}, ${n}) returned ${describeWasmError(rc)}`);
      return outputs(n);
    };
    const single = runAt(1);
    const batch = maxBatch > 1 ? runAt(maxBatch) : single;
    // Ops reading stale arena bytes (a mutated op order) legitimately differ between batch sizes.
    if (hasDefinedDataflow(info, entry)) single.forEach((s, k) => {
      const i = firstDifference(s, batch[k]!.subarray(0, s.length), 1e-5);
      if (i >= 0) throw new CaseFailure('batch-mismatch',
        `${entry.kind} output ${k}[${i}]: batch 1 gives ${s[i]}, batch ${maxBatch} gives ${batch[k]![i]}`);
    });
    results.push(...batch);
  }
  if (info.sequence) {
    checkMemory(l, bytes);
    // The decode loop (docs/format.md "Sequence models"): a few tokens for maxBatch latents, sampled.
    const zBytes = maxBatch * info.sequence.latentSize * 4;
    const z = wasmCall('alloc', () => w.alloc(zBytes + maxBatch * 4 * 4) >>> 0);
    new Float32Array(w.memory.buffer, z, maxBatch * info.sequence.latentSize).set(
      Float32Array.from({ length: maxBatch * info.sequence.latentSize }, () => rng.float() * 4 - 2));
    const rc = wasmCall('decodeSequences', () => w.decodeSequences(z, maxBatch, z + zBytes, 4, 7, 1, 3, 0));
    if (rc < 0 && rc !== BAD_TOKEN) throw new CaseFailure('run-error', `decodeSequences returned ${describeWasmError(rc)}`);
    if (rc > 4) throw new CaseFailure('run-error', `decodeSequences ran ${rc} steps, asked for at most 4`);
    l.canary = wasmCall('alloc', () => w.alloc(CANARY_BYTES) >>> 0);
    new Uint8Array(w.memory.buffer, l.canary, CANARY_BYTES).fill(CANARY);
  }
  checkMemory(l, bytes);
  return results;
}

/** The model bytes are read-only for the runtime, the canary and the never-allocated tail stay untouched. */
function checkMemory(l: Loaded, bytes: Uint8Array): void {
  const mem = new Uint8Array(l.w.memory.buffer);
  const model = mem.subarray(l.ptr, l.ptr + bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    if (model[i] !== bytes[i]) throw new CaseFailure('memory-corruption',
      `model byte ${i} changed from ${bytes[i]} to ${model[i]} while running`);
  }
  for (let i = 0; i < CANARY_BYTES; i++) {
    if (mem[l.canary + i] !== CANARY) throw new CaseFailure('memory-corruption', `canary byte ${i} after the arena was overwritten`);
  }
  const tail = mem.subarray(l.canary + CANARY_BYTES, Math.min(mem.length, l.canary + CANARY_BYTES + TAIL_CHECK));
  for (let i = 0; i < tail.length; i++) {
    if (tail[i] !== 0) throw new CaseFailure('memory-corruption', `unallocated memory ${i} bytes after the canary was written`);
  }
}

export interface CaseOptions {
  runSeed: number;
  corpus: CorpusModel[];
  host: WasmHost;
  /** compare every n-th successful run against a fresh instance (0 = never) */
  freshEvery: number;
  forceKind?: MutationKind;
}

/** Runs case `index` of a run: deterministic in (runSeed, index, corpus). */
export function runCase(index: number, opts: CaseOptions): CaseResult {
  const rng = new Rng(caseSeed(opts.runSeed, index));
  const source = opts.corpus[rng.int(opts.corpus.length)]!;
  const m = mutate(source.bytes, rng, opts.forceKind);
  const maxBatch = rng.pick([1, 2, 3, 5]);
  const result: CaseResult = { index, corpus: source.name, steps: m.steps, checksum: m.checksum, outcome: 'failed', wasmCode: '?' };
  try {
    let info: ModelInfo | undefined;
    try {
      info = readModel(m.bytes);
    } catch (e) {
      if (!(e instanceof ModelFormatError)) throw new CaseFailure('ts-crash',
        `readModel threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      result.tsMessage = e.message;
    }
    const w = opts.host.shared();
    const { rc, detail, loaded } = loadInto(w, m.bytes, maxBatch);
    result.wasmCode = rc === 0 ? 'OK' : wasmErrorName(rc);
    if (rc !== 0 && !WASM_ERRORS.has(rc)) throw new CaseFailure('run-error', `wasm load returned the unknown code ${rc}`);
    if (detail < -1 || detail > 0xffff) throw new CaseFailure('run-error', `errorDetail() ${detail} is not an index`);
    if (rc !== 0) {
      // A refused load must leave nothing runnable behind.
      for (const kind of [0, 1]) {
        const r = wasmCall('run after refused load', () => w.run(kind, 1));
        if (r !== NOT_LOADED) throw new CaseFailure('state-leak', `run(${kind}) after a refused load returned ${r}, expected NOT_LOADED`);
      }
    }
    if (!info) {
      result.outcome = 'rejected';
      if (rc === 0) throw new CaseFailure('disagreement', `TS rejects (${result.tsMessage}) but wasm accepts`);
      return result;
    }
    if (NOT_VALIDATION.has(rc)) {
      result.outcome = 'unsupported';
      return result;
    }
    if (rc !== 0) throw new CaseFailure('disagreement', `TS accepts but wasm refuses: ${describeWasmError(rc, detail)}`);
    // With a stale checksum, any change inside the CRC range [16, end) must have been refused.
    if (m.checksum === 'stale' && m.bytes.length === source.bytes.length && changedFrom(m.bytes, source.bytes, 16)) {
      throw new CaseFailure('disagreement', 'both loaders accepted a file whose checksum is stale');
    }
    const outputs = runEntries(loaded, info, m.bytes, maxBatch, new Rng(index ^ 0x5bd1e995));
    if (opts.freshEvery > 0 && index % opts.freshEvery === 0) {
      const fresh = loadInto(opts.host.fresh(), m.bytes, maxBatch);
      if (fresh.rc !== 0) throw new CaseFailure('state-leak',
        `a fresh instance refuses a file the shared one accepted: ${describeWasmError(fresh.rc)}`);
      const again = runEntries(fresh.loaded, info, m.bytes, maxBatch, new Rng(index ^ 0x5bd1e995));
      outputs.forEach((o, k) => {
        const i = firstDifference(o, again[k]!, 0);
        if (i >= 0) throw new CaseFailure('state-leak',
          `output ${k}[${i}] is ${o[i]} in the shared instance, ${again[k]![i]} in a fresh one`);
      });
    }
    result.outcome = 'ran';
    return result;
  } catch (e) {
    if (!(e instanceof CaseFailure)) {
      // Our own harness failing is a failure too, never silently a pass.
      result.failure = { kind: isTrap(e) ? 'wasm-trap' : 'harness-error', message: `${(e as Error)?.name}: ${(e as Error)?.message}` };
    } else {
      result.failure = { kind: e.kind, message: e.message };
    }
    if (result.failure.kind === 'wasm-trap') opts.host.discard();
    result.outcome = 'failed';
    return result;
  }
}

function changedFrom(a: Uint8Array, b: Uint8Array, start: number): boolean {
  for (let i = start; i < a.length; i++) if (a[i] !== b[i]) return true;
  return false;
}
