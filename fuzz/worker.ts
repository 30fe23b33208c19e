// Worker side of the fuzz driver (run.ts): runs a range of cases and reports a tally. The index of the
// case in progress is kept in shared memory so the driver can name a case that hangs and restart after it.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { runCase, WasmHost } from './check-case.js';
import { emptyTally, addToTally, type WorkerJob } from './tally.js';

const job = workerData as WorkerJob;
const current = new Int32Array(job.progress);
const host = new WasmHost(new WebAssembly.Module(readFileSync(job.wasmPath)), job.casesPerInstance);
// Tallies go out in parts of PART cases, so a worker killed by the watchdog loses at most the last part.
const PART = 200;
let tally = emptyTally();
for (let i = job.start; i < job.end; i++) {
  Atomics.store(current, 0, i - job.start);
  if (i === job.simulateHangAt) for (;;);
  const t0 = performance.now();
  const r = runCase(i, { runSeed: job.seed, corpus: job.corpus, host, freshEvery: job.freshEvery, forceKind: job.forceKind });
  addToTally(tally, r, performance.now() - t0, job.slowMs);
  if (job.partialTallies && ((i + 1 - job.start) % PART === 0 || i + 1 === job.end)) {
    parentPort!.postMessage({ tally, upTo: i + 1 });
    tally = emptyTally();
  }
}
Atomics.store(current, 0, job.end - job.start);
if (!job.partialTallies) parentPort!.postMessage(tally);
