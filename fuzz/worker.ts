// Worker side of the fuzz driver (run.ts): runs a range of cases and reports a tally. The index of the
// case in progress is kept in shared memory so the driver can name a case that hangs and restart after it.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { runCase, WasmHost } from './check-case.js';
import { emptyTally, addToTally, type WorkerJob } from './tally.js';

const job = workerData as WorkerJob;
const current = new Int32Array(job.progress);
const host = new WasmHost(new WebAssembly.Module(readFileSync(job.wasmPath)), job.casesPerInstance);
const tally = emptyTally();
for (let i = job.start; i < job.end; i++) {
  Atomics.store(current, 0, i - job.start);
  const t0 = performance.now();
  const r = runCase(i, { runSeed: job.seed, corpus: job.corpus, host, freshEvery: job.freshEvery });
  addToTally(tally, r, performance.now() - t0, job.slowMs);
}
Atomics.store(current, 0, job.end - job.start);
parentPort!.postMessage(tally);
