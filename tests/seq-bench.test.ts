// The sequence bench harness (bench/seq-speed.ts) on small decoders: every engine decodes the same greedy
// tokens as onnxruntime-node before it is timed, and the
// edgevae slot runs the runtime's decode loop (in CI it may not be skipped).
import { describe, expect, it } from 'vitest';
import { benchModel, seqSpeedMarkdown, type SeqBenchModel } from '../bench/seq-speed.js';

const budget = { warmupMs: 1, measureMs: 1, minSamples: 2, maxSamples: 3 };

const MODELS: SeqBenchModel[] = [
  { name: 'tiny-lstm', what: 'test', steps: 6,
    config: { kind: 'seq', cell: 'lstm', layers: 2, hidden: 16, latent: 4, embed: 5, bidirectional: false, vocabSize: 9, maxTokens: 7 } },
  { name: 'tiny-gru', what: 'test', steps: 5,
    config: { kind: 'seq', cell: 'gru', layers: 1, hidden: 12, latent: 3, embed: 4, bidirectional: false, vocabSize: 8, maxTokens: 6 } },
];

describe('bench/seq-speed.ts', () => {
  for (const model of MODELS) {
    it(`${model.name}: onnxruntime-node, onnxruntime-web and tfjs agree on the tokens and are timed`, async () => {
      const rows = await benchModel(model, ['ort-node', 'ort-web', 'tfjs-wasm', 'edgevae'], budget);
      for (const row of rows.filter((r) => r.engine !== 'edgevae')) {
        expect(row.note, row.engine).toBeUndefined();
        expect(row.tokens, row.engine).toBe(model.steps);
        expect(row.step!.samples, row.engine).toBeGreaterThanOrEqual(2);
        expect(row.sequence!.cpuMedian, row.engine).toBeGreaterThan(0);
      }
      const own = rows.find((r) => r.engine === 'edgevae')!;
      if (process.env.CI === 'true' || !own.note?.startsWith('skipped')) {
        expect(own.note, 'edgevae column').toBeUndefined();
        expect(own.sequence!.cpuMedian).toBeGreaterThan(0);
      }
      const md = seqSpeedMarkdown(rows, [model], []);
      expect(md).toContain(`| ${model.name} | onnxruntime-web`);
      expect(md.split('\n').filter((l) => l.startsWith(`| ${model.name} |`))).toHaveLength(4);
    }, 60_000);
  }
});
