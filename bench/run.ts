// `npm run bench`: edgevae vs onnxruntime-web, tfjs-backend-wasm and onnxruntime-node on the benchmark
// VAEs. Each engine runs in its own child process (bench/child.ts); this process only prepares inputs,
// reference outputs (onnxruntime-node), MAC counts, download sizes and the report.
//   tsx bench/run.ts [--quick] [--engines=a,b] [--models=conv,mlp] [--batches=1,64] [--warmup-ms=200] [--out=bench/results.md] [--no-workers]
// --warmup-ms lengthens the warm-up before each measurement: V8 first runs a large wasm module (onnxruntime-web's
// 13 MB) as baseline code and optimizes hot functions in the background, which takes seconds on a busy machine.
// --out names the markdown report (the JSON goes next to it): a partial run need not replace the full results.
import { fork } from 'node:child_process';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { cpus, loadavg, platform, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildJob, ChildResult, ChildTask } from './child.js';
import { ENGINE_NAMES, type EngineName } from './engines.js';
import { countOnnxMacs } from './macs.js';
import { benchModels } from './models.js';
import { measurePayloads } from './payload.js';
import { renderMarkdown, type BenchResults, type GraphInfo } from './report.js';
import { measureSimdPeak } from './simd-peak.js';
import { seededInput, type MeasureBudget } from './stats.js';
import type { ScalingRow, ScalingTask } from './workers-scaling.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const list = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]?.split(',').filter(Boolean);
for (const a of args) {
  if (!/^--(quick|no-workers|engines=.*|models=.*|batches=.*|warmup-ms=\d+|out=.+\.md)$/.test(a)) {
    console.error(`unknown argument ${a}; usage: tsx bench/run.ts [--quick] [--engines=${ENGINE_NAMES.join(',')}] [--models=ids] [--batches=1,64] [--warmup-ms=N] [--out=FILE.md] [--no-workers]`);
    process.exit(2);
  }
}
const quick = flag('quick');
const engines = (list('engines') ?? ENGINE_NAMES) as EngineName[];
for (const e of engines) {
  if (!ENGINE_NAMES.includes(e)) {
    console.error(`bench: unknown engine ${e} (known: ${ENGINE_NAMES.join(', ')})`);
    process.exit(2);
  }
}
const BATCHES = (list('batches') ?? ['1', '64']).map(Number);
if (BATCHES.some((b) => !Number.isInteger(b) || b < 1 || b > 64)) {
  console.error(`bench: --batches takes integers from 1 to 64, got ${list('batches')?.join(',')}`);
  process.exit(2);
}
const outMd = resolve(args.find((a) => a.startsWith('--out='))?.slice(6) ?? join(here, 'results.md'));
const outJson = outMd.replace(/\.md$/, '.json');
const budget: MeasureBudget = quick
  ? { warmupMs: 30, measureMs: 100, minSamples: 3, maxSamples: 300 }
  : { warmupMs: 200, measureMs: 800, minSamples: 7, maxSamples: 3000 };
const warmupArg = args.find((a) => a.startsWith('--warmup-ms='));
if (warmupArg) budget.warmupMs = Number(warmupArg.slice(12));

/** Batch-1 medians published for this machine class (issue "beat onnxruntime-web and TensorFlow.js"). */
const PUBLISHED: BenchResults['published'] = {
  'conv.decoder': { 'ort-node': 0.32, 'ort-web': 0.88, 'tfjs-wasm': 10 },
  'conv.encoder': { 'ort-node': 0.078, 'ort-web': 0.37 },
  'mlp.decoder': { 'ort-node': 0.10, 'ort-web': 0.11 },
  'bn.decoder': { 'ort-node': 0.33, 'ort-web': 1.50 },
};

/** Runs one forked TypeScript child with a message and returns its single reply. */
function runChild<T>(file: string, message: unknown, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, file), [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: T | undefined;
    child.on('message', (m) => { reply = m as T; });
    child.on('error', reject);
    child.on('exit', (code) => (reply !== undefined ? resolve(reply) : reject(new Error(`${what}: child exited with code ${code} without a result`))));
    child.send(message as never);
  });
}

