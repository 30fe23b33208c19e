// Sequence models (docs/format.md "Sequence models"): the entry rules that tie seq-encode, seq-init and seq-step
// together, and the decode loop that runs inside the module: init once, then one step per token with greedy,
// temperature or top-k choice, until every sequence emitted the stop token or the length limit is reached.
import * as F from './format';
import * as E from './errors';
import { entryInfo, loaded, maxBatch, tCount } from './model';
import { allocBytes, inMemory } from './memory';
import { run, entryInput, entryOutput } from './executor';
import { seedState, uniform } from './kernels/sampler';
import { argmaxRow } from './kernels/recurrent';
import { exp } from './kernels/compact_math';

let bos: u32 = 0;
let eos: u32 = 0;
let fileMaxLength: u32 = 0;
// Token ids 0..15 the decode loop never emits (bit i = id i), from the seq-init word's upper half.
let neverMask: u32 = 0;
let vocab: u32 = 0;
let stateFloats: u32 = 0;
let latentFloats: u32 = 0;
// Buffers of the decode loop (allocated at load for maxBatch sequences).
let stateBuf: usize = 0;
let doneBuf: usize = 0;
let rankBuf: usize = 0;

@inline function field(kind: u32, k: u32): u32 { return load<u32>(entryInfo + kind * 24 + (k << 2)); }
@inline function present(kind: u32): bool { return field(kind, 1) != 0xffffffff; }

/** Reserved word of entry kinds 3 (maxLength | never-emit mask << 16) and 4 (bos | eos << 16), noted while the entry table is read. */
export function noteSequenceWord(kind: u32, word: u32): void {
  if (kind == F.ENTRY_SEQ_INIT) { fileMaxLength = word & 0xffff; neverMask = word >>> 16; }
  if (kind == F.ENTRY_SEQ_STEP) { bos = word & 0xffff; eos = word >>> 16; }
}

/**
 * Cross-entry rules, after every entry was read: image kinds (0, 1) and sequence kinds (2..4) do not mix; seq-init
 * and seq-step come together; step input = [token, state P, latent L] with P, L from init; step output = [logits V,
 * state P] with V >= 2; bos and eos < V; 1 <= maxLength <= MAX_SEQUENCE_LENGTH; the never-emit mask has no bit at
 * or above V and not the stop token's; a seq-encode latent equals L.
 * Returns E.OK or the failing entry kind as a negative E_BAD_ENTRY with errorDetail set by the caller.
 */
export function checkSequenceEntries(seen: u32): bool {
  vocab = 0; stateFloats = 0; latentFloats = 0;
  if ((seen & 3) != 0 && (seen & 0x1c) != 0) return false;
  const init = (seen & (1 << F.ENTRY_SEQ_INIT)) != 0, step = (seen & (1 << F.ENTRY_SEQ_STEP)) != 0;
  if (init != step) return false;
  if (!init) return true;
  const L = tCount(field(F.ENTRY_SEQ_INIT, 2));
  const P = tCount(field(F.ENTRY_SEQ_INIT, 4));
  const stepIn = <u64>tCount(field(F.ENTRY_SEQ_STEP, 2));
  const stepOut = <u64>tCount(field(F.ENTRY_SEQ_STEP, 4));
  if (stepIn != 1 + <u64>P + <u64>L || stepOut < <u64>P + 2) return false;
  const V = <u32>(stepOut - <u64>P);
  if (V > 0xffff || bos >= V || eos >= V) return false;
  if (fileMaxLength == 0 || fileMaxLength > F.MAX_SEQUENCE_LENGTH) return false;
  if ((V < 16 && (neverMask >>> V) != 0) || (eos < 16 && (neverMask & (1 << eos)) != 0)) return false;
  if ((seen & (1 << F.ENTRY_SEQ_ENCODE)) != 0 && tCount(field(F.ENTRY_SEQ_ENCODE, 4)) != L) return false;
  vocab = V; stateFloats = P; latentFloats = L;
  return true;
}

