// Entry point of a browser Worker of the pool (bundle it as its own script, e.g. with esbuild, and pass
// its URL to browserWorkerSpawner).
import { createRequestHandler } from './handler.js';
import type { WorkerRequest } from './protocol.js';

interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const handle = createRequestHandler((response, transfer) => scope.postMessage(response, transfer));
scope.onmessage = (event) => void handle(event.data);
