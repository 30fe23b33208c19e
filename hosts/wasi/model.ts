// Loads an .evae file into the runtime (the same code as build/edgevae.wasm, linked in) and exposes
// the entry points' sizes. Enforces the --max-memory cap on linear memory.
import { alloc, load as loadModel, errorDetail, entryInput, entryOutput, run } from "../../assembly/index";
import { fail, readFile, Bytes } from "./io";
import { loadErrorName } from "./load-errors";
import { E_OUT_OF_MEMORY } from "../../assembly/errors";

export const ENCODE = 0;
export const DECODE = 1;
export const SEQ_ENCODE = 2;
export const SEQ_INIT = 3;
export const SEQ_STEP = 4;
const KIND_NAMES = ["encode", "decode", "seq-encode", "seq-init", "seq-step"];

/** "encoder", "decoder" or the sequence entry's name, for messages. */
function entryWord(kind: i32): string { return kind == ENCODE ? "encoder" : kind == DECODE ? "decoder" : kindName(kind); }

/** The entry kind's name in docs/format.md. */
export function kindName(kind: i32): string { return kind >= 0 && kind < KIND_NAMES.length ? KIND_NAMES[kind] : "kind " + kind.toString(); }
const PAGE: u64 = 65536;

/** 0 = no cap. */
export let memoryCap: u64 = 0;
export function setMemoryCap(bytes: u64): void { memoryCap = bytes; }

export function memoryBytes(): u64 { return <u64>memory.size() * PAGE; }

/** Fails cleanly when growing memory by `extra` bytes would pass the cap. */
export function requireMemory(extra: u64, what: string): void {
  if (memoryCap == 0) return;
  const need = memoryBytes() + extra;
  if (need > memoryCap) {
    fail("out of memory budget: " + what + " needs about " + need.toString() + " bytes of linear memory, --max-memory is " + memoryCap.toString());
  }
}

/** Checks after the fact that nothing grew memory past the cap. */
export function checkMemory(stage: string): void {
  if (memoryCap != 0 && memoryBytes() > memoryCap) {
    fail("out of memory budget after " + stage + ": " + memoryBytes().toString() + " bytes used, --max-memory is " + memoryCap.toString());
  }
}

function allocateModel(bytes: usize): usize {
  requireMemory(<u64>bytes, "the model file");
  const ptr = alloc(<u32>bytes);
  if (ptr == 0) fail("out of memory: cannot allocate " + bytes.toString() + " bytes for the model file");
  return ptr;
}

export class Entry {
  constructor(public kind: i32, public inputSize: i32, public outputSizes: i32[], public reserved: u32) {}
}

/** Reads a model file into runtime-allocated memory (checked against --max-memory). */
export function readModelFile(path: string): Bytes { return readFile(path, allocateModel); }

/**
 * Whether the header's entry table (read only where it lies inside the file; load() validates it properly)
 * names a seq-step entry: commands pick their sequence form before the model is loaded.
 */
export function declaresSequence(f: Bytes): bool {
  if (f.length < 64 || load<u32>(f.ptr) != 0x45415645) return false;
  const offset = <u64>load<u32>(f.ptr + 36), count = <u64>load<u32>(f.ptr + 40);
  if (count > 16 || offset + count * 32 > <u64>f.length) return false;
  for (let i: u64 = 0; i < count; i++) if (load<u32>(f.ptr + <usize>(offset + i * 32)) == SEQ_STEP) return true;
  return false;
}

export class Model {
  path: string;
  file: Bytes;
  maxBatch: i32;
  entries: Entry[] = [];

