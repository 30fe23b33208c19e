// Training checkpoints: one file holding everything needed to continue a run bit-for-bit
// (weights, Adam moments and step, epoch and position inside it, RNG state, history).
// Layout: "EVCK" | u32 version | u32 CRC-32 of the rest | u32 JSON length | JSON | pad to 4 | float32 tensors.
// Browser-safe: file access lives in checkpoint.ts.
import { crc32 } from '../format/crc32.js';
import type { Adam } from './adam.js';

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
