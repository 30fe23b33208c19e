// Node flavour of the worker pool: workers are worker_threads running node-entry. Under tsx / vitest the
// entry is TypeScript, so the worker first registers tsx's loader (plain Node cannot import .ts files).
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkerPool as BasePool, type WorkerPoolOptions } from './pool.js';
import type { WorkerPort, WorkerResponse } from './protocol.js';

export { WorkerTaskError, splitBatch } from './pool.js';
export type { WorkerPoolOptions, WorkerPort, WorkerModelInfo } from './pool.js';

export class WorkerPool extends BasePool {
  /** As the base pool, with Node worker threads unless `spawn` is given. */
  static override create(options: WorkerPoolOptions): Promise<BasePool> {
    return BasePool.create({ ...options, spawn: options.spawn ?? nodeWorkerSpawner() });
  }
}

export function nodeWorkerSpawner(): (index: number) => WorkerPort {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './node-entry.ts' : './node-entry.js', import.meta.url);
  return () => portOf(entry.pathname.endsWith('.ts') ? new Worker(tsBootstrap(entry.href), { eval: true }) : new Worker(entry));
}

/** Eval-worker source: register tsx's ESM loader (its "tsx/esm/api" export, import flavour), then import the entry. */
function tsBootstrap(target: string): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exported = JSON.parse(readFileSync(manifest, 'utf8')).exports?.['./esm/api']?.import;
  const relative = typeof exported === 'string' ? exported : exported?.default;
  if (typeof relative !== 'string') throw new Error(`cannot find the "tsx/esm/api" export in ${manifest}: needed to run TypeScript workers`);
  const api = pathToFileURL(join(dirname(manifest), relative)).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
}

function portOf(worker: Worker): WorkerPort {
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onFailure) {
      worker.on('message', (m: WorkerResponse) => onMessage(m));
      worker.on('error', (e) => onFailure(e));
      worker.on('exit', (code) => onFailure(new Error(`worker exited with code ${code}`)));
    },
    terminate: async () => { await worker.terminate(); },
  };
}
