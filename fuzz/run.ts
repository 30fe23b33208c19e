// Loader fuzzing driver: runs seeded cases (check-case.ts) in worker threads, chunk by chunk, with a
// watchdog that names and skips a case that hangs. `npm run fuzz` runs 1,000,000 cases and prints a
// summary line; tests/fuzz.test.ts calls runFuzz() with 10,000.
//   tsx fuzz/run.ts [--cases N] [--seed S] [--start I] [--chunk N] [--workers N] [--full] [--kind K]
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { buildCorpus, type CorpusModel } from './corpus.js';
import { emptyTally, mergeTally, summaryLine, MAX_KEPT_FAILURES, type Tally, type WorkerJob } from './tally.js';
import { MUTATION_KINDS, type MutationKind } from './mutate.js';

export interface FuzzOptions {
  cases: number;
  seed?: number;
  /** index of the first case (to replay a range) */
  start?: number;
  /** cases per worker job */
  chunk?: number;
  workers?: number;
  wasmPath?: string;
  corpus?: CorpusModel[];
  /** add the larger conv fixture to the corpus */
  full?: boolean;
  /** loads into one wasm instance before a fresh one is made */
  casesPerInstance?: number;
  /** every n-th successful case is re-run in a fresh instance and must give identical outputs */
  freshEvery?: number;
  /** a case that takes longer is a hang: its worker is killed and the case reported */
  hangMs?: number;
  /** a case that finishes but takes longer than this is reported as slow */
  slowMs?: number;
  onChunk?: (done: number, total: number, tally: Tally) => void;
  /** test hook: the worker spins forever at this case (checks the watchdog) */
  simulateHangAt?: number;
  /** apply only this mutation kind (e.g. paired-fields, which the default mix leaves out) */
  forceKind?: MutationKind;
}

export interface FuzzResult { tally: Tally; seconds: number; line: string }

const ROOT = resolve(import.meta.dirname, '..');
/** A worker must reach its first case within this time (tsx, the corpus and the wasm module load first). */
const STARTUP_LIMIT_MS = 120_000;

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const t0 = performance.now();
  const seed = o.seed ?? 1;
  const start = o.start ?? 0;
  const chunk = o.chunk ?? 10_000;
  const corpus = o.corpus ?? await buildCorpus({ full: o.full });
  const base = {
    wasmPath: o.wasmPath ?? process.env.EDGEVAE_WASM ?? join(ROOT, 'build', 'edgevae.wasm'),
    corpus, seed, casesPerInstance: o.casesPerInstance ?? 32, freshEvery: o.freshEvery ?? 16, slowMs: o.slowMs ?? 5_000,
    simulateHangAt: o.simulateHangAt, forceKind: o.forceKind,
  };
  const hangMs = o.hangMs ?? 30_000;
  const ranges: Array<[number, number]> = [];
  for (let s = start; s < start + o.cases; s += chunk) ranges.push([s, Math.min(start + o.cases, s + chunk)]);
  const tally = emptyTally();
  let next = 0;
  const workerLoop = async () => {
    while (next < ranges.length) {
      const [s, e] = ranges[next++]!;
      mergeTally(tally, await runRange({ ...base, start: s, end: e }, hangMs));
      o.onChunk?.(tally.cases, o.cases, tally);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.workers ?? 1) }, workerLoop));
  const seconds = (performance.now() - t0) / 1000;
  return { tally, seconds, line: summaryLine(tally, seed, seconds) };
}

