// Cross-engine determinism: build/edgevae.wasm must give the same bytes under Node (V8) and under
// wasmtime (tests/helpers/wasmtime_run.py), for encode, decode and sampleNormal. Both sides speak only the
// host interface of docs/format.md, so this also pins that interface down for non-JS hosts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { readModel } from '../runtime/format.js';
import { EdgeVae } from '../runtime/index.js';
import { seededNormal, seededUniform } from './helpers/seeded-data.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WASM = join(ROOT, 'build', 'edgevae.wasm');
const RUNNER = join(ROOT, 'tests', 'helpers', 'wasmtime_run.py');
const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';
const MODELS = [
  { name: 'conv', encoder: 'conv.encoder.op13.onnx', decoder: 'conv.decoder.op13.onnx', inputElements: 784 },
  { name: 'bn', encoder: 'bn.encoder.op18.onnx', decoder: 'bn.decoder.op18.onnx', inputElements: 784 },
  { name: 'mixed', encoder: 'mixed.encoder.op13.onnx', decoder: 'mixed.decoder.op13.onnx', inputElements: 784 },
];
const MAX_BATCH = 5;
const SAMPLE_CASES = [
  { seed: 0, count: 1, temperature: 1 },
  { seed: 1, count: 1001, temperature: 1 },
  { seed: 42, count: 256, temperature: 0.7 },
  { seed: 123456789, count: 97, temperature: 1.5 },
];

function wasmtimeAvailable(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import wasmtime'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const why = probe.error ? String(probe.error) : probe.stderr.trim().split('\n').pop();
  if (process.env.CI === 'true') {
    throw new Error(`CI needs the python package wasmtime for the cross-engine test (${PYTHON}: ${why})`);
  }
  console.warn(`\n!!!!! SKIPPING cross-engine determinism: ${PYTHON} cannot import wasmtime (${why}).\n!!!!! pip install wasmtime, or set EDGEVAE_PYTHON to a python that has it.\n`);
  return false;
}

/** The docs/format.md host protocol on V8: same steps as wasmtime_run.py. */
class NodeHost {
  private constructor(private readonly exports: Record<string, any>, private readonly model: Uint8Array) {}

  static async create(wasm: Uint8Array<ArrayBuffer>, model: Uint8Array, maxBatch: number): Promise<NodeHost> {
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), {});
    const host = new NodeHost(instance.exports as Record<string, any>, model);
    const ptr = host.exports.alloc(model.length) as number;
    host.bytes().set(model, ptr);
    const status = host.exports.load(ptr, model.length, maxBatch) as number;
    if (status !== 0) throw new Error(`load failed: code ${status}, detail ${host.exports.errorDetail()}`);
    return host;
  }

  private bytes(): Uint8Array {
    return new Uint8Array((this.exports.memory as WebAssembly.Memory).buffer);
  }

  run(kind: number, input: Float32Array, n: number): Uint8Array {
    const info = readModel(this.model);
    const entry = info.entries.find((e) => e.kind === (kind === 0 ? 'encode' : 'decode'));
    if (!entry) throw new Error(`model has no entry of kind ${kind}`);
    const inTensor = info.tensors[entry.input];
    const inBase = this.exports.entryInput(kind) as number;
    const raw = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const perSample = inTensor.elements * 4;
    for (let s = 0; s < n; s++) this.bytes().set(raw.subarray(s * perSample, (s + 1) * perSample), inBase + s * inTensor.byteLength);
    const status = this.exports.run(kind, n) as number;
    if (status !== 0) throw new Error(`run(${kind}, ${n}) failed: code ${status}, detail ${this.exports.errorDetail()}`);
    const chunks: Uint8Array[] = [];
    entry.outputs.forEach((tensorIndex, k) => {
      const tensor = info.tensors[tensorIndex];
      const ptr = this.exports.entryOutput(kind, k) as number;
      for (let s = 0; s < n; s++) {
        const at = ptr + s * tensor.byteLength;
        chunks.push(this.bytes().slice(at, at + tensor.elements * 4));
      }
    });
    return Buffer.concat(chunks);
  }

  sample(count: number, seed: number, temperature: number): Uint8Array {
    const ptr = this.exports.alloc(count * 4) as number;
    this.exports.sampleNormal(ptr, count, seed, temperature);
    return this.bytes().slice(ptr, ptr + count * 4);
  }
}

/** Byte-for-byte comparison with a readable first difference. */
function expectSameBytes(label: string, node: Uint8Array, wasmtime: Uint8Array): void {
  expect(wasmtime.length, `${label}: output length`).toBe(node.length);
  const first = node.findIndex((b, i) => b !== wasmtime[i]);
  if (first >= 0) {
    const at = first & ~3;
    const nodeF = new DataView(node.buffer, node.byteOffset).getFloat32(at, true);
    const wtF = new DataView(wasmtime.buffer, wasmtime.byteOffset).getFloat32(at, true);
    expect.fail(`${label}: first difference at float ${at / 4}: node ${nodeF} vs wasmtime ${wtF}`);
  }
}

