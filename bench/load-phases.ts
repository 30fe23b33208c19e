// Where the time of a model load goes (bytes -> first output, the bench's "load ms"): a table of phases,
// medians over fresh loads. Usage: see USAGE below.
// Without model files it converts the default decoder (models/default/decoder.onnx) to f32 and int8, as the
// bench does, and adds out/demo/model-f32.evae and model-int8.evae (encoder + decoder) when they exist.
// Warm (default): loads in one process, where V8 reuses the compiled runtime (optimized code included) while
// a previous instance of it is alive, as in the bench's 2nd and 3rd loads. --cold: the first load of a fresh
// process, one child process per sample: V8 compiles each wasm function lazily at its first call and runs it
// unoptimized (Liftoff) until it tiers up. --compare: a second runtime module, loaded alternately (A/B).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { crc32 } from '../format/crc32.js';
import { EdgeVae, readModel, type ModelInfo } from '../runtime/index.js';
import { compileRuntime, type WasmExports } from '../runtime/engine.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scriptPath = fileURLToPath(import.meta.url);

const USAGE = `Usage: npx tsx bench/load-phases.ts [--rounds=20] [--cold] [--wasm=build/edgevae.wasm] [--compare=/tmp/old.wasm] [--max-batch=64] [model.evae ...]

Times the phases of a model load (compile, validation, copy, wasm load, first run), medians over fresh loads.
  --rounds=N      loads per model (default 20)
  --cold          each sample is the first load of a fresh process (V8 compiles lazily, runs unoptimized code)
  --wasm=FILE     the runtime module (default build/edgevae.wasm)
  --compare=FILE  a second runtime module, loaded alternately (A/B)
  --max-batch=N   maxBatch of each load (default 64, as in the bench)
Without model files: the default decoder converted to f32 and int8, plus out/demo/model-*.evae when present.`;

interface Args { rounds: number; cold: boolean; wasm: string; compare?: string; maxBatch: number; models: string[]; child?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { rounds: 20, cold: false, wasm: join(repoRoot, 'build/edgevae.wasm'), maxBatch: 64, models: [] };
  for (const a of argv) {
    const [key, value] = a.split('=', 2);
    if (key === '--rounds') args.rounds = Number(value);
    else if (key === '--cold') args.cold = true;
    else if (key === '--wasm') args.wasm = value;
    else if (key === '--compare') args.compare = value;
    else if (key === '--max-batch') args.maxBatch = Number(value);
    else if (key === '--child') args.child = value; // internal: one cold sample, "phases" or "e2e"
    else if (key === '--help' || key === '-h') { console.log(USAGE); process.exit(0); }
    else if (a.startsWith('-')) { console.error(`load-phases: unknown option ${a}\n\n${USAGE}`); process.exit(2); }
    else args.models.push(a);
  }
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(args.maxBatch) || args.maxBatch < 1) throw new Error('--max-batch must be a positive integer');
  return args;
}

interface Model { name: string; path?: string; bytes: Uint8Array; info: ModelInfo; entry: 'encode' | 'decode' }

async function defaultModels(): Promise<Model[]> {
  const { convert } = await import('../converter/index.js');
  const out: Model[] = [];
  const decoder = join(repoRoot, 'models/default/decoder.onnx');
  for (const quant of ['f32', 'int8'] as const) {
    out.push(model(`decoder ${quant} (bench)`, (await convert({ decoder, name: 'default', quant })).bytes));
  }
  for (const q of ['f32', 'int8']) {
    const path = join(repoRoot, `out/demo/model-${q}.evae`);
    if (existsSync(path)) out.push(model(`demo ${q} (enc+dec)`, readFileSync(path), path));
  }
  return out;
}

function model(name: string, bytes: Uint8Array, path?: string): Model {
  const info = readModel(bytes);
  const entry = info.entries.some((e) => e.kind === 'decode') ? 'decode' : 'encode';
  return { name, path, bytes: new Uint8Array(bytes), info, entry };
}

const PHASES = ['compile', 'instantiate', 'readModel as Engine.load calls it', 'alloc + copy', 'wasm load()',
  '  of it CRC-32 (wasm)', 'first run', 'second run', 'phases total', 'EdgeVae.load + first output',
  'CRC-32 in TypeScript (readModel default)'] as const;
