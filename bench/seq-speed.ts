// Decoding speed of sequence VAEs, batch 1: one decoder step (previous token, state, z -> logits, next
// state, logits read back) and a whole greedy sequence (init + one step per token, the argmax fed back),
// for onnxruntime-node and onnxruntime-web running the exported decoder-init/decoder-step graphs and
// tfjs-backend-wasm running the trainer's own layers (trainer/seq-model.ts, plain tfjs kernels, no edgevae
// training kernels). Every engine must pick the same tokens as onnxruntime-node before it is timed, except
// edgevae-int8w and edgevae-int8 (quantized), which are timed anyway with the first differing step noted.
// The edgevae column comes from `edgevaeSlot`: it converts the same graphs and times the runtime's decode
// loop when the converter and runtime support sequence models, and is skipped with a note otherwise.
//   npx tsx bench/seq-speed.ts [--models=musicvae,words] [--engines=ort-node,ort-web,tfjs-wasm,edgevae,edgevae-int8w,edgevae-int8]
//     [--measure-ms=500] [--out=FILE.md]
import { cpus, loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { buildSeqOnnx } from '../trainer/export-seq-onnx.js';
import { seqInitialWeights, stateParts, type SeqModelConfig } from '../trainer/seq-model.js';
import { BOS, EOS, emittableArgmax, SPECIAL_TOKENS } from '../trainer/vocab.js';
import { measure, seededInput, type MeasureBudget, type Timing } from './stats.js';
import { quantizeModel } from '../converter/quantize/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

export interface SeqBenchModel {
  name: string;
  what: string;
  config: SeqModelConfig;
  /** tokens decoded in the whole-sequence measurement */
  steps: number;
}

export const SEQ_BENCH_MODELS: SeqBenchModel[] = [
  {
    name: 'musicvae',
    what: 'MusicVAE-sized melody decoder: 2-layer LSTM 512, latent 256, 90 melody events + 4 specials, embedding 64',
    config: { kind: 'seq', cell: 'lstm', layers: 2, hidden: 512, latent: 256, embed: 64, bidirectional: true, vocabSize: 94,
      maxTokens: 33 },
    steps: 32,
  },
  {
    name: 'words',
    what: 'the word model of docs/sequence.md: LSTM 128, latent 16, embedding 32, 73 tokens',
    config: { kind: 'seq', cell: 'lstm', layers: 1, hidden: 128, latent: 16, embed: 32, bidirectional: true, vocabSize: 73, maxTokens: 17 },
    steps: 17,
  },
];

export type SeqEngineName = 'ort-node' | 'ort-web' | 'tfjs-wasm' | 'edgevae' | 'edgevae-int8w' | 'edgevae-int8';
export const SEQ_ENGINES: readonly SeqEngineName[] = ['ort-node', 'ort-web', 'tfjs-wasm', 'edgevae', 'edgevae-int8w', 'edgevae-int8'];
export const SEQ_ENGINE_LABEL: Record<SeqEngineName, string> = {
  'ort-node': 'onnxruntime-node (native, 1 thread)',
  'ort-web': 'onnxruntime-web (wasm SIMD, 1 thread)',
  'tfjs-wasm': 'tfjs-backend-wasm (SIMD, 1 thread; the trainer\'s layers)',
  edgevae: 'edgevae f32 (decode loop in wasm)',
  'edgevae-int8w': 'edgevae int8-weights (i8 W/R, int8-weight GEMV)',
  'edgevae-int8': 'edgevae int8 (i8 W/R packed at load, rows quantized to int8 per step, i32x4.dot_i16x8_s GEMV)',
};

/** A loaded decoder: one timed step from a fixed state, and a whole greedy sequence. */
export interface SeqDecoder {
  /** one step: BOS, the initial state, z -> logits (read back) */
  step(): Promise<Float32Array>;
  /** greedy tokens of `steps` steps from z (no stop at EOS: every engine does the same work) */
  sequence(steps: number): Promise<number[]>;
  /** true when the engine decides the length itself (stops at EOS): its per-token time is whole / tokens */
  stopsAtEos?: boolean;
  /** quantized weights: timed even when its tokens differ from onnxruntime's (f32), with the first differing step noted */
  approximate?: boolean;
  dispose(): Promise<void> | void;
}

/** What a model's engines share: the ONNX graphs, the weights and the latent. */
export interface SeqBenchInputs {
  model: SeqBenchModel;
  weights: Map<string, Float32Array>;
  init: Uint8Array;
  step: Uint8Array;
  z: Float32Array;
}

/** Greedy choice as the trainer makes it: never <pad>, <bos>, <unk>. */
const pick = (logits: Float32Array, V: number) => emittableArgmax(logits, 0, V);

interface OrtModule {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => { data: unknown };
  InferenceSession: { create(bytes: Uint8Array, options?: object): Promise<OrtSession> };
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

async function ortDecoder(ort: OrtModule, inputs: SeqBenchInputs, options: object): Promise<SeqDecoder> {
  const { config } = inputs.model;
  const init = await ort.InferenceSession.create(inputs.init, options);
  const step = await ort.InferenceSession.create(inputs.step, options);
  const lstm = stateParts(config.cell) === 2;
  const zT = new ort.Tensor('float32', inputs.z, [1, config.latent]);
  const first = await init.run({ z: zT });
  const runStep = (token: number, h: unknown, c: unknown) =>
    step.run({ token: new ort.Tensor('int64', BigInt64Array.of(BigInt(token)), [1]), h, ...(lstm ? { c } : {}), z: zT });
  return {
    async step() {
      const out = await runStep(BOS, first.h, first.c);
      return out.logits!.data as Float32Array;
    },
    async sequence(steps) {
      let { h, c } = await init.run({ z: zT });
      let token = BOS;
      const tokens: number[] = [];
      for (let t = 0; t < steps; t++) {
        const out = await runStep(token, h, c);
        token = pick(out.logits!.data as Float32Array, config.vocabSize);
        tokens.push(token);
        h = out.h_next!;
        c = out.c_next;
      }
      return tokens;
    },
    async dispose() {
      await init.release();
      await step.release();
    },
  };
}

async function tfjsDecoder(inputs: SeqBenchInputs): Promise<SeqDecoder> {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const { SeqVaeModel, stateTensors } = await import('../trainer/seq-model.js');
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialize');
  if (!tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) throw new Error('tfjs: the wasm backend runs without SIMD');
  const model = new SeqVaeModel(inputs.model.config, inputs.weights);
  const V = inputs.model.config.vocabSize;
  const z = tf.tensor2d(inputs.z, [1, inputs.model.config.latent]);
  const initial = tf.tidy(() => stateTensors(model.initialState(z)).map((t) => tf.keep(t)));
  return {
    async step() {
      const logits = tf.tidy(() => model.step([BOS], model.unpackState(initial), z).logits);
      const data = logits.dataSync() as Float32Array;
      logits.dispose();
      return data;
    },
    async sequence(steps) {
      let state = tf.tidy(() => stateTensors(model.initialState(z)));
      let token = BOS;
      const tokens: number[] = [];
      for (let t = 0; t < steps; t++) {
        const current = state;
        const [logits, ...next] = tf.tidy(() => {
          const r = model.step([token], model.unpackState(current), z);
          return [r.logits, ...stateTensors(r.state)];
        });
        token = pick(logits.dataSync() as Float32Array, V);
        tokens.push(token);
        tf.dispose([logits, ...current]);
        state = next;
      }
      tf.dispose(state);
      return tokens;
    },
    dispose() {
      tf.dispose([z, ...initial]);
      model.dispose();
    },
  };
}

/** The engine cannot run this yet; the note goes into the report instead of a number. */
export class SeqEngineUnavailable extends Error {}

/**
 * The edgevae column: converts decoder-init/decoder-step with the converter's sequence entry point and
 * times the runtime's own decode loop. Modules are looked up at run time, so this file builds and runs
 * before the runtime supports sequence models; then the column is skipped with a note.
 */
export async function edgevaeSlot(inputs: SeqBenchInputs, quant?: 'int8-weights' | 'int8'): Promise<SeqDecoder> {
  const converterPath = join(root, 'converter', 'sequence.ts');
  const runtimePath = join(root, 'runtime', 'sequence.ts');
  const wasmPath = join(root, 'build', 'edgevae.wasm');
  if (!existsSync(converterPath) || !existsSync(runtimePath)) {
    throw new SeqEngineUnavailable(
      'skipped: this checkout\'s converter and runtime do not support sequence models yet (no converter/sequence.ts, runtime/sequence.ts)');
  }
  if (!existsSync(wasmPath)) throw new SeqEngineUnavailable('skipped: build/edgevae.wasm is missing (npm run build:wasm)');
  const converter = (await import(converterPath)) as {
    convertSequence(o: { decoderInit: Uint8Array; decoderStep: Uint8Array; vocab: object; name?: string }): Promise<{ bytes: Uint8Array }>;
  };
  const runtime = (await import(runtimePath)) as {
    SequenceVae: { load(bytes: Uint8Array, o: { wasm: Uint8Array; maxBatch?: number }): Promise<{
      decodeLatents(z: Float32Array, n: number, o?: { maxLength?: number }): { tokens: Int32Array[] };
    }> };
  };
  const { config, steps } = inputs.model;
  const tokens = [...SPECIAL_TOKENS, ...Array.from({ length: config.vocabSize - SPECIAL_TOKENS.length }, (_, i) => `s${i}`)];
  const { bytes: f32Bytes } = await converter.convertSequence({
    decoderInit: inputs.init, decoderStep: inputs.step, vocab: { tokens, separator: ' ', maxTokens: Math.max(steps, config.maxTokens) },
      name: inputs.model.name,
  });
  // int8-weights: the converter's quantizer (recurrent W and R per gate column, dense heads per output channel);
  // int8: the same weights, and the recurrent ops flagged for int8 activations.
  const bytes = quant ? (await quantizeModel(f32Bytes, { mode: quant })).bytes : f32Bytes;
  const vae = await runtime.SequenceVae.load(bytes, { wasm: readFileSync(wasmPath), maxBatch: 1 });
  return {
    stopsAtEos: true,
    approximate: quant !== undefined,
    async step() {
      return Float32Array.from(vae.decodeLatents(inputs.z, 1, { maxLength: 1 }).tokens[0]!);
    },
    async sequence(n) {
      return Array.from(vae.decodeLatents(inputs.z, 1, { maxLength: n }).tokens[0]!);
    },
    dispose() {},
  };
}

export async function createSeqDecoder(engine: SeqEngineName, inputs: SeqBenchInputs): Promise<SeqDecoder> {
  switch (engine) {
    case 'ort-node':
      return ortDecoder((await import('onnxruntime-node')) as unknown as OrtModule, inputs,
        { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    case 'ort-web': {
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      return ortDecoder(ort as unknown as OrtModule, inputs, { executionProviders: ['wasm'] });
    }
    case 'tfjs-wasm':
      return tfjsDecoder(inputs);
    case 'edgevae':
      return edgevaeSlot(inputs);
    case 'edgevae-int8w':
      return edgevaeSlot(inputs, 'int8-weights');
    case 'edgevae-int8':
      return edgevaeSlot(inputs, 'int8');
  }
}

/** Weights, graphs and a latent whose greedy decoding (by onnxruntime-node) runs all `steps` without EOS. */
export async function prepareModel(model: SeqBenchModel, seed = 1): Promise<{ inputs: SeqBenchInputs; reference: number[] }> {
  const weights = seqInitialWeights(model.config, seed);
  const { decoderInit, decoderStep } = buildSeqOnnx(model.config, weights);
  for (let attempt = 0; attempt < 50; attempt++) {
    const z = seededInput('latent', model.config.latent, seed * 1000 + attempt);
    const inputs = { model, weights, init: decoderInit, step: decoderStep, z };
    const reference = await createSeqDecoder('ort-node', inputs);
    const tokens = await reference.sequence(model.steps);
    await reference.dispose();
    if (!tokens.includes(EOS)) return { inputs, reference: tokens };
  }
  throw new Error(`${model.name}: no latent among 50 decodes ${model.steps} tokens without EOS`);
}

export interface SeqBenchRow {
  model: string;
  engine: SeqEngineName;
  /** why there is no number */
  note?: string;
  step?: Timing;
  sequence?: Timing;
  /** tokens in the timed sequence */
  tokens?: number;
}

export async function benchModel(model: SeqBenchModel, engines: readonly SeqEngineName[], budget: MeasureBudget,
  log: (s: string) => void = () => {}): Promise<SeqBenchRow[]> {
  const { inputs, reference } = await prepareModel(model);
  const rows: SeqBenchRow[] = [];
  for (const engine of engines) {
    let decoder: SeqDecoder;
    try {
      decoder = await createSeqDecoder(engine, inputs);
    } catch (e) {
      if (!(e instanceof SeqEngineUnavailable)) throw e;
      rows.push({ model: model.name, engine, note: e.message });
      log(`${model.name} ${engine}: ${e.message}`);
      continue;
    }
    try {
      const tokens = await decoder.sequence(model.steps);
      const expected = decoder.stopsAtEos ? reference.slice(0, tokens.length) : reference;
      const differAt = tokens.findIndex((t, i) => t !== expected[i]);
      const note = differAt >= 0 ? `tokens differ from onnxruntime-node's (f32 weights) at step ${differAt}` : undefined;
      if (differAt >= 0 && decoder.approximate) log(`${model.name} ${engine}: ${note}`);
      if (tokens.join(',') !== expected.join(',') && !decoder.approximate) {
        // A wrong answer is not timed; the report shows it in place of the numbers.
        rows.push(
          { model: model.name, engine,
            note: `NOT TIMED: greedy tokens ${tokens.join(',')} differ from onnxruntime-node's ${reference.join(',')}` });
        log(`${model.name} ${engine}: greedy tokens differ from onnxruntime-node's`);
        continue;
      }
      const step = decoder.stopsAtEos ? undefined : await measure(() => decoder.step(), budget);
      const sequence = await measure(() => decoder.sequence(model.steps), { ...budget, minSamples: 3 });
      rows.push({ model: model.name, engine, step, sequence, tokens: tokens.length, note });
      log(`${model.name} ${engine}: step ${step ? step.cpuMedian!.toFixed(3) : '-'} ms, sequence ${sequence.cpuMedian!.toFixed(2)} ms CPU`);
    } finally {
      await decoder.dispose();
    }
  }
  return rows;
}

/** Per-token CPU ms: the step measurement, or whole sequence / tokens where the engine owns the loop. */
export function perToken(row: SeqBenchRow): number | undefined {
  if (row.step?.cpuMedian !== undefined) return row.step.cpuMedian;
  if (row.sequence?.cpuMedian !== undefined && row.tokens) return row.sequence.cpuMedian / row.tokens;
  return undefined;
}

export function seqSpeedMarkdown(rows: SeqBenchRow[], models: SeqBenchModel[], header: string[]): string {
  const lines = ['# Sequence decoding speed, batch 1', '', ...header, '',
    '| model | engine | one step (CPU ms, median / p90) | whole sequence (CPU ms, median / p90) | tokens | wall median (ms) | ' +
      'edgevae f32 is ' +
      'x faster (sequence) | edgevae int8 is x faster (sequence) |',
    '|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const m of models) {
    const own = rows.find((r) => r.model === m.name && r.engine === 'edgevae' && r.sequence);
    const int8 = rows.find((r) => r.model === m.name && r.engine === 'edgevae-int8' && r.sequence);
    for (const r of rows.filter((x) => x.model === m.name)) {
      if (!r.sequence) {
        lines.push(`| ${m.name} | ${SEQ_ENGINE_LABEL[r.engine]} | ${r.note ?? 'n/a'} | | | | | |`);
        continue;
      }
      const t = (x?: Timing) => (x ? `${x.cpuMedian!.toFixed(3)} / ${x.cpuP90!.toFixed(3)}` : `(${perToken(r)!.toFixed(3)} per token)`);
      const mine = r.engine.startsWith('edgevae');
      const ratioTo = (base?: SeqBenchRow) =>
        base && base !== r && (!mine || r.engine === 'edgevae')
          ? `${(r.sequence!.cpuMedian! / base.sequence!.cpuMedian!).toFixed(1)}x` : '';
      const ratio = mine ? '' : ratioTo(own);
      const label = r.note ? `${SEQ_ENGINE_LABEL[r.engine]} (${r.note})` : SEQ_ENGINE_LABEL[r.engine];
      lines.push(
        `| ${m.name} | ${label} | ${t(r.step)} | ${t(r.sequence)} | ${r.tokens} | ` +
          `${r.sequence.median.toFixed(2)} | ${ratio} | ${ratioTo(int8)} |`);
    }
  }
  lines.push('', 'Models:', ...models.map((m) => `- \`${m.name}\`: ${m.what}; ${m.steps} greedy tokens per sequence`), '');
  return lines.join('\n');
}

function option(name: string): string | undefined {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const known = ['models', 'engines', 'measure-ms', 'out'];
  for (const a of process.argv.slice(2)) {
    if (!known.some((k) => a.startsWith(`--${k}=`))) throw new Error(
      `unknown argument '${a}' (options: ${known.map((k) => `--${k}=...`).join(' ')})`);
  }
  const names = option('models')?.split(',') ?? SEQ_BENCH_MODELS.map((m) => m.name);
  const models = names.map((n) => SEQ_BENCH_MODELS.find((m) => m.name === n) ?? (() => { throw new Error(`unknown model '${n}'`); })());
  const engines = (option('engines')?.split(',') ?? SEQ_ENGINES) as SeqEngineName[];
  for (const e of engines) if (!SEQ_ENGINES.includes(e)) throw new Error(`unknown engine '${e}' (${SEQ_ENGINES.join(', ')})`);
  const measureMs = Number(option('measure-ms') ?? 500);
  const budget: MeasureBudget = { warmupMs: 1000, measureMs, minSamples: 10, maxSamples: 2000 };
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const started = performance.now();
  const rows: SeqBenchRow[] = [];
  for (const m of models) rows.push(...(await benchModel(m, engines, budget, (s) => console.log(s))));
  const seconds = (performance.now() - started) / 1000;
  const header = [
    `- date: ${new Date().toISOString()}; ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}; load average ` +
      `before: ${load}; run took ${seconds.toFixed(0)} s`,
    `- command: \`npx tsx bench/seq-speed.ts${process.argv.slice(2).map((a) => ` ${a}`).join('')}\` (part of \`npm run bench\`)`,
    '- weights: the trainer\'s seeded initialization (speed does not depend on the values); the latent is the first seeded one whose ' +
      'greedy decoding ' +
      'runs every step without <eos>, so every engine does the same work; each engine must pick the same tokens as onnxruntime-node ' +
        'before it is timed',
    '- one step: `<bos>`, the initial state and z -> logits, read back into JS; whole sequence: init graph + one step per token, ' +
      'the argmax ' +
      '(never <pad>/<bos>/<unk>) fed back; CPU time of this process per call (single-threaded engines), medians',
  ];
  const out = option('out') ?? join(here, 'seq-speed.md');
  writeFileAtomic(out, seqSpeedMarkdown(rows, models, header));
  console.log(`wrote ${out}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(`seq-speed: ${(e as Error).message}`);
    process.exit(1);
  });
}
