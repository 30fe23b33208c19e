// The worker side of the protocol, shared by the Node and browser entry points: one EdgeVae instance per
// worker, loaded by the 'init' message. With `threads` > 1 the worker's model is a team of member threads
// started by `spawnThread` (the Node entry passes nodeMemberSpawner; nested workers end with their worker).
import { EdgeVae, type MemberThread } from '../index.js';
import type { WorkerRequest, WorkerResponse } from './protocol.js';

export function createRequestHandler(reply: (response: WorkerResponse, transfer: ArrayBuffer[]) => void,
  spawnThread?: () => MemberThread): (request: WorkerRequest) => Promise<void> {
  let vae: EdgeVae | undefined;
  const loaded = (): EdgeVae => {
    if (!vae) throw new Error('worker received a request before its model was loaded (init)');
    return vae;
  };
  return async (request) => {
    try {
      switch (request.type) {
        case 'init': {
          const threads = request.threads ?? 1;
          if (threads > 1 && !spawnThread) {
            throw new Error('threads > 1 inside pool workers needs a member-thread spawner (Node workers have one)');
          }
          vae = await EdgeVae.load(request.model, {
            wasm: request.wasm, maxBatch: request.maxBatch, threads, threadsWasm: request.threadsWasm, spawnThread,
          });
          const outputSize = vae.info.outputShape ? vae.info.outputShape.reduce((a, b) => a * b, 1) : 0;
          reply({ id: request.id, ok: true, info: { latentSize: vae.info.latentSize, outputSize, threads: vae.info.threads.count } }, []);
          return;
        }
        case 'decode': {
          const data = loaded().decode(request.z, request.batch);
          reply({ id: request.id, ok: true, data }, [data.buffer as ArrayBuffer]);
          return;
        }
        case 'sampleLatents': {
          const data = loaded().sampleLatents(request.n, { seed: request.seed, temperature: request.temperature });
          reply({ id: request.id, ok: true, data }, [data.buffer as ArrayBuffer]);
          return;
        }
        case 'memory':
          reply({ id: request.id, ok: true, memoryBytes: loaded().memoryBytes }, []);
          return;
        default:
          throw new Error(`unknown worker request type ${(request as { type: unknown }).type}`);
      }
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      reply({ id: request.id, ok: false, error: { name: error.name, message: error.message } }, []);
    }
  };
}