  constructor(path: string, maxBatch: i32, file: Bytes | null = null) {
    this.path = path;
    this.maxBatch = maxBatch;
    this.file = file !== null ? file! : readModelFile(path);
    const f = this.file;
    if (f.length >= 64 && load<u32>(f.ptr) == 0x45415645) {
      // The arena is allocated by load(); refuse up front if it cannot fit (load() validates the rest).
      const arena = <u64>load<u32>(f.ptr + 60) * <u64>maxBatch;
      requireMemory(arena, "model \"" + path + "\" (arena " + load<u32>(f.ptr + 60).toString() + " bytes x batch " + maxBatch.toString() + ")");
    }
    const code = loadModel(f.ptr, <u32>f.length, <u32>maxBatch);
    if (code == E_OUT_OF_MEMORY) {
      // The host's memory limit (wasmtime -W max-memory-size, a browser's) is below what this model needs.
      fail("not enough memory for model \"" + path + "\": its arena needs " + (<u64>load<u32>(f.ptr + 60) * <u64>maxBatch).toString() +
        " more bytes at --max-batch " + maxBatch.toString() + " on top of " + memoryBytes().toString() +
        " in use, and the host refused to grow memory (try a smaller --max-batch; `info` prints what a model needs)");
    }
    if (code != 0) {
      const detail = errorDetail();
      fail("invalid model \"" + path + "\": " + loadErrorName(code) + " (code " + code.toString() + (detail >= 0 ? ", index " + detail.toString() : "") + ")");
    }
    checkMemory("loading the model");
    this.readEntries();
  }

  private u32at(offset: u32): u32 { return load<u32>(this.file.ptr + offset); }

  private tensorElements(index: u32): i32 {
    return <i32>this.u32at(this.u32at(28) + index * 48 + 8); // rank-1 f32 activation: dims[0]
  }

  private readEntries(): void {
    const entryOffset = this.u32at(36);
    const count = this.u32at(40);
    for (let i: u32 = 0; i < count; i++) {
      const e = entryOffset + i * 32;
      const outputs = new Array<i32>();
      const outputCount = this.u32at(e + 16);
      for (let k: u32 = 0; k < outputCount; k++) outputs.push(this.tensorElements(this.u32at(e + 20 + k * 4)));
      this.entries.push(new Entry(<i32>this.u32at(e), this.tensorElements(this.u32at(e + 12)), outputs, this.u32at(e + 28)));
    }
  }

  entry(kind: i32): Entry {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].kind == kind) return this.entries[i];
    fail("model \"" + this.path + "\" has no " + entryWord(kind) + " entry");
    return changetype<Entry>(0);
  }

  /** Runs `kind` over `n` samples of `input` (n * inputSize floats) in chunks of maxBatch. */
  runAll(kind: i32, input: Float32Array, n: i32): Float32Array[] {
    const e = this.entry(kind);
    const outputs = new Array<Float32Array>();
    for (let k = 0; k < e.outputSizes.length; k++) {
      requireMemory(<u64>n * e.outputSizes[k] * 4, "the outputs");
      outputs.push(new Float32Array(n * e.outputSizes[k]));
    }
    for (let start = 0; start < n; start += this.maxBatch) {
      const m = min(this.maxBatch, n - start);
      memory.copy(entryInput(<u32>kind), input.dataStart + <usize>start * e.inputSize * 4, <usize>m * e.inputSize * 4);
      const code = run(<u32>kind, <u32>m);
      if (code != 0) fail("running the " + entryWord(kind) + " failed: " + loadErrorName(code) + " (code " + code.toString() + ")");
      for (let k = 0; k < e.outputSizes.length; k++) {
        const size = e.outputSizes[k];
        memory.copy(outputs[k].dataStart + <usize>start * size * 4, entryOutput(<u32>kind, <u32>k), <usize>m * size * 4);
      }
    }
    checkMemory("running the model");
    return outputs;
  }

  /** The metadata JSON (informative; used for shapes and `info`). */
  metadata(): string {
    return String.UTF8.decodeUnsafe(this.file.ptr + this.u32at(20), this.u32at(24));
  }

  header(offset: u32): u32 { return this.u32at(offset); }
}
