// The CLI on sequence models: convert --seq (a folder like the trainer writes), inspect, sample and interpolate
// printing lines, MIDI output for melody models, and one-line refusals of what does not apply.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/edgevae.js';
import { readModel } from '../runtime/format.js';
import { Op, RECURRENT_INT8_ACTIVATIONS } from '../runtime/format-constants.js';
import { buildSeqOnnx, SEQ_ONNX_FILES } from '../trainer/export-seq-onnx.js';
import { readMidi } from '../trainer/midi.js';
import { seqInitialWeights, type SeqModelConfig } from '../trainer/seq-model.js';

const dir = mkdtempSync(join(tmpdir(), 'edgevae-seq-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeRun(name: string, config: SeqModelConfig, tokens: string[], separator: string, kind: string): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  const g = buildSeqOnnx(config, seqInitialWeights(config, 4));
  writeFileSync(join(out, SEQ_ONNX_FILES.encoder), g.encoder);
  writeFileSync(join(out, SEQ_ONNX_FILES.decoderInit), g.decoderInit);
  writeFileSync(join(out, SEQ_ONNX_FILES.decoderStep), g.decoderStep);
  writeFileSync(join(out, 'vocab.json'), JSON.stringify({ tokens, separator, kind, maxTokens: config.maxTokens }));
  return out;
}

let lines: string[] = [];
let errors: string[] = [];
beforeAll(() => {
  writeRun('text',
    { kind: 'seq', cell: 'gru', layers: 1, hidden: 12, latent: 4, embed: 5, bidirectional: true, vocabSize: 9, maxTokens: 8 },
    ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'b', 'c', 'd', 'e'], '', 'text');
  writeRun('melody',
    { kind: 'seq', cell: 'lstm', layers: 1, hidden: 12, latent: 4, embed: 5, bidirectional: false, vocabSize: 10, maxTokens: 16 },
    ['<pad>', '<bos>', '<eos>', '<unk>', 'off', 'hold', 'on60', 'on62', 'on64', 'on67'], ' ', 'melody');
});
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<number> {
  lines = [];
  errors = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { errors.push(a.join(' ')); });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { errors.push(String(s)); return true; });
  const code = await main(args);
  vi.restoreAllMocks();
  return code;
}

describe('edgevae CLI with sequence models', () => {
  it('convert --seq, inspect, sample and interpolate print what they should', async () => {
    const model = join(dir, 'text.evae');
    expect(await run('convert', '--seq', join(dir, 'text'), '-o', model)).toBe(0);
    expect(lines.join('\n')).toMatch(/sequence model: 9 tokens, latent size 4/);
    expect(readModel(readFileSync(model)).entries.map((e) => e.kind)).toEqual(['seq-encode', 'seq-init', 'seq-step']);

    expect(await run('inspect', model)).toBe(0);
    expect(lines.join('\n')).toMatch(/sequence model \(text\): 9 tokens, start 1, stop 2, at most 8 tokens/);
    expect(lines.join('\n')).toContain('never emitted: 0 "<pad>", 1 "<bos>", 3 "<unk>"');

    expect(await run('sample', '--model', model, '--n', '5', '--seed', '3')).toBe(0);
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l).toMatch(/^[a-e]*$/); // <pad>, <bos> and <unk> are never emitted
    expect(lines.every((l) => [...l.replace(/<[a-z]+>/g, '_')].length <= 8)).toBe(true);
    const greedy = [...lines];
    expect(await run('sample', '--model', model, '--n', '5', '--seed', '3')).toBe(0);
    expect(lines).toEqual(greedy);
    expect(await run('sample', '--model', model, '--n', '5', '--seed', '3', '--temperature', '1.5', '--top-k', '4', '--max-length',
      '3')).toBe(0);
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => [...l.replace(/<[a-z]+>/g, '_')].length <= 3)).toBe(true);

    expect(await run('interpolate', '--model', model, '--from', 'abc', '--to', 'edd', '--steps', '6')).toBe(0);
    expect(lines).toHaveLength(6);
    expect(await run('interpolate', '--model', model, '--seed-a', '1', '--seed-b', '2', '--steps', '3')).toBe(0);
    expect(lines).toHaveLength(3);
  });

  it('convert --seq --quant int8 flags the recurrent ops for int8 activations, and the file samples', async () => {
    const model = join(dir, 'text-int8.evae');
    expect(await run('convert', '--seq', join(dir, 'text'), '-o', model, '--quant', 'int8')).toBe(0);
    const info = readModel(readFileSync(model));
    const recurrent = info.ops.filter((o) => o.opcode === Op.Lstm || o.opcode === Op.Gru);
    expect(recurrent.length).toBeGreaterThan(0);
    for (const o of recurrent) {
      expect(o.params[7]).toBe(RECURRENT_INT8_ACTIVATIONS);
      expect(info.tensors[o.b]!.dtype).toBe('i8');
    }
    expect(await run('sample', '--model', model, '--n', '3', '--seed', '3')).toBe(0);
    expect(lines).toHaveLength(3);
  });

  it('melody models write MIDI files', async () => {
    const model = join(dir, 'melody.evae');
    expect(await run('convert', '--seq', join(dir, 'melody'), '-o', model, '--quant', 'f16')).toBe(0);
    const mid = join(dir, 'm.mid');
    expect(await run('sample', '--model', model, '--n', '3', '--out', mid)).toBe(0);
    expect(lines).toHaveLength(3);
    const file = readMidi(readFileSync(mid));
    expect(file.tracks.length).toBeGreaterThan(0);
  });

  it('refuses what does not apply, in one line', async () => {
    const model = join(dir, 'text.evae');
    expect(await run('convert', '--seq', join(dir, 'text'), '-o', join(dir, 'x.evae'), '--quant', 'mixed')).toBe(2);
    expect(errors.join('')).toMatch(/convert: sequence models take --quant f32, f16, int8-weights or int8/);
    expect(await run('convert', '--seq', join(dir, 'nowhere'), '-o', join(dir, 'x.evae'))).toBe(1);
    expect(errors.join('')).toMatch(/convert: --seq .*nowhere does not exist/);
    expect(await run('sample', '--model', model, '--out', join(dir, 'g.png'))).toBe(2);
    expect(errors.join('')).toMatch(/a sequence model writes --out x\.mid/);
    expect(await run('sample', '--model', model, '--out', join(dir, 'g.mid'))).toBe(1);
    expect(errors.join('')).toMatch(/the model is a text model, MIDI needs a melody model/);
    expect(await run('interpolate', '--model', model, '--from', 'abc')).toBe(2);
    expect(errors.join('')).toMatch(/give both --from and --to/);
    expect(await run('interpolate', '--model', model, '--from', 'abcdefghijk', '--to', 'a')).toBe(1);
    expect(errors.join('')).toMatch(/the encoder reads at most 7 plus the stop token/);
  });
});