/** Runs cases [start, end) in one worker; a hang or a crashed worker is recorded and the rest continues. */
async function runRange(job: Omit<WorkerJob, 'progress'>, hangMs: number): Promise<Tally> {
  const progress = new SharedArrayBuffer(4);
  const current = new Int32Array(progress);
  Atomics.store(current, 0, -1); // -1 until the worker starts its first case (startup is not a hang)
  const spawnedAt = performance.now();
  const worker = spawn({ ...job, progress, partialTallies: true });
  const tally = emptyTally();
  let covered = job.start; // cases [job.start, covered) are in `tally`
  const result = await new Promise<{ stuckAt?: number; error?: string }>((resolvePromise) => {
    let last = -1;
    let since = performance.now();
    const timer = setInterval(() => {
      const at = Atomics.load(current, 0);
      if (at < 0) {
        if (performance.now() - spawnedAt < Math.max(hangMs, STARTUP_LIMIT_MS)) return;
        clearInterval(timer);
        void worker.terminate();
        resolvePromise({ stuckAt: job.start, error: `the worker did not start within ${STARTUP_LIMIT_MS} ms` });
        return;
      }
      if (at !== last) { last = at; since = performance.now(); return; }
      if (performance.now() - since > hangMs) {
        clearInterval(timer);
        void worker.terminate();
        resolvePromise({ stuckAt: job.start + at });
      }
    }, 100);
    worker.on('message', (m: { tally: Tally; upTo: number }) => {
      mergeTally(tally, m.tally);
      covered = m.upTo;
      if (covered === job.end) { clearInterval(timer); resolvePromise({}); }
    });
    worker.once('error', (e) => { clearInterval(timer); resolvePromise({ stuckAt: job.start + Atomics.load(current, 0), error: `${e.name}: ${e.message}` }); });
  });
  await worker.terminate();
  if (result.stuckAt === undefined) return tally;
  // The worker died inside case `stuckAt`: report it, rerun what its last part did not cover, go on after it.
  const index = result.stuckAt;
  const kind = result.error ? 'harness-error' : 'hang';
  const message = result.error ?? `no progress for ${hangMs} ms`;
  tally.cases++;
  tally.failed++;
  tally.failuresByKind[kind] = (tally.failuresByKind[kind] ?? 0) + 1;
  if (tally.failures.length < MAX_KEPT_FAILURES) {
    tally.failures.push({ index, corpus: '?', steps: [`replay: tsx fuzz/run.ts --seed ${job.seed} --start ${index} --cases 1`], checksum: 'fixed', outcome: 'failed', wasmCode: '?', failure: { kind, message } });
  }
  if (covered < index) mergeTally(tally, await runRange({ ...job, start: covered, end: index }, hangMs));
  if (index + 1 < job.end) mergeTally(tally, await runRange({ ...job, start: index + 1 }, hangMs));
  return tally;
}

function spawn(job: WorkerJob): Worker {
  const target = new URL('./worker.ts', import.meta.url).href;
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  // The worker is TypeScript: register tsx in the new thread before importing it.
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: job });
}

function parseArgs(argv: string[]): FuzzOptions {
  const o: FuzzOptions = { cases: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--full') { o.full = true; continue; }
    if (flag === '--kind') {
      const kind = argv[++i] as MutationKind;
      if (!MUTATION_KINDS.includes(kind)) throw new Error(`fuzz: --kind must be one of ${MUTATION_KINDS.join(', ')}`);
      o.forceKind = kind;
      continue;
    }
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`fuzz: ${flag} needs a non-negative integer, got '${argv[i]}'`);
    if (flag === '--cases') o.cases = value;
    else if (flag === '--seed') o.seed = value;
    else if (flag === '--start') o.start = value;
    else if (flag === '--chunk') o.chunk = Math.max(1, value);
    else if (flag === '--workers') o.workers = Math.max(1, value);
    else throw new Error(`fuzz: unknown flag ${flag} (--cases, --seed, --start, --chunk, --workers, --full, --kind)`);
  }
  return o;
}

async function cli(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  let printed = 0;
  const { tally, line } = await runFuzz({
    ...o,
    onChunk: (done, total, t) => {
      const s = (performance.now() - t0) / 1000;
      console.log(`[${String(done).padStart(String(total).length)}/${total}] ${s.toFixed(0)} s: ${t.ran} ran, ${t.rejected} rejected, ` +
        `${t.unsupported} unsupported, ${t.failed} failed`);
      for (; printed < t.failures.length; printed++) {
        const f = t.failures[printed]!;
        console.log(`  FAIL case ${f.index} (${f.corpus}, checksum ${f.checksum}; ${f.steps.join('; ')}): ${f.failure!.kind}: ${f.failure!.message}`);
      }
    },
  });
  if (tally.failed > MAX_KEPT_FAILURES) console.log(`  (${tally.failed - MAX_KEPT_FAILURES} more failures not shown)`);
  console.log(Object.entries(tally.byCode).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', '));
  console.log(line);
  return tally.failed === 0 ? 0 : 1;
}

const invoked = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : '';
if (invoked === import.meta.url) {
  cli().then((code) => { process.exitCode = code; }, (e) => { console.error(`fuzz: ${(e as Error).message}`); process.exitCode = 2; });
}
