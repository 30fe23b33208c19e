// Cross-engine determinism of sequence models: the decode loop of build/edgevae.wasm (greedy and top-k sampling)
// gives the same token bytes under Node (V8) and under wasmtime (tests/helpers/wasmtime_run.py).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { convertSequence } from '../converter/sequence.js';
import type { WasmExports } from '../runtime/engine.js';
import { buildSeqOnnx } from '../trainer/export-seq-onnx.js';
import { seqInitialWeights, type SeqModelConfig } from '../trainer/seq-model.js';
import { seededNormal } from './helpers/seeded-data.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WASM = join(ROOT, 'build', 'edgevae.wasm');
const RUNNER = join(ROOT, 'tests', 'helpers', 'wasmtime_run.py');
const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';
const haveWasmtime = spawnSync(PYTHON, ['-c', 'import wasmtime'], { encoding: 'utf8' }).status === 0;
if (!haveWasmtime && process.env.CI === 'true') throw new Error(`CI needs the python package wasmtime (${PYTHON})`);

const CONFIG: SeqModelConfig =
  { kind: 'seq', cell: 'lstm', layers: 2, hidden: 16, latent: 6, embed: 8, bidirectional: true, vocabSize: 14, maxTokens: 12 };
const N = 24;
const CASES = [
  { name: 'greedy', seed: 0, temperature: 0, topK: 0, maxLength: 0 },
  { name: 'temperature 1.3', seed: 5, temperature: 1.3, topK: 0, maxLength: 0 },
  { name: 'top-k 3 at 0.7, at most 9 tokens', seed: 77, temperature: 0.7, topK: 3, maxLength: 9 },
];

describe.skipIf(!haveWasmtime)('sequence decoding: Node and wasmtime give the same bytes', () => {
  const work = mkdtempSync(join(tmpdir(), 'edgevae-seq-wasmtime-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('greedy, temperature and top-k decoding of 24 latents', async () => {
    const g = buildSeqOnnx(CONFIG, seqInitialWeights(CONFIG, 9));
    const tokens = ['<pad>', '<bos>', '<eos>', '<unk>', ...'abcdefghij'];
    const { bytes } = await convertSequence({ ...g, vocab: { tokens, separator: '', maxTokens: CONFIG.maxTokens } });
    const modelPath = join(work, 'm.evae');
    writeFileSync(modelPath, bytes);
    const z = seededNormal(N * CONFIG.latent, 3);
    writeFileSync(join(work, 'z.f32'), z);
    const steps = CASES.map((c, i) => ({ op: 'decode', n: N, latents: join(work, 'z.f32'), ...c, output: join(work, `d${i}.out`) }));
    writeFileSync(join(work, 'job.json'), JSON.stringify({ wasm: WASM, model: modelPath, maxBatch: N, steps }));
    const r = spawnSync(PYTHON, [RUNNER, join(work, 'job.json')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);

    const instance = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(WASM)), {});
    const w = instance.exports as unknown as WasmExports;
    const ptr = w.alloc(bytes.length);
    new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
    expect(w.load(ptr, bytes.length, N)).toBe(0);
    const zPtr = w.alloc(z.byteLength);
    new Float32Array(w.memory.buffer, zPtr, z.length).set(z);
    const out = w.alloc(N * 1024 * 4);
    const rows = new Set<string>();
    CASES.forEach((c, i) => {
      const limit = w.decodeSequences(zPtr, N, out, c.maxLength, c.seed, c.temperature, c.topK, 0);
      expect(limit).toBe(c.maxLength || CONFIG.maxTokens);
      const node = new Uint8Array(w.memory.buffer, out, N * limit * 4).slice();
      const wasmtime = new Uint8Array(readFileSync(join(work, `d${i}.out`)));
      expect(Buffer.from(wasmtime).equals(Buffer.from(node)), c.name).toBe(true);
      rows.add(Buffer.from(node).toString('hex'));
    });
    expect(rows.size, 'the three decodings differ').toBe(3);
  });
});
