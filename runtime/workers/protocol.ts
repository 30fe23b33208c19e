// Messages between a WorkerPool and its workers. The same protocol serves Node worker_threads and browser
// Workers: plain structured-cloneable objects, Float32Array buffers transferred, the compiled
// WebAssembly.Module shared (modules are cloneable, so each worker skips compilation).

export type WorkerRequest =
  | { id: number; type: 'init'; model: Uint8Array; wasm: WebAssembly.Module; maxBatch: number;
      /** intra-op threads of this worker's model (docs/threads.md); > 1 needs threadsWasm */
      threads?: number; threadsWasm?: WebAssembly.Module }
  | { id: number; type: 'decode'; z: Float32Array; batch: number }
  | { id: number; type: 'sampleLatents'; n: number; seed: number; temperature: number }
  | { id: number; type: 'memory' };

export interface WorkerModelInfo {
  latentSize: number;
  /** floats per decoded sample (0 when the model has no decode entry) */
  outputSize: number;
  /** threads each worker's model runs on (1 when threads were not asked for or are unavailable) */
  threads: number;
}

export type WorkerResponse =
  | { id: number; ok: true; data?: Float32Array; info?: WorkerModelInfo; memoryBytes?: number }
  | { id: number; ok: false; error: { name: string; message: string } };

/** Minimal view of a worker, so the pool does not care whether it is a Node or a browser worker. */
export interface WorkerPort {
  post(message: WorkerRequest, transfer: ArrayBuffer[]): void;
  /** called with every response, and with an Error when the worker dies */
  listen(onMessage: (response: WorkerResponse) => void, onFailure: (error: Error) => void): void;
  terminate(): Promise<void>;
}
