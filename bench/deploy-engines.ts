// Decoder latency where users deploy: Node, headless Chromium (onnxruntime-web and edgevae in the same page) and
// wasmtime (python embedding), batch 1, one thread, the same ONNX files and latent, with ratios against
// onnxruntime-node single-thread (native, the ceiling). edgevae runs the fixed-SIMD build (f32, int8) everywhere and
// the relaxed-SIMD build (int8-relaxed file; f32 with fused multiply-adds) where the engine runs it correctly.
//   npx tsx bench/deploy-engines.ts [--models=default,conv,bn,sdvae,taesd] [--window-ms=1500] [--out=bench/deploy-results.md]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { benchModels } from './models.js';
import { seededInput } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXED = join(ROOT, 'build', 'edgevae.wasm');
const RELAXED = join(ROOT, 'build', 'edgevae-relaxed.wasm');

/** A column: engine + what it runs. */
export type Column =
  | 'node:ort' | 'node:f32' | 'node:int8'
  | 'chromium:ort-web' | 'chromium:f32' | 'chromium:int8' | 'chromium:relaxed-int8' | 'chromium:relaxed-f32'
  | 'wasmtime:f32' | 'wasmtime:int8' | 'wasmtime:relaxed-int8' | 'wasmtime:relaxed-f32';
export const COLUMNS: readonly Column[] = [
  'node:ort', 'node:f32', 'node:int8',
  'chromium:ort-web', 'chromium:f32', 'chromium:int8', 'chromium:relaxed-int8', 'chromium:relaxed-f32',
  'wasmtime:f32', 'wasmtime:int8', 'wasmtime:relaxed-int8', 'wasmtime:relaxed-f32',
];
const COLUMN_LABEL: Record<Column, string> = {
  'node:ort': 'onnxruntime-node', 'node:f32': 'Node f32', 'node:int8': 'Node int8',
  'chromium:ort-web': 'Chromium onnxruntime-web', 'chromium:f32': 'Chromium f32', 'chromium:int8': 'Chromium int8',
  'chromium:relaxed-int8': 'Chromium relaxed int8', 'chromium:relaxed-f32': 'Chromium relaxed f32 (fused)',
  'wasmtime:f32': 'wasmtime f32', 'wasmtime:int8': 'wasmtime int8', 'wasmtime:relaxed-int8': 'wasmtime relaxed int8',
  'wasmtime:relaxed-f32': 'wasmtime relaxed f32 (fused)',
};

/** Median milliseconds per model and column (absent: not run or failed; the note says why). */
export interface Measurements { [model: string]: Partial<Record<Column, number>> }