const enabled = wasmtimeAvailable();

describe.runIf(enabled).each(MODELS)('node vs wasmtime: $name', ({ name, encoder, decoder, inputElements }) => {
  const work = mkdtempSync(join(tmpdir(), `edgevae-wasmtime-${name}-`));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const n = MAX_BATCH;
  let node: NodeHost;
  let wasmtimeOut: Record<string, Uint8Array>;
  let latent: number;
  let modelBytes: Uint8Array;

  beforeAll(async () => {
    const fixtures = join(ROOT, 'tests', 'fixtures');
    const { bytes } = await convert({ encoder: join(fixtures, encoder), decoder: join(fixtures, decoder), name });
    modelBytes = bytes;
    const modelPath = join(work, `${name}.evae`);
    writeFileSync(modelPath, bytes);
    node = await NodeHost.create(new Uint8Array(readFileSync(WASM)), bytes, MAX_BATCH);
    const decodeEntry = readModel(bytes).entries.find((e) => e.kind === 'decode')!;
    latent = readModel(bytes).tensors[decodeEntry.input].elements;

    writeFileSync(join(work, 'x.f32'), seededUniform(n * inputElements, 7));
    writeFileSync(join(work, 'z.f32'), seededNormal(n * latent, 8));
    const steps: object[] = [
      { op: 'run', kind: 0, n, input: join(work, 'x.f32'), output: join(work, 'encode.out') },
      { op: 'run', kind: 1, n, input: join(work, 'z.f32'), output: join(work, 'decode.out') },
      { op: 'run', kind: 1, n: 1, input: join(work, 'z1.f32'), output: join(work, 'decode1.out') },
      ...SAMPLE_CASES.map((c, i) => ({ op: 'sample', ...c, output: join(work, `sample${i}.out`) })),
    ];
    writeFileSync(join(work, 'z1.f32'), seededNormal(latent, 8));
    writeFileSync(join(work, 'job.json'), JSON.stringify({ wasm: WASM, model: modelPath, maxBatch: MAX_BATCH, steps }));
    const result = spawnSync(PYTHON, [RUNNER, join(work, 'job.json')], { encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`wasmtime_run.py failed (status ${result.status}): ${result.stderr || result.error}`);
    wasmtimeOut = Object.fromEntries(['encode', 'decode', 'decode1', ...SAMPLE_CASES.map((_, i) => `sample${i}`)]
      .map((key) => [key, new Uint8Array(readFileSync(join(work, `${key}.out`)))]));
  });

  it('encode gives identical bytes', () => {
    const out = node.run(0, seededUniform(n * inputElements, 7), n);
    expect(out.length).toBe(2 * n * latent * 4); // mu then logvar, n samples each
    expectSameBytes('encode', out, wasmtimeOut.encode);
  });

  it('decode gives identical bytes (batch 5 and batch 1)', () => {
    const images = node.run(1, seededNormal(n * latent, 8), n);
    // identical garbage would pass too: the images must be real sigmoid outputs that vary
    const values = new Float32Array(images.buffer, images.byteOffset, images.length / 4);
    expect(values.every((v) => v > 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(values.length / 10);
    expectSameBytes('decode batch 5', images, wasmtimeOut.decode);
    expectSameBytes('decode batch 1', node.run(1, seededNormal(latent, 8), 1), wasmtimeOut.decode1);
  });

  it('the public EdgeVae API gives the same bytes as the raw host protocol', async () => {
    const vae = await EdgeVae.load(modelBytes, { wasm: new Uint8Array(readFileSync(WASM)), maxBatch: MAX_BATCH });
    const images = vae.decode(seededNormal(n * latent, 8), n);
    expectSameBytes('EdgeVae.decode', new Uint8Array(images.buffer, images.byteOffset, images.byteLength), wasmtimeOut.decode);
    const { mu, logvar } = vae.encode(seededUniform(n * inputElements, 7), n);
    const both = Buffer.concat([new Uint8Array(mu.buffer, mu.byteOffset, mu.byteLength), new Uint8Array(logvar.buffer, logvar.byteOffset, logvar.byteLength)]);
    expectSameBytes('EdgeVae.encode', both, wasmtimeOut.encode);
  });

  it.each(SAMPLE_CASES.map((c, i) => ({ ...c, i })))('sampleNormal seed $seed x$count T=$temperature gives identical bytes', ({ seed, count, temperature, i }) => {
    const samples = node.sample(count, seed, temperature);
    expectSameBytes(`sampleNormal(${seed})`, samples, wasmtimeOut[`sample${i}`]);
    const values = new Float32Array(samples.buffer, samples.byteOffset, count);
    expect(values.every(Number.isFinite)).toBe(true);
    if (count >= 256) { // and they look like N(0, T^2), not a constant
      const std = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / count);
      expect(std).toBeGreaterThan(0.85 * temperature);
      expect(std).toBeLessThan(1.15 * temperature);
    }
  });
});