type Phase = (typeof PHASES)[number];
type Samples = Map<Phase, number[]>;
const SUMMED: readonly Phase[] = ['compile', 'instantiate', 'readModel as Engine.load calls it', 'alloc + copy', 'wasm load()', 'first run'];

const now = () => performance.now();

// Every load reserves a new wasm memory (address space plus guard regions) that only a garbage collection
// releases; hundreds of them make V8 collect inside the timed loads. Collect between loads instead, while the
// previous instance of the same runtime is still referenced (so V8 keeps its compiled code, as between the
// bench's loads; with --compare each runtime keeps its own).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const lastInstance = new Map<Uint8Array, unknown>();

/** One fresh load, phase by phase, following EdgeVae.load + Engine.load + Engine.run. */
async function phasedLoad(wasm: Uint8Array<ArrayBuffer>, m: Model, maxBatch: number, add: (p: Phase, ms: number) => void): Promise<void> {
  const start = now();
  let t = start;
  const module = await compileRuntime(wasm);
  add('compile', now() - t);
  t = now();
  const w = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports; // as Engine does in Node
  add('instantiate', now() - t);
  t = now();
  readModel(m.bytes, { skipChecksum: true }); // Engine.load leaves the checksum to the wasm loader
  add('readModel as Engine.load calls it', now() - t);
  t = now();
  const ptr = w.alloc(m.bytes.length) >>> 0;
  new Uint8Array(w.memory.buffer, ptr, m.bytes.length).set(m.bytes);
  add('alloc + copy', now() - t);
  t = now();
  const rc = w.load(ptr, m.bytes.length, maxBatch);
  add('wasm load()', now() - t);
  if (rc !== 0) throw new Error(`${m.name}: wasm load() returned ${rc}`);
  const code = m.entry === 'decode' ? 1 : 0;
  const entry = m.info.entries.find((e) => e.kind === m.entry)!;
  const input = new Float32Array(m.info.tensors[entry.input].elements).fill(0.25);
  const outLen = m.info.tensors[entry.outputs[0]].elements;
  for (const phase of ['first run', 'second run'] as const) {
    t = now();
    new Float32Array(w.memory.buffer, w.entryInput(code) >>> 0, input.length).set(input);
    if (w.run(code, 1) !== 0) throw new Error(`${m.name}: run failed`);
    new Float32Array(w.memory.buffer, w.entryOutput(code, 0) >>> 0, outLen).slice();
    add(phase, now() - t);
    if (phase === 'first run') add('phases total', now() - start);
  }
  lastInstance.set(wasm, w);
}

/** Time of the wasm loader's checksum pass: a load() of the file with a wrong checksum stops right after it. */
async function wasmCrcProbe(wasm: Uint8Array<ArrayBuffer>, m: Model): Promise<number> {
  const w = new WebAssembly.Instance(await compileRuntime(wasm), {}).exports as unknown as WasmExports;
  const bad = m.bytes.slice();
  bad[12] ^= 1;
  const ptr = w.alloc(bad.length) >>> 0;
  new Uint8Array(w.memory.buffer, ptr, bad.length).set(bad);
  const t = now();
  const rc = w.load(ptr, bad.length, 1);
  const ms = now() - t;
  if (rc !== -5) throw new Error(`${m.name}: the checksum probe expected BAD_CHECKSUM (-5), got ${rc}`);
  return ms;
}

