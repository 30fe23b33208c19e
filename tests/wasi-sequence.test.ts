// The WASI command on sequence models (models/text/words.evae): `sample` and `interpolate` print, under the python
// wasmtime package and under Node's node:wasi, exactly the bytes the Node runtime's SequenceVae gives for the same
// flags (what `edgevae sample|interpolate` prints), and a melody model's --out x.mid is the CLI's MIDI file.
// Hostile metadata (the vocabulary is read from its JSON) ends with a one-line "model metadata: ..." error and
// exit code 1, never a trap.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as cliMain } from '../cli/edgevae.js';
import { convertSequence } from '../converter/sequence.js';
import { crc32 } from '../format/crc32.js';
import { SequenceVae } from '../runtime/sequence.js';
import { buildSeqOnnx } from '../trainer/export-seq-onnx.js';
import { seqInitialWeights, type SeqModelConfig } from '../trainer/seq-model.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WASI_WASM = join(ROOT, 'build', 'edgevae-wasi.wasm');
const PY_RUNNER = join(ROOT, 'hosts', 'wasi', 'run-wasmtime.py');
const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';
const MODEL = readFileSync(join(ROOT, 'models', 'text', 'words.evae'));
const HAVE_WASMTIME = spawnSync(PYTHON, ['-c', 'import wasmtime'], { encoding: 'utf8' }).status === 0;
if (!HAVE_WASMTIME && process.env.CI === 'true') throw new Error('CI: tests/wasi-sequence.test.ts needs the python package wasmtime');

let work: string;
let module: WebAssembly.Module;
let vae: SequenceVae;
let runs = 0;

interface Run { code: number; stdout: Buffer; stderr: string; dir: string }

