// Browser flavour of the member threads: module Workers from the bundled browser-entry script.
import type { MemberThread } from './protocol.js';

/** workerUrl: URL of runtime/threads/browser-entry.ts bundled as a module script. */
export function browserMemberSpawner(workerUrl: string | URL): () => MemberThread {
  return () => {
    const worker = new Worker(workerUrl, { type: 'module' });
    return {
      send: (message) => worker.postMessage(message),
      listen(onReport) {
        worker.onmessage = (event) => onReport(event.data);
        worker.onerror = (event) => onReport({ type: 'failed', message: event.message || 'worker error' });
      },
      terminate: async () => worker.terminate(),
    };
  };
}