async function referenceOutputs(path: string, dims: number[], input: Float32Array): Promise<Float32Array[]> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [2, ...dims]) });
  const result = session.outputNames.map((n) => Float32Array.from(out[n]!.data as Float32Array));
  await session.release();
  return result;
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg();
  const { models: allModels, notes } = benchModels(root);
  // --quick: the headline model only, short windows (about 30 s)
  const wanted = list('models') ?? (quick ? [allModels[0]!.id] : undefined);
  const models = wanted ? allModels.filter((m) => wanted.includes(m.id)) : allModels;
  if (models.length === 0) throw new Error(`no model matches --models=${wanted} (have: ${allModels.map((m) => m.id).join(', ')})`);

  console.log(`measuring the SIMD peak ...`);
  const simdPeak = await measureSimdPeak(quick ? 100 : 300);
  console.log(`  f32 ${simdPeak.f32Gmacs.toFixed(1)} GMAC/s, int8 ${simdPeak.int8Gmacs.toFixed(1)} GMAC/s`);

  const graphs: GraphInfo[] = [];
  const jobs: ChildJob[] = [];
  const { loadOnnx } = await import('../converter/onnx-load.js');
  for (const m of models) {
    for (const part of ['encoder', 'decoder'] as const) {
      const path = m[part];
      if (!path) continue;
      const onnx = await loadOnnx(path);
      const inputDims = (onnx.inputs[0]!.dims ?? []).slice(1).map(Number);
      const id = `${m.id}.${part}`;
      const per = inputDims.reduce((a, b) => a * b, 1);
      const input = seededInput(part === 'encoder' ? 'image' : 'latent', 2 * per, 42);
      const macs = await countOnnxMacs(path).catch((e: Error) => {
        notes.push(`${id}: MACs not counted (${e.message})`);
        return Number.NaN;
      });
      graphs.push({ id, model: m.id, modelLabel: m.label, part, macs, inputDims });
      jobs.push({ id, model: m.id, part, path, inputDims, reference: { input, outputs: await referenceOutputs(path, inputDims, input) } });
    }
  }

  const results: ChildResult[] = [];
  for (const engine of engines) {
    console.log(`running ${engine} ...`);
    // f32 engines must agree with onnxruntime-node to float rounding; int8 ones only to quantization error
    const parityTolerance = engine === 'edgevae-int8' || engine === 'edgevae-int8-weights' ? 0.1 : 1e-3;
    const task: ChildTask = { engine, repoRoot: root, jobs, batches: BATCHES, budget, parityTolerance };
    const r = await runChild<ChildResult>('child.ts', task, engine).catch((e: Error) => ({ engine, setupMs: 0, peakRssDeltaMb: 0, jobs: [], error: e.message }) as ChildResult);
    results.push(r);
    for (const j of r.jobs) {
      const t = j.timings ?? {};
      console.log(`  ${j.id.padEnd(16)} ${j.error ? j.error : BATCHES.map((b) => `b${b} ${t[b]?.median.toFixed(3) ?? '–'} ms`).join('  ') + (j.parityOk ? '' : ' (MISMATCH vs ort-node)')}`);
    }
    if (r.error) console.log(`  ${r.error}`);
  }

  let scaling: ScalingRow[] = [];
  if (!flag('no-workers') && engines.includes('edgevae-f32')) {
    console.log('measuring the worker pool (batch 64, 1 and 2 workers) ...');
    const headline = models.find((m) => m.id === 'default') ?? models.find((m) => m.id === 'conv');
    const scaleModels = models.filter((m) => m === headline || m.id === 'conv64').map((m) => ({ id: m.id, decoder: m.decoder }));
    const task: ScalingTask = { repoRoot: root, models: scaleModels, batch: 64, budget };
    scaling = await runChild<ScalingRow[]>('workers-scaling.ts', task, 'worker scaling').catch((e: Error) => [{ model: '*', batch: 64, pool: {}, error: e.message }]);
  }

  const payloads = await measurePayloads(root);
  const bench: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    quick,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: `${platform()} ${release()}`, loadBefore, loadAfter: loadavg() },
    simdPeak, batches: BATCHES, graphs, engines: results, payloads, scaling, published: PUBLISHED,
    notes: [...notes, `total bench time ${((performance.now() - started) / 1000).toFixed(0)} s`],
  };
  writeFileAtomic(outJson, JSON.stringify(bench, null, 1) + '\n');
  writeFileAtomic(outMd, renderMarkdown(bench));
  console.log(`wrote ${relative(root, outMd)} and ${relative(root, outJson)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