function dirWith(model: Uint8Array): string {
  const dir = join(work, `run${runs++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'm.evae'), model);
  return dir;
}

async function nodeWasi(args: string[], model: Uint8Array = MODEL): Promise<Run> {
  const dir = dirWith(model);
  const outPath = join(dir, 'stdout'), errPath = join(dir, 'stderr');
  const stdout = openSync(outPath, 'w'), stderr = openSync(errPath, 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: ['edgevae-wasi.wasm', ...args], env: {}, preopens: { '.': dir }, stdout, stderr,
      returnOnExit: true });
    const code = wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports));
    return { code, stdout: readFileSync(outPath), stderr: readFileSync(errPath, 'utf8'), dir };
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

function wasmtime(args: string[], model: Uint8Array = MODEL): Run {
  const dir = dirWith(model);
  const r = spawnSync(PYTHON, [PY_RUNNER, WASI_WASM, dir, join(dir, 'stdout'), join(dir, 'stderr'), ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: readFileSync(join(dir, 'stdout')), stderr: readFileSync(join(dir, 'stderr'), 'utf8'), dir };
}

/** Both hosts succeed and print `lines`, one per line, byte for byte. */
async function expectLines(args: string[], lines: string[]): Promise<void> {
  const expected = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
  const results = [await nodeWasi(args)];
  if (HAVE_WASMTIME) results.push(wasmtime(args));
  for (const r of results) {
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.toString('utf8'), args.join(' ')).toBe(expected.toString('utf8'));
    expect(r.stdout.equals(expected)).toBe(true);
  }
}

/** words.evae with its metadata replaced by `json` (no longer than the original), size and CRC fixed up. */
function withMetadata(json: string | Uint8Array): Uint8Array {
  const bytes = new Uint8Array(MODEL);
  const dv = new DataView(bytes.buffer);
  const meta = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const capacity = dv.getUint32(24, true);
  if (meta.length > capacity) throw new Error(`test metadata of ${meta.length} bytes does not fit in ${capacity}`);
  bytes.fill(0x20, dv.getUint32(20, true), dv.getUint32(20, true) + capacity);
  bytes.set(meta, dv.getUint32(20, true));
  dv.setUint32(24, meta.length, true);
  dv.setUint32(12, crc32(bytes, 16) >>> 0, true);
  return bytes;
}

function metadataOf(): Record<string, unknown> {
  const dv = new DataView(MODEL.buffer, MODEL.byteOffset);
  return JSON.parse(MODEL.subarray(dv.getUint32(20, true), dv.getUint32(20, true) + dv.getUint32(24, true)).toString('utf8'));
}

beforeAll(async () => {
  module = await WebAssembly.compile(readFileSync(WASI_WASM));
  work = mkdtempSync(join(tmpdir(), 'edgevae-wasi-seq-'));
  vae = await SequenceVae.load(MODEL, { wasm: readFileSync(join(ROOT, 'build', 'edgevae.wasm')), maxBatch: 16 });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('WASI command on a sequence model: the Node runtime\'s lines on both hosts', () => {
  it('sample: greedy, and top-k sampling with a length cap over several --max-batch chunks', async () => {
    await expectLines(['sample', '--model', 'm.evae', '--n', '6', '--seed', '3'], vae.sampleSequences(6, { seed: 3 }).texts);
    const opts = { seed: 11, temperature: 1.2, topK: 5, maxLength: 8, latentTemperature: 0.7 };
    const texts = vae.sampleSequences(20, opts).texts;
    expect(new Set(texts).size).toBeGreaterThan(10);
    await expectLines(['sample', '--model', 'm.evae', '--n', '20', '--seed', '11', '--temperature', '1.2', '--top-k', '5',
      '--max-length', '8', '--latent-temperature', '0.7', '--max-batch', '3'], texts);
  });

  it('interpolate between two typed words (encoder) and between two seeds', async () => {
    const words = vae.interpolateSequences('house', 'garden', 10).texts;
    expect(words).toHaveLength(10);
    await expectLines(['interpolate', '--model', 'm.evae', '--from', 'house', '--to', 'garden', '--steps', '10'], words);
    // --seed-a/--seed-b: the latents of "sample --n 1 --seed S", mixed in f64 as cli/commands/sequence.ts does
    const L = vae.info.latentSize;
    const a = vae.sampleSequences(1, { seed: 1, maxLength: 1 }).latents, b = vae.sampleSequences(1, { seed: 9, maxLength: 1 }).latents;
    const z = new Float32Array(5 * L);
    for (let s = 0; s < 5; s++) for (let k = 0; k < L; k++) z[s * L + k] = a[k]! + (b[k]! - a[k]!) * (s / 4);
    const opts = { seed: 5, temperature: 0.8, topK: 4 };
    await expectLines(['interpolate', '--model', 'm.evae', '--seed-a', '1', '--seed-b', '9', '--steps', '5', '--temperature', '0.8',
      '--top-k', '4', '--seed', '5'], vae.decodeLatents(z, 5, opts).texts);
  });

  it('unknown characters become <unk> as in SequenceVae.tokenize, and a too long word is refused', async () => {
    await expectLines(['interpolate', '--model', 'm.evae', '--from', 'a€b', '--to', 'zz', '--steps', '3'],
      vae.interpolateSequences('a€b', 'zz', 3).texts);
    const r = await nodeWasi(['interpolate', '--model', 'm.evae', '--from', 'x'.repeat(40), '--to', 'a']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^edgevae: interpolate: sequence 0 has 40 tokens; the encoder reads at most 16 plus the stop token\n$/);
  });

  it('image-only flags and MIDI output are refused with a usage error', async () => {
    for (const [args, pattern] of [
      [['sample', '--model', 'm.evae', '--columns', '3'], /--columns is for image models/],
      [['sample', '--model', 'm.evae', '--out', 'x.png'], /a sequence model writes --out x.mid \(melody models\); got 'x.png'/],
      [['interpolate', '--model', 'm.evae', '--from', 'a'], /give both --from and --to/],
    ] as const) {
      const r = await nodeWasi([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
    const r = await nodeWasi(['sample', '--model', 'm.evae', '--n', '2', '--out', 'x.mid']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('edgevae: sample: --out x.mid: the model is a text model, MIDI needs a melody model\n');
  });

  it('a melody model writes the MIDI file the Node CLI writes (--out x.mid), on both hosts', async () => {
    const config: SeqModelConfig =
      { kind: 'seq', cell: 'lstm', layers: 1, hidden: 16, latent: 4, embed: 6, bidirectional: false, vocabSize: 13, maxTokens: 32 };
    const tokens = ['<pad>', '<bos>', '<eos>', '<unk>', 'off', 'hold', 'on60', 'on62', 'on64', 'on65', 'on67', 'on69', 'on72'];
    const { bytes } = await convertSequence({ ...buildSeqOnnx(config, seqInitialWeights(config, 21)),
      vocab: { tokens, separator: ' ', kind: 'melody', maxTokens: config.maxTokens } });
    const modelPath = join(work, 'melody.evae');
    writeFileSync(modelPath, bytes);
    for (const flags of [['sample', '--n', '5', '--seed', '2', '--temperature', '0.9'],
      ['interpolate', '--seed-a', '1', '--seed-b', '4', '--steps', '4']]) {
      const lines: string[] = [], errors: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')); });
      vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { errors.push(a.join(' ')); });
      const code = await cliMain([...flags, '--model', modelPath, '--out', join(work, 'cli.mid')]);
      vi.restoreAllMocks();
      expect(code, errors.join('\n')).toBe(0);
      const midi = readFileSync(join(work, 'cli.mid'));
      const runs = [await nodeWasi([...flags, '--model', 'm.evae', '--out', 'x.mid'], bytes)];
      if (HAVE_WASMTIME) runs.push(wasmtime([...flags, '--model', 'm.evae', '--out', 'x.mid'], bytes));
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
        expect(r.stderr).toBe(`${errors[0]!.replace(join(work, 'cli.mid'), 'x.mid')}\n`);
        expect(readFileSync(join(r.dir, 'x.mid')).equals(midi), 'MIDI bytes').toBe(true);
      }
      expect(midi.subarray(0, 4).toString('latin1')).toBe('MThd');
    }
  });
});

describe('WASI command on a sequence model: hostile metadata is a clear error, never a trap', () => {
  const meta = metadataOf();
  const seq = meta.sequence as Record<string, unknown>;
  const tokens = seq.tokens as string[];
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['not JSON', '{"sequence": {"tokens": [', /model metadata: not valid JSON \(unexpected end of text at character 25\)/],
    ['trailing comma', '{"a": 1,}', /not valid JSON \(expected a key string/],
    ['a bad escape', '{"a": "\\x"}', /not valid JSON \(bad escape/],
    ['a raw control character', '{"a": "\u0001"}', /control character in a string/],
    ['nesting 400 deep', `{"a": ${'['.repeat(400)}${']'.repeat(400)}}`, /nesting deeper than 64/],
    ['text after the value', '{} {}', /text after the value/],
    ['800 unclosed brackets', '['.repeat(800), /nesting deeper than 64/],
    ['a leading-zero number', '{"a": 01}', /text after the value|expected , or }/],
    ['an array at the top', '[1, 2]', /the JSON is not an object/],
    ['invalid UTF-8', Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d), /model metadata: not valid UTF-8/],
    ['a truncated UTF-8 sequence', Uint8Array.of(0x7b, 0x7d, 0xe2, 0x82), /not valid UTF-8/],
    ['tokens not a list', JSON.stringify({ sequence: { ...seq, tokens: 'abc' } }), /sequence.tokens is not an array/],
    ['a token that is a number', JSON.stringify({ sequence: { ...seq, tokens: [...tokens.slice(0, -1), 7] } }),
      /sequence.tokens\[72\] is not a string/],
    ['a vocabulary of the wrong length', JSON.stringify({ sequence: { ...seq, tokens: tokens.slice(1) } }),
      /the vocabulary lists 72 tokens, the decoder has 73 logits/],
    ['eos disagreeing with the entry', JSON.stringify({ sequence: { ...seq, eos: 3 } }), /eos differs from the seq-step entry's 2/],
  ];
  it.each(cases)('%s', async (_name, json, pattern) => {
    const model = withMetadata(json);
    const r = await nodeWasi(['sample', '--model', 'm.evae', '--n', '2'], model);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('100 randomly damaged metadata texts: each either reads or ends with one error line, never a trap', async () => {
    const original = Buffer.from(JSON.stringify(meta));
    let state = 99;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    const outcomes = new Set<number>();
    for (let k = 0; k < 100; k++) {
      const damaged = Uint8Array.from(original);
      const bytes = [0x22, 0x5c, 0x7b, 0x5d, 0x2c, 0xff, 0x00];
      for (let e = 0; e <= next() % 4; e++) damaged[next() % damaged.length] = next() % 8 === 7 ? next() & 0xff : bytes[next() % 7]!;
      const cut = next() % 3 === 0 ? damaged.subarray(0, next() % damaged.length) : damaged;
      const r = await nodeWasi(['sample', '--model', 'm.evae', '--n', '1'], withMetadata(cut));
      outcomes.add(r.code);
      if (r.code === 0) expect(r.stderr).toBe('');
      else {
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/^edgevae: model metadata: [^\n]+\n$/);
      }
    }
    expect(outcomes.has(1)).toBe(true);
  });

  it('escapes, duplicate keys (the last wins) and extra keys read as JSON.parse reads them', async () => {
    // The vocabulary written with \u escapes everywhere, after a decoy "sequence" key and around unknown keys.
    const escaped = JSON.stringify(tokens).replace(/[a-z]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const json = `{"sequence": {"tokens": []}, "x": [true, false, null, -1.5e3, {"y": "\\"\\\\\\/\\b\\f\\n\\r\\t"}],
      "sequence": {"kind": "text", "tokens": ${escaped}, "separator": "", "bos": 1, "eos": 2.0}}`;
    expect(JSON.parse(json).sequence.tokens).toEqual(tokens);
    const lines = vae.sampleSequences(4, { seed: 8 }).texts;
    const r = await nodeWasi(['sample', '--model', 'm.evae', '--n', '4', '--seed', '8'], withMetadata(json));
    expect(r.stderr).toBe('');
    expect(r.stdout.toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
  });
});
