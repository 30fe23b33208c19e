// The runtime module's host interface (docs/format.md "Host interface"); it imports nothing.
import { allocBytes } from './memory';
import { loadModel, errorDetail as lastErrorDetail } from './loader';
import { run as runEntry, entryInput as inputOf, entryOutput as outputOf } from './executor';
import { sampleNormal as fillNormal } from './kernels/sampler';
import { decodeSequences as decodeLoop } from './sequence';

/** A 16-aligned block of `bytes` bytes (grows memory); 0 when memory cannot grow. */
export function alloc(bytes: u32): usize { return allocBytes(bytes); }

/** Validates the model at [ptr, ptr+len) and allocates the arena for up to maxBatch samples; 0 or a negative code. */
export function load(ptr: usize, len: u32, maxBatch: u32): i32 { return loadModel(ptr, len, maxBatch); }

/** Index of the tensor/op/entry the last load error is about, or -1. */
export function errorDetail(): i32 { return lastErrorDetail(); }

/** Address of sample 0 of the entry's input (samples follow contiguously); 0 when absent. */
export function entryInput(kind: u32): usize { return inputOf(kind); }

/** Address of sample 0 of the entry's k-th output; 0 when absent. */
export function entryOutput(kind: u32, k: u32): usize { return outputOf(kind, k); }

/** Runs entry `kind` on n <= maxBatch samples; 0 or a negative code. */
export function run(kind: u32, n: u32): i32 { return runEntry(kind, n); }

/** Writes `count` deterministic N(0, temperature^2) f32 values at ptr. */
export function sampleNormal(ptr: usize, count: u32, seed: u32, temperature: f32): void { fillNormal(ptr, count, seed, temperature); }

/**
 * Decodes n sequences from the latents at zPtr into rows of i32 tokens at outPtr (docs/format.md "Sequence models");
 * returns the row length or a negative code.
 */
export function decodeSequences(zPtr: usize, n: u32, outPtr: usize, maxLength: u32, seed: u32, temperature: f32, topK: u32,
  firstIndex: u32): i32 {
  return decodeLoop(zPtr, n, outPtr, maxLength, seed, temperature, topK, firstIndex);
}
