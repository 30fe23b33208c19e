// The training loop for Node: train-loop.ts (browser-safe) with checkpoints read from and written to disk.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { checkpointFiles } from './train-loop.js';

checkpointFiles.read = (path) => readFileSync(path);
checkpointFiles.write = (path, bytes) => writeFileAtomic(path, bytes);

export * from './train-loop.js';
