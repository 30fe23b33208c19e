// Checkpoint files on disk (Node): the byte layout is in checkpoint-codec.ts. Written atomically
// (temp file + fsync + rename), so a crash never leaves a half-written checkpoint.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointFile } from './checkpoint-codec.js';

export {
  decodeCheckpoint, encodeCheckpoint, restoreAdam, tensorsUnder, trainingTensors, type CheckpointFile,
} from './checkpoint-codec.js';

export function saveCheckpoint<Meta>(path: string, meta: Meta, tensors: Map<string, Float32Array>): void {
  writeFileAtomic(path, encodeCheckpoint(meta, tensors));
}

export function loadCheckpoint<Meta>(path: string): CheckpointFile<Meta> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`checkpoint ${path}: cannot read (${(e as Error).message})`);
  }
  return decodeCheckpoint<Meta>(bytes, path);
}