async function endToEnd(wasm: Uint8Array<ArrayBuffer>, m: Model, maxBatch: number): Promise<number> {
  const entry = m.info.entries.find((e) => e.kind === m.entry)!;
  const input = new Float32Array(m.info.tensors[entry.input].elements).fill(0.25);
  const t = now();
  const vae = await EdgeVae.load(m.bytes, { wasm, maxBatch });
  if (m.entry === 'decode') vae.decode(input, 1);
  else vae.encode(input, 1);
  const ms = now() - t;
  lastInstance.set(wasm, vae);
  return ms;
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

const readWasm = (path: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(path));

/** Warm: all samples in this process. */
async function warmSamples(wasm: Uint8Array<ArrayBuffer>, m: Model, maxBatch: number, s: Samples): Promise<void> {
  const add = (p: Phase, ms: number) => s.get(p)!.push(ms);
  collectGarbage();
  add('EdgeVae.load + first output', await endToEnd(wasm, m, maxBatch));
  collectGarbage();
  await phasedLoad(wasm, m, maxBatch, add);
  add('  of it CRC-32 (wasm)', await wasmCrcProbe(wasm, m));
  const t = now();
  crc32(m.bytes, 16, m.bytes.length);
  add('CRC-32 in TypeScript (readModel default)', now() - t);
}

/** Cold: each measurement is the first thing a new process does with the runtime. */
function coldSamples(wasmPath: string, modelPath: string, maxBatch: number, s: Samples): void {
  for (const what of ['e2e', 'phases', 'crc']) {
    const r = spawnSync(process.execPath, [...process.execArgv, scriptPath, `--child=${what}`, `--wasm=${wasmPath}`,
      `--max-batch=${maxBatch}`, modelPath], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold sample failed: ${r.stderr}`);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as Array<[Phase, number]>;
    for (const [p, ms] of got) s.get(p)!.push(ms);
  }
}

async function childSample(args: Args): Promise<void> {
  const m = model(basename(args.models[0]), readFileSync(args.models[0]));
  const wasm = readWasm(args.wasm);
  const out: Array<[Phase, number]> = [];
  if (args.child === 'e2e') out.push(['EdgeVae.load + first output', await endToEnd(wasm, m, args.maxBatch)]);
  else if (args.child === 'phases') await phasedLoad(wasm, m, args.maxBatch, (p, ms) => out.push([p, ms]));
  else out.push(['  of it CRC-32 (wasm)', await wasmCrcProbe(wasm, m)]);
  console.log(JSON.stringify(out));
}

function printTable(title: string, labels: string[], samples: Samples[]): void {
  console.log(`\n${title}`);
  const head = ['phase', ...labels];
  const rows = PHASES.filter((p) => samples.some((s) => s.get(p)!.length > 0))
    .map((p) => [p, ...samples.map((s) => median(s.get(p)!).toFixed(3))]);
  if (samples.length === 2) {
    head.push('ratio');
    for (const r of rows) r.push((Number(r[1]) / Number(r[2])).toFixed(2));
  }
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => `| ${cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, k) => (k === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return childSample(args);
  const variants = [args.wasm, ...(args.compare ? [args.compare] : [])];
  const wasmBytes = variants.map(readWasm);
  const labels = variants.map((v, k) => (k === 1 ? `${basename(v)} (compare)` : basename(v)));
  const models = args.models.length ? args.models.map((p) => model(basename(p), readFileSync(p), p)) : await defaultModels();
  const scratch = mkdtempSync(join(tmpdir(), 'load-phases-'));
  console.log(`load phases, ms: median of ${args.rounds} ${args.cold ? 'first loads of a fresh process' : 'fresh loads in one process'}; ` +
    `maxBatch ${args.maxBatch}; node ${process.version}`);
  try {
    for (const m of models) {
      const samples: Samples[] = variants.map(() => new Map(PHASES.map((p) => [p, []])));
      let modelPath = m.path;
      if (args.cold && !modelPath) writeFileSync(modelPath = join(scratch, `${m.name.replace(/\W+/g, '-')}.evae`), m.bytes);
      for (let r = 0; r < args.rounds; r++) {
        for (let v = 0; v < variants.length; v++) {
          if (args.cold) coldSamples(variants[v], modelPath!, args.maxBatch, samples[v]);
          else await warmSamples(wasmBytes[v], m, args.maxBatch, samples[v]);
        }
      }
      printTable(`${m.name}: ${m.bytes.length} bytes, ${m.info.ops.length} ops, entry ${m.entry}`, labels, samples);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log('\n"of it CRC-32 (wasm)" is measured separately: a load() of the file with a wrong checksum, which stops right ' +
    'after the checksum pass. "phases total" = compile .. first run. The last row is not on the load path ' +
    '(inspect, the converter and the CLI verify the checksum in TypeScript).');
}

await main();