/** Decode-loop buffers for `batch` sequences; false when memory cannot grow. */
export function prepareSequence(batch: u32): bool {
  stateBuf = 0; doneBuf = 0; rankBuf = 0;
  if (vocab == 0) return true;
  stateBuf = allocBytes(<usize>batch * stateFloats * 4 + 16);
  doneBuf = allocBytes(<usize>batch + 16);
  rankBuf = allocBytes(<usize>vocab * 4 + 16);
  return stateBuf != 0 && doneBuf != 0 && rankBuf != 0;
}

/** A uniform in [0, 1) that depends only on (seed, sequence index, step): chunking a batch changes nothing. */
function drawUniform(seed: u32, index: u32, step: u32): f64 {
  seedState(seed ^ (index * 0x9e3779b1) ^ (step * 0x85ebca77 + 0x165667b1));
  return uniform();
}

@inline function masked(v: u32): bool { return v < 16 && (neverMask & (1 << v)) != 0; }

/** argmaxRow over the ids the never-emit mask allows (the stop token always is): first largest, NaN never wins. */
function emittableArgmax(logits: usize): u32 {
  if (neverMask == 0) return argmaxRow(logits, vocab);
  let best: i32 = -1;
  let bv: f32 = 0;
  for (let v: u32 = 0; v < vocab; v++) {
    if (masked(v)) continue;
    const x = load<f32>(logits + (<usize>v << 2));
    if (best < 0 || x > bv || (bv != bv && x == x)) { bv = x; best = <i32>v; }
  }
  return <u32>best;
}

/** Next token from one row of logits: argmax when temperature is 0 or topK is 1, else a draw from the top-k softmax. */
function chooseToken(logits: usize, temperature: f32, topK: u32, u: f64): u32 {
  if (temperature == 0 || topK == 1) return emittableArgmax(logits);
  let allowed = vocab;
  for (let v: u32 = 0; v < 16 && v < vocab; v++) if (masked(v)) allowed--;
  const k = topK == 0 || topK > allowed ? allowed : topK;
  // The k largest emittable logits (ties: lower index first), by repeated selection; rankBuf holds their indices.
  let chosen: u32 = 0;
  if (k == allowed) {
    for (let v: u32 = 0; v < vocab; v++) {
      if (masked(v)) continue;
      store<u32>(rankBuf + (<usize>chosen << 2), v);
      chosen++;
    }
  } else {
    for (; chosen < k; chosen++) {
      let best: i32 = -1;
      let bv: f32 = 0;
      for (let v: u32 = 0; v < vocab; v++) {
        if (masked(v)) continue;
        let taken = false;
        for (let j: u32 = 0; j < chosen; j++) if (load<u32>(rankBuf + (<usize>j << 2)) == v) { taken = true; break; }
        if (taken) continue;
        const x = load<f32>(logits + (<usize>v << 2));
        if (best < 0 || x > bv) { best = <i32>v; bv = x; }
      }
      store<u32>(rankBuf + (<usize>chosen << 2), <u32>best);
    }
  }
  let m: f32 = -Infinity;
  for (let j: u32 = 0; j < chosen; j++) m = max(m, load<f32>(logits + (<usize>load<u32>(rankBuf + (<usize>j << 2)) << 2)));
  const invT = 1.0 / <f64>temperature;
  let total: f64 = 0;
  for (let j: u32 = 0; j < chosen; j++) {
    const x = load<f32>(logits + (<usize>load<u32>(rankBuf + (<usize>j << 2)) << 2));
    total += exp((<f64>x - <f64>m) * invT);
  }
  if (!(total > 0) || !isFinite(total)) return emittableArgmax(logits);
  const target = u * total;
  let acc: f64 = 0;
  for (let j: u32 = 0; j < chosen; j++) {
    const v = load<u32>(rankBuf + (<usize>j << 2));
    acc += exp((<f64>load<f32>(logits + (<usize>v << 2)) - <f64>m) * invT);
    if (target < acc) return v;
  }
  return load<u32>(rankBuf + (<usize>(chosen - 1) << 2));
}