/** The markdown table: each cell the median and its ratio to onnxruntime-node (below 1: faster than native). */
export function ratioTable(m: Measurements, columns: readonly Column[] = COLUMNS): string {
  const head = `| decoder | ${columns.map((c) => COLUMN_LABEL[c]).join(' | ')} |`;
  const rule = `|---|${columns.map(() => '---').join('|')}|`;
  const rows = Object.entries(m).map(([model, cells]) => {
    const base = cells['node:ort'];
    const cell = (c: Column) => {
      const v = cells[c];
      if (v === undefined) return 'n/a';
      return c === 'node:ort' || base === undefined ? `${v.toFixed(3)} ms` : `${v.toFixed(3)} ms (${(v / base).toFixed(2)}x)`;
    };
    return `| ${model} | ${columns.map(cell).join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}

/** Median of per-call times of `fn` over a window after a warm-up. */
async function timeIt(fn: () => unknown | Promise<unknown>, warmupMs: number, windowMs: number): Promise<number> {
  let end = performance.now() + warmupMs;
  while (performance.now() < end) await fn();
  const t: number[] = [];
  end = performance.now() + windowMs;
  while (performance.now() < end || t.length < 5) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

interface Prepared { id: string; onnx: string; latentDims: number[]; z: Float32Array; f32: Uint8Array; int8: Uint8Array;
  relaxed: Uint8Array }

async function prepare(id: string, onnx: string, latentDims: number[]): Promise<Prepared> {
  const z = seededInput('latent', latentDims.reduce((a, b) => a * b, 1), 1);
  const [f32, int8, relaxed] =
    await Promise.all(['f32', 'int8', 'int8-relaxed'].map(async (quant) => (await convert({ decoder: onnx, quant })).bytes));
  return { id, onnx, latentDims, z, f32: f32!, int8: int8!, relaxed: relaxed! };
}

async function nodeColumns(p: Prepared, warm: number, win: number, out: Partial<Record<Column, number>>): Promise<void> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(p.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', p.z, [1, ...p.latentDims]) };
  out['node:ort'] = await timeIt(async () => (await session.run(feeds))[session.outputNames[0]!]!.data, warm, win);
  const wasm = readFileSync(FIXED);
  for (const [col, bytes] of [['node:f32', p.f32], ['node:int8', p.int8]] as const) {
    const vae = await EdgeVae.load(bytes, { wasm, simd: 'fixed', maxBatch: 1 });
    out[col] = await timeIt(() => vae.decode(p.z, 1), warm, win);
  }
}

function wasmtimeColumns(p: Prepared, work: string, warm: number, win: number, out: Partial<Record<Column, number>>,
  notes: string[]): void {
  writeFileSync(join(work, `${p.id}.z`), p.z);
  const runs: [Column, string, boolean, boolean, Uint8Array][] = [
    ['wasmtime:f32', FIXED, false, false, p.f32], ['wasmtime:int8', FIXED, false, false, p.int8],
    ['wasmtime:relaxed-int8', RELAXED, true, false, p.relaxed], ['wasmtime:relaxed-f32', RELAXED, true, true, p.f32],
  ];
  for (const [col, wasm, relaxed, fusedF32, model] of runs) {
    const modelPath = join(work, `${p.id}-${col.replace(':', '-')}.evae`);
    writeFileSync(modelPath, model);
    writeFileSync(join(work, 'job.json'),
      JSON.stringify({ wasm, relaxed, fusedF32, model: modelPath, input: join(work, `${p.id}.z`), warmupMs: warm, windowMs: win }));
    const r = spawnSync('python3', [join(ROOT, 'bench', 'wasmtime_time.py'), join(work, 'job.json')], { encoding: 'utf8' });
    if (r.status !== 0) { notes.push(`${p.id} ${col}: ${r.stderr.trim().split('\n').pop()}`); continue; }
    out[col] = JSON.parse(r.stdout.trim().split('\n').pop()!).medianMs;
  }
}

async function chromiumColumns(models: Prepared[], warm: number, win: number, results: Measurements, notes: string[]): Promise<void> {
  const code = (await build({ entryPoints: [join(ROOT, 'runtime', 'index.ts')], bundle: true, platform: 'browser', format: 'iife',
    globalName: 'edgevae', write: false, logLevel: 'silent' })).outputFiles[0]!.text;
  const ortDir = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  const browser =
    await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    const origin = 'http://bench.local';
    await page.route(`${origin}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' });
      if (path.startsWith('/ort/')) {
        const file = join(ortDir, path.slice(5));
        const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        return route.fulfill({ contentType: type, body: readFileSync(file) });
      }
      const files: Record<string, string> =
        { '/fixed.wasm': FIXED, '/relaxed.wasm': RELAXED, ...Object.fromEntries(models.map((m) => [`/${m.id}.onnx`, m.onnx])) };
      if (files[path]) return route.fulfill({ contentType: 'application/octet-stream', body: readFileSync(files[path]!) });
      return route.fulfill({ status: 404, body: '' });
    });
    await page.goto(`${origin}/`);
    await page.addScriptTag({ content: code });
    // tsx compiles this file keeping function names through a __name helper that page.evaluate bodies then call
    await page.addScriptTag({ content: 'window.__name = (f) => f;' });
    await page.addScriptTag({ url: `${origin}/ort/ort.min.js` });
    for (const m of models) {
      const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
      const r = await page.evaluate(async ({ id, dims, z, f32, int8, relaxed, warm, win }) => {
        const bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
        const g = globalThis as unknown as { edgevae: typeof import('../runtime/index.js'); ort: typeof import('onnxruntime-web') };
        // performance.now() is coarsened in pages (0.1 ms here): each sample times enough calls to last >= 10 ms
        const median = async (fn: () => unknown) => {
          let end = performance.now() + warm, calls = 0;
          const w0 = performance.now();
          while (performance.now() < end) { await fn(); calls++; }
          const reps = Math.max(1, Math.ceil(10 / ((performance.now() - w0) / calls)));
          const t: number[] = [];
          end = performance.now() + win;
          while (performance.now() < end || t.length < 5) {
            const t0 = performance.now();
            for (let r = 0; r < reps; r++) await fn();
            t.push((performance.now() - t0) / reps);
          }
          t.sort((a, b) => a - b);
          return t[t.length >> 1]!;
        };
        const out: Record<string, number | string> = {};
        const latent = Float32Array.from(z);
        g.ort.env.wasm.numThreads = 1;
        g.ort.env.wasm.wasmPaths = '/ort/';
        const session = await g.ort.InferenceSession.create(`/${id}.onnx`, { executionProviders: ['wasm'] });
        const feeds = { [session.inputNames[0]!]: new g.ort.Tensor('float32', latent, [1, ...dims]) };
        out['chromium:ort-web'] = await median(async () => (await session.run(feeds))[session.outputNames[0]!]!.data);
        const fixed = new Uint8Array(await (await fetch('/fixed.wasm')).arrayBuffer());
        const rel = new Uint8Array(await (await fetch('/relaxed.wasm')).arrayBuffer());
        const runs: [string, string, Record<string, unknown>][] = [
          ['chromium:f32', f32, { simd: 'fixed' }], ['chromium:int8', int8, { simd: 'fixed' }],
          ['chromium:relaxed-int8', relaxed, { simd: 'relaxed' }], ['chromium:relaxed-f32', f32, { simd: 'relaxed', relaxedF32: true }],
        ];
        for (const [col, model, opts] of runs) {
          try {
            const vae = await g.edgevae.EdgeVae.load(bytes(model), { wasm: fixed, wasmRelaxed: rel, maxBatch: 1, ...opts });
            out[col] = await median(() => vae.decode(latent, 1));
          } catch (e) {
            out[`${col}:error`] = (e as Error).message;
          }
        }
        return out;
      }, { id: m.id, dims: m.latentDims, z: Array.from(m.z), f32: b64(m.f32), int8: b64(m.int8), relaxed: b64(m.relaxed), warm, win });
      for (const [k, v] of Object.entries(r)) {
        if (typeof v === 'number') results[m.id]![k as Column] = v;
        else notes.push(`${m.id} ${k}: ${v}`);
      }
    }
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const wanted = (arg('models') ?? 'default,conv,bn,sdvae,taesd').split(',');
  const win = Number(arg('window-ms') ?? 1500), warm = Number(arg('warmup-ms') ?? 500);
  const outPath = resolve(arg('out') ?? join(ROOT, 'bench', 'deploy-results.md'));
  const { models, notes } = benchModels(ROOT);
  const work = mkdtempSync(join(tmpdir(), 'edgevae-deploy-'));
  const results: Measurements = {};
  const prepared: Prepared[] = [];
  try {
    for (const m of models.filter((x) => wanted.includes(x.id))) {
      const ort = await import('onnxruntime-node');
      const s = await ort.InferenceSession.create(m.decoder);
      const meta = s.inputMetadata[0] as unknown as { shape?: (number | string)[] };
      const dims = (meta.shape ?? []).slice(1).map(Number);
      if (dims.length === 0 || dims.some((d) => !Number.isFinite(d))) { notes.push(`${m.id}: symbolic latent shape, skipped`); continue; }
      prepared.push(await prepare(m.id, m.decoder, dims));
      results[m.id] = {};
      console.log(`${m.id}: Node ...`);
      await nodeColumns(prepared.at(-1)!, warm, win, results[m.id]!);
      console.log(`${m.id}: wasmtime ...`);
      wasmtimeColumns(prepared.at(-1)!, work, warm, win, results[m.id]!, notes);
    }
    console.log('Chromium ...');
    await chromiumColumns(prepared, warm, win, results, notes);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const md = `# Decoder latency where it is deployed (batch 1, one thread)

\`npx tsx bench/deploy-engines.ts --window-ms=${win} --warmup-ms=${warm}\`, one run on this machine (2 shared cores, so medians of
wall time per call; the ratios within a run are what to compare). Ratio = time / onnxruntime-node (native, 1 thread): below
1 is faster than native. Every edgevae call copies the latent in and the image out (in wasmtime through the python
embedding's memory read/write, which adds a fixed cost per call that the browser and Node columns do not have). ` +
`"relaxed int8" is the int8-relaxed
file on the relaxed-SIMD build (same bytes as the fixed build's int8-relaxed output; PSNR cost in bench/relaxed-psnr.md);
"relaxed f32 (fused)" the f32 file with relaxed_madd (exact per engine and hardware, not across them). Node 20 has no
correct relaxed SIMD, so its relaxed columns are absent.

${ratioTable(results)}
${notes.length ? `\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
  writeFileSync(outPath, md);
  console.log(md);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
