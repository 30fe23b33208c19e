// Training checkpoints: one file holding everything needed to continue a run bit-for-bit
// (weights, Adam moments and step, epoch and position inside it, RNG state, history).
// Layout: "EVCK" | u32 version | u32 CRC-32 of the rest | u32 JSON length | JSON | pad to 4 | float32 tensors.
// Browser-safe: file access lives in checkpoint.ts.
import { crc32 } from '../format/crc32.js';
import type { Adam } from './adam.js';
import type { RngState } from '../reference/random.js';
import type { RunDefinition } from './run-values.js';

const MAGIC = 0x4b435645; // "EVCK" little-endian
const VERSION = 1;
const HEADER = 16;

export interface CheckpointFile<Meta> {
  meta: Meta;
  tensors: Map<string, Float32Array>;
}

interface TensorEntry {
  name: string;
  /** element offset into the float32 section */
  offset: number;
  length: number;
}

export function encodeCheckpoint<Meta>(meta: Meta, tensors: Map<string, Float32Array>): Uint8Array {
  const entries: TensorEntry[] = [];
  let total = 0;
  for (const [name, values] of tensors) {
    entries.push({ name, offset: total, length: values.length });
    total += values.length;
  }
  const json = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const dataStart = align4(HEADER + json.length);
  const bytes = new Uint8Array(dataStart + total * 4);
  bytes.set(json, HEADER);
  const floats = new Float32Array(bytes.buffer, dataStart, total);
  for (const e of entries) floats.set(tensors.get(e.name)!, e.offset);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(12, json.length, true);
  view.setUint32(8, crc32(bytes, 12), true);
  return bytes;
}

export function decodeCheckpoint<Meta>(bytes: Uint8Array, file = '<buffer>'): CheckpointFile<Meta> {
  const fail = (what: string): never => {
    throw new Error(`checkpoint ${file}: ${what}`);
  };
  if (bytes.length < HEADER) fail(`truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) fail('not an edgevae checkpoint (bad magic)');
  if (view.getUint32(4, true) !== VERSION) fail(`unsupported version ${view.getUint32(4, true)}`);
  if (crc32(bytes, 12) !== view.getUint32(8, true)) fail('checksum mismatch (file is corrupt or truncated)');
  const jsonLength = view.getUint32(12, true);
  if (HEADER + jsonLength > bytes.length) fail('metadata runs past the end of the file');
  const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER, HEADER + jsonLength))) as {
    meta: Meta;
    tensors: TensorEntry[];
  };
  const dataStart = align4(HEADER + jsonLength);
  const total = (bytes.length - dataStart) / 4;
  // Copy into a fresh buffer: the file buffer may be unaligned or a view into a larger pool
  // (Buffer.prototype.slice does not copy, so use Uint8Array's).
  const floats = new Float32Array(Uint8Array.prototype.slice.call(bytes, dataStart).buffer);
  const tensors = new Map<string, Float32Array>();
  for (const e of parsed.tensors) {
    if (e.offset < 0 || e.offset + e.length > total) fail(`tensor '${e.name}' lies outside the data section`);
    tensors.set(e.name, floats.slice(e.offset, e.offset + e.length));
  }
  return { meta: parsed.meta, tensors };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Weights and Adam moments as checkpoint tensors: 'param/NAME', 'adam.m/NAME', 'adam.v/NAME'. */
export async function trainingTensors(weights: Map<string, Float32Array>, adam: Adam): Promise<Map<string, Float32Array>> {
  const tensors = new Map<string, Float32Array>();
  for (const [name, v] of weights) tensors.set(`param/${name}`, v);
  const { m, v } = await adam.moments();
  for (const [name, x] of m) tensors.set(`adam.m/${name}`, x);
  for (const [name, x] of v) tensors.set(`adam.v/${name}`, x);
  return tensors;
}

/** The checkpoint tensors under `prefix` ('param/', 'adam.m/', 'adam.v/'), named without it. */
export function tensorsUnder(tensors: Map<string, Float32Array>, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), v);
  return out;
}

/** Adam's moments and step as trainingTensors stored them. */
export function restoreAdam(adam: Adam, step: number, tensors: Map<string, Float32Array>): void {
  adam.restore(step, tensorsUnder(tensors, 'adam.m/'), tensorsUnder(tensors, 'adam.v/'));
}

/** A place where a run was stopped and later continued with --resume. */
export interface ResumePoint {
  /** epochs done when it resumed */
  epoch: number;
  /** batches of the next epoch already done */
  batchInEpoch: number;
  step: number;
}

/** Where a trainer stands in its run: the part of a checkpoint that is not weights, settings or data. */
export interface RunProgress<Partial, EpochRecord> {
  /** epochs fully done */
  epoch: number;
  /** batches of the current epoch already done (non-zero only after an interruption) */
  batchInEpoch: number;
  /** sums over the batches of the current epoch */
  partial: Partial;
  history: EpochRecord[];
  /** data and limits of the run, so --resume can restore them */
  definition?: RunDefinition;
  /** where the run was continued from a checkpoint, in order */
  resumes: ResumePoint[];
}

/** The progress fields of a checkpoint's metadata. */
export interface ProgressMeta<Partial, EpochRecord> {
  epoch: number;
  batchInEpoch: number;
  step: number;
  rng: RngState;
  partial: Partial;
  history: EpochRecord[];
  /** absent in checkpoints written before it was stored */
  run?: RunDefinition;
  resumes?: ResumePoint[];
}

/** The progress fields to store in a checkpoint. */
export function progressMeta<P, R>(t: RunProgress<P, R>, step: number, rng: RngState): ProgressMeta<P, R> {
  const { epoch, batchInEpoch, partial, history, definition, resumes } = t;
  return { epoch, batchInEpoch, step, rng, partial, history, run: definition, resumes };
}

/** Puts a trainer where the checkpoint left off, and records the resume. */
export function restoreProgress<P, R>(t: RunProgress<P, R>, meta: ProgressMeta<P, R>): void {
  t.epoch = meta.epoch;
  t.batchInEpoch = meta.batchInEpoch;
  t.partial = { ...meta.partial };
  t.history = meta.history;
  t.definition = meta.run;
  t.resumes = [...(meta.resumes ?? []), { epoch: meta.epoch, batchInEpoch: meta.batchInEpoch, step: meta.step }];
}

/** Refuses a checkpoint trained on another dataset, or on another number of training samples (`unit`: images, sequences). */
export function checkSameData(
  path: string, meta: { dataset: string; trainCount?: number }, name: string, count: number, unit: string,
): void {
  if (meta.dataset !== name) throw new Error(`checkpoint ${path}: was trained on '${meta.dataset}', not '${name}'`);
  if (meta.trainCount !== undefined && meta.trainCount !== count) {
    throw new Error(
      `checkpoint ${path}: was trained on ${meta.trainCount} ${unit} of '${meta.dataset}', now ${count} (same --limit-train?)`);
  }
}

/** A checkpoint's settings with `epochs` (when given) extending the run, checked by `validate`. */
export function resumedSettings<S extends { epochs: number }>(stored: S, epochs: number | undefined, validate: (s: S) => void): S {
  const settings = { ...stored, epochs: epochs ?? stored.epochs };
  validate(settings);
  return settings;
}