/**
 * Decodes n <= maxBatch sequences from the latents at zPtr (n x L f32). Writes n rows of `limit` i32 tokens at
 * outPtr, where limit = min(maxLength or the file's maxLength when 0, the file's maxLength, MAX_SEQUENCE_LENGTH);
 * the stop token ends a row and the rest of it is -1. firstIndex numbers the sequences for the sampler.
 * Returns the row length (limit) or a negative error code.
 */
export function decodeSequences(zPtr: usize, n: u32, outPtr: usize, maxLength: u32, seed: u32, temperature: f32, topK: u32,
  firstIndex: u32): i32 {
  if (!loaded) return E.E_NOT_LOADED;
  if (vocab == 0 || !present(F.ENTRY_SEQ_INIT)) return E.E_NO_ENTRY;
  if (n == 0 || n > maxBatch) return E.E_BAD_BATCH;
  if (!(temperature >= 0) || !isFinite(temperature)) return E.E_BAD_PARAM;
  let limit = fileMaxLength;
  if (maxLength != 0 && maxLength < limit) limit = maxLength;
  if (limit > F.MAX_SEQUENCE_LENGTH) limit = F.MAX_SEQUENCE_LENGTH;
  const L = latentFloats, P = stateFloats, V = vocab;
  if (!inMemory(zPtr, <usize>n * L * 4) || !inMemory(outPtr, <usize>n * limit * 4)) return E.E_BAD_PARAM;
  memory.copy(entryInput(F.ENTRY_SEQ_INIT), zPtr, <usize>n * L * 4);
  let rc = run(F.ENTRY_SEQ_INIT, n);
  if (rc != E.OK) return rc;
  memory.copy(stateBuf, entryOutput(F.ENTRY_SEQ_INIT, 0), <usize>n * P * 4);
  memory.fill(doneBuf, 0, n);
  for (let s: u32 = 0; s < n; s++) for (let t: u32 = 0; t < limit; t++) store<i32>(outPtr + (<usize>(s * limit + t) << 2), -1);
  const inStride = <usize>(1 + P + L) * 4, outStride = <usize>(V + P) * 4;
  let remaining = n;
  for (let t: u32 = 0; t < limit && remaining > 0; t++) {
    const input = entryInput(F.ENTRY_SEQ_STEP);
    for (let s: u32 = 0; s < n; s++) {
      const row = input + <usize>s * inStride;
      const tok: u32 = t == 0 ? bos : <u32>load<i32>(outPtr + (<usize>(s * limit + t - 1) << 2));
      store<f32>(row, <f32>(load<u8>(doneBuf + s) != 0 ? eos : tok));
      memory.copy(row + 4, stateBuf + <usize>s * P * 4, <usize>P * 4);
      memory.copy(row + 4 + <usize>P * 4, zPtr + <usize>s * L * 4, <usize>L * 4);
    }
    rc = run(F.ENTRY_SEQ_STEP, n);
    if (rc != E.OK) return rc;
    const output = entryOutput(F.ENTRY_SEQ_STEP, 0);
    for (let s: u32 = 0; s < n; s++) {
      if (load<u8>(doneBuf + s) != 0) continue;
      const row = output + <usize>s * outStride;
      const u = temperature == 0 || topK == 1 ? 0.0 : drawUniform(seed, firstIndex + s, t);
      const tok = chooseToken(row, temperature, topK, u);
      memory.copy(stateBuf + <usize>s * P * 4, row + <usize>V * 4, <usize>P * 4);
      if (tok == eos) { store<u8>(doneBuf + s, 1); remaining--; continue; }
      store<i32>(outPtr + (<usize>(s * limit + t) << 2), <i32>tok);
    }
  }
  return <i32>limit;
}
