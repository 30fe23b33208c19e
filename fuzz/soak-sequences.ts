// Sequence soak: a long run of sequence samples from the shipped word model (models/text/words.evae) in ONE
// SequenceVae. Calls vary the batch (1..maxBatch+1, so some are split into chunks), the seed, greedy versus
// temperature / top-k sampling and the latent temperature. After a warm-up the JS heap (after a forced GC), the wasm
// linear memory and RSS are measured, the calls run, and they are measured again. Every `probeEvery` calls two
// fixed probes (one sampled, one greedy from fixed latents) must give exactly the token ids they gave first, and
// every row must be a valid sequence (ids in the vocabulary, no longer than the model's maximum length).
// `npm run soak:seq` runs 1,000,000 samples; tests/soak-sequences.test.ts runs a short version.
//   tsx fuzz/soak-sequences.ts [--samples N] [--max-batch N] [--probe-every N]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SequenceVae, type SampleSequenceOptions } from '../runtime/sequence.js';
import { Rng } from './rng.js';
import { progressPrinter, runIfMain, verdict } from './soak-cli.js';
import { assertSameBits, flagPairs, memoryGrew, memoryLine, snapshot, type MemorySnapshot } from './soak-memory.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface SequenceSoakOptions {
  /** sequences to sample after the warm-up */
  samples: number;
  warmup?: number;
  maxBatch?: number;
  probeEvery?: number;
  model?: string;
  wasmPath?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface SequenceSoakResult {
  model: string;
  calls: number;
  samples: number;
  tokens: number;
  seconds: number;
  before: MemorySnapshot;
  after: MemorySnapshot;
  probes: number;
}

/** The sampling settings the calls cycle through: greedy, top-k, full softmax, near-greedy. */
const SETTINGS: SampleSequenceOptions[] = [
  { temperature: 0 },
  { temperature: 0.8, topK: 5 },
  { temperature: 1.2 },
  { temperature: 0.5, topK: 1, latentTemperature: 0.5 },
  { temperature: 1, topK: 20, latentTemperature: 1.5 },
];

export async function soakSequences(o: SequenceSoakOptions): Promise<SequenceSoakResult> {
  const maxBatch = o.maxBatch ?? 4;
  const probeEvery = o.probeEvery ?? 1000;
  const modelPath = o.model ?? join(ROOT, 'models', 'text', 'words.evae');
  const wasm = readFileSync(o.wasmPath ?? process.env.EDGEVAE_WASM ?? join(ROOT, 'build', 'edgevae.wasm'));
  const vae = await SequenceVae.load(new Uint8Array(readFileSync(modelPath)), { wasm, maxBatch });
  const { vocabSize, maxLength, latentSize } = vae.info;
  const rng = new Rng(29);
  const probeLatents = Float32Array.from({ length: 3 * latentSize }, () => rng.float() * 4 - 2);
  const probes = {
    sampled: () => vae.sampleSequences(maxBatch + 1, { seed: 4242, temperature: 0.9, topK: 8 }).tokens,
    greedy: () => vae.decodeLatents(probeLatents, 3).tokens,
  };
  const expected = { sampled: probes.sampled(), greedy: probes.greedy() };
  let samples = 0;
  let tokens = 0;
  let probed = 0;
  const check = (rows: Int32Array[], what: string) => {
    for (const row of rows) {
      if (row.length > maxLength) throw new Error(`soak-sequences: ${what}: a row of ${row.length} tokens, above the maximum ${maxLength}`);
      for (const id of row) {
        if (!(id >= 0 && id < vocabSize)) throw new Error(`soak-sequences: ${what}: token id ${id} outside 0..${vocabSize - 1}`);
      }
    }
  };
  const call = (i: number, limit = Infinity) => {
    const n = Math.min(1 + (i % (maxBatch + 1)), limit - samples);
    const setting = SETTINGS[i % SETTINGS.length]!;
    const rows = vae.sampleSequences(n, { ...setting, seed: i }).tokens;
    if (rows.length !== n) throw new Error(`soak-sequences: call ${i} asked for ${n} sequences, got ${rows.length}`);
    check(rows, `call ${i}`);
    samples += n;
    for (const row of rows) tokens += row.length;
    if (i % probeEvery === 0) {
      for (const name of ['sampled', 'greedy'] as const) {
        const got = probes[name]();
        expected[name].forEach((row, r) => assertSameBits(`soak-sequences: ${name} probe row ${r} after ${i} calls`, row, got[r]!));
      }
      probed++;
    }
  };
  // Warm-up: JIT, the decoder's scratch at every batch size, the vocabulary map.
  const warmupCalls = o.warmup ?? Math.min(2000, Math.max(100, Math.floor(o.samples / 300)));
  let i = 0;
  for (; i < warmupCalls; i++) call(i);
  samples = 0;
  tokens = 0;
  const before = snapshot(vae.memoryBytes);
  const t0 = performance.now();
  const step = Math.max(1, Math.floor(o.samples / 20));
  let nextReport = step;
  let calls = 0;
  while (samples < o.samples) {
    call(i++, o.samples);
    calls++;
    if (samples >= nextReport) {
      o.onProgress?.(samples, o.samples);
      nextReport += step;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = snapshot(vae.memoryBytes);
  const model = `${modelPath.startsWith(ROOT) ? modelPath.slice(ROOT.length + 1) : modelPath} (${vae.info.quantization})`;
  return { model, calls, samples, tokens, seconds, before, after, probes: probed };
}

export function sequenceSoakLine(r: SequenceSoakResult): string {
  return `soak-sequences (${r.model}): ${r.samples} sequences (${r.calls} calls, ${r.tokens} tokens) in ${r.seconds.toFixed(1)} s, ` +
    `${(r.samples / r.seconds).toFixed(0)} sequences/s; ${memoryLine(r.before, r.after)}; ${r.probes} x 2 probes identical`;
}

async function cli(): Promise<number> {
  const flags = flagPairs(process.argv.slice(2), 'soak-sequences');
  const o: SequenceSoakOptions = { samples: 1_000_000 };
  for (const [flag, value] of flags) {
    if (flag === '--samples') o.samples = Number(value);
    else if (flag === '--max-batch') o.maxBatch = Number(value);
    else if (flag === '--probe-every') o.probeEvery = Number(value);
    else if (flag === '--model') o.model = resolve(value);
    else throw new Error(`soak-sequences: unknown flag ${flag} (--samples N, --max-batch N, --probe-every N, --model FILE)`);
  }
  for (const [k, v] of [['--samples', o.samples], ['--max-batch', o.maxBatch ?? 1], ['--probe-every', o.probeEvery ?? 1]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`soak-sequences: ${k} needs a positive integer`);
  }
  const onProgress = progressPrinter();
  const r = await soakSequences({ ...o, onProgress });
  return verdict('soak-sequences', sequenceSoakLine(r), memoryGrew(r.before, r.after));
}

runIfMain(import.meta.url, cli);
