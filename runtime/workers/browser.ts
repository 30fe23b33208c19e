// Browser flavour of the worker pool: `spawn` creates module Workers from the bundled browser-entry script.
import type { WorkerPort } from './protocol.js';

export { WorkerPool, WorkerTaskError, splitBatch } from './pool.js';
export type { WorkerPoolOptions, WorkerPort } from './pool.js';

/** workerUrl: URL of runtime/workers/browser-entry.ts bundled as a module script. */
export function browserWorkerSpawner(workerUrl: string | URL): (index: number) => WorkerPort {
  return () => {
    const worker = new Worker(workerUrl, { type: 'module' });
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      listen(onMessage, onFailure) {
        worker.onmessage = (event) => onMessage(event.data);
        worker.onerror = (event) => onFailure(new Error(event.message || 'worker error'));
      },
      terminate: async () => worker.terminate(),
    };
  };
}
