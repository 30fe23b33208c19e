// One engine, one process: the parent (bench/run.ts) forks this file per engine so engines never share
// a heap, a wasm memory or JIT state. Receives a ChildTask over IPC, sends back a ChildResult.
import { installWasmMemoryProbe, liveWasmMemories } from './wasm-memory-probe.js';
import { createEngine, NotAvailableError, type EngineName, type GraphJob, type LoadedGraph } from './engines.js';
import { matchOutputs, measure, relativeMaxDiff, seededInput, type MeasureBudget, type Timing } from './stats.js';

export interface ChildJob extends GraphJob {
  /** batch-2 input and onnxruntime-node's outputs for it (the parity check) */
  reference: { input: Float32Array; outputs: Float32Array[] };
}

export interface ChildTask {
  engine: EngineName;
  repoRoot: string;
  jobs: ChildJob[];
  batches: number[];
  budget: MeasureBudget;
  /** relative difference above which an engine's output counts as wrong (tfjs timing is then skipped) */
  parityTolerance: number;
}

export interface JobResult {
  id: string;
  /** set when the engine could not run the job; then nothing else is */
  error?: string;
  notAvailable?: boolean;
  /** bytes handed to the engine */
  modelBytes?: number;
  /** bytes -> first output (batch 1), ms: median of up to 3 fresh loads */
  loadMs?: number;
  /** max relative difference to onnxruntime-node, per output */
  parity?: number[];
  parityOk?: boolean;
  timings?: Record<number, Timing>;
  /** linear memory of the wasm instance(s) after the runs (edgevae: this model's instance) */
  wasmMemoryBytes?: number;
  /** resident set growth from before the load to after the runs (MB; GC makes it approximate) */
  rssDeltaMb?: number;
}

export interface ChildResult {
  engine: EngineName;
  setupMs: number;
  /** peak resident set growth over the whole child (MB), conversion included for edgevae */
  peakRssDeltaMb: number;
  jobs: JobResult[];
  error?: string;
}

async function runTask(task: ChildTask): Promise<ChildResult> {
  installWasmMemoryProbe();
  const rss0 = process.memoryUsage().rss;
  const result: ChildResult = { engine: task.engine, setupMs: 0, peakRssDeltaMb: 0, jobs: [] };
  try {
    const engine = await createEngine(task.engine, task.repoRoot);
    const t0 = performance.now();
    await engine.setup();
    result.setupMs = performance.now() - t0;
    for (const job of task.jobs) {
      const r: JobResult = { id: job.id };
      result.jobs.push(r);
      try {
        const prepared = await engine.prepare(job);
        const per = job.inputDims.reduce((a, b) => a * b, 1);
        const kind = job.part === 'encoder' ? 'image' : 'latent';
        let before = new Set(liveWasmMemories());
        const rssBefore = process.memoryUsage().rss;
        const first = seededInput(kind, per, 7);
        // Load (bytes -> first output) up to 3 times, each a fresh instance; the median is reported.
        const loads: number[] = [];
        let graph: LoadedGraph | undefined;
        while (loads.length < 3 && loads.reduce((a, b) => a + b, 0) < 1000) {
          if (graph) await graph.dispose();
          before = new Set(liveWasmMemories()); // so only the kept instance's memory is counted
          const tl = performance.now();
          graph = await engine.load(prepared, job);
          await graph.run(first, 1);
          loads.push(performance.now() - tl);
        }
        if (!graph) throw new Error('no load was attempted');
        r.loadMs = loads.sort((a, b) => a - b)[Math.floor((loads.length - 1) / 2)];
        r.modelBytes = graph.modelBytes;
        const got = matchOutputs(await graph.run(job.reference.input, 2), job.reference.outputs.length, 2);
        r.parity = job.reference.outputs.map((expected, k) => (got[k] ? relativeMaxDiff(got[k]!, expected) : Number.POSITIVE_INFINITY));
        r.parityOk = r.parity.every((d) => d <= task.parityTolerance);
        // A wrong tfjs mapping would time a different computation: refuse. Our own engines are timed
        // anyway (and flagged), so a precision problem stays visible next to its speed.
        if (r.parityOk || task.engine.startsWith('edgevae')) {
          r.timings = {};
          for (const batch of task.batches) {
            const input = seededInput(kind, batch * per, 100 + batch);
            r.timings[batch] = await measure(() => graph.run(input, batch), task.budget);
          }
        }
        const mine = liveWasmMemories().filter((m) => !before.has(m));
        r.wasmMemoryBytes = (mine.length ? mine : liveWasmMemories()).reduce((a, m) => a + m.buffer.byteLength, 0);
        r.rssDeltaMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
        await graph.dispose();
      } catch (e) {
        r.error = e instanceof NotAvailableError ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
        r.notAvailable = e instanceof NotAvailableError;
      }
    }
  } catch (e) {
    result.error = `${(e as Error).name}: ${(e as Error).message}`;
  }
  result.peakRssDeltaMb = (process.resourceUsage().maxRSS * 1024 - rss0) / 2 ** 20;
  return result;
}

process.once('message', (task: ChildTask) => {
  runTask(task).then(
    (result) => process.send!(result, () => process.exit(0)),
    (e: unknown) => process.send!({ engine: task.engine, setupMs: 0, peakRssDeltaMb: 0, jobs: [], error: String(e) }, () => process.exit(1)),
  );
});
