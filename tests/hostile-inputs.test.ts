// Hostile API and CLI inputs: wrong lengths and shapes, bad batches, NaN/Inf (runtime/README.md: rejected
// naming the index unless allowNonFinite), missing/unreadable/garbage files and bad flags. Every case must
// give one clear message (CLI: one stderr line and exit code 1 or 2), never a stack trace or a wasm trap.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../cli/edgevae.js';
import { EdgeVae, InputError } from '../runtime/index.js';
import { encodeNpy } from '../runtime/npy.js';
import { DENSE_VAE, denseVaeBytes, denseVaeModel, referenceDecode, seededValues } from './format-fixtures.js';
import { writeModel } from '../converter/writer.js';
import { Act, DType, EntryKind, Op, TensorKind } from '../runtime/format-constants.js';
import { haveRuntimeWasm, RUNTIME_WASM } from './helpers/runtime-wasm.js';
import { denseModelDir } from './helpers/dense-model-dir.js';

const ROOT = resolve(import.meta.dirname, '..');

/** A version 1.0 .npy file with a hand-written header dict and `dataBytes` zero bytes of data. */
function npyWithHeader(dict: string, dataBytes: number): Uint8Array {
  let header = dict;
  while ((10 + header.length + 1) % 16 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  return out;
}

const X = 12; // dense fixture: 12 input values, latent 4
const L = DENSE_VAE.latentSize;

describe.skipIf(!haveRuntimeWasm)('API inputs', () => {
  let vae: EdgeVae;
  beforeAll(async () => { vae = await EdgeVae.load(denseVaeBytes(), { wasm: readFileSync(RUNTIME_WASM), maxBatch: 3 }); });

  it('wrong lengths, shapes and batches name the problem (never a trap)', () => {
    for (const batch of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => vae.decode(new Float32Array(L), batch)).toThrow(InputError);
      expect(() => vae.encode(new Float32Array(X), batch)).toThrow(InputError);
    }
    expect(() => vae.decode(new Float32Array(L + 1), 1)).toThrow('decode: input has 5 values, expected batch 1 x 4 = 4');
    expect(() => vae.decode(new Float32Array(0), 1)).toThrow('expected batch 1 x 4 = 4');
    expect(() => vae.encode(new Float32Array(X * 2), 3)).toThrow('encode: input has 24 values, expected batch 3 x 12 = 36');
    expect(() => vae.decode(new Float64Array(L) as unknown as Float32Array, 1)).toThrow('decode: input must be a Float32Array');
    expect(() => vae.decode(null as unknown as Float32Array, 1)).toThrow(InputError);
    expect(() => vae.reconstruct(new Float32Array(X - 1), 1)).toThrow(InputError);
    // Far more samples than one wasm call may draw: a clear InputError, not a wrapped-around allocation
    // that traps (regression: runtime/engine.ts passed the byte count to the u32 alloc() unchecked).
    expect(() => vae.sampleLatents(300_000_000)).toThrow(/sample count 1200000000 is too large/);
    expect(() => vae.sample(2 ** 31)).toThrow(InputError);
    // A view into a larger buffer is fine.
    const big = seededValues(L * 4, 3);
    const view = big.subarray(L, 2 * L);
    expect(Array.from(vae.decode(view, 1))).toEqual(Array.from(vae.decode(view.slice(), 1)));
  });

  it('NaN, +Inf and -Inf are rejected naming the index, unless allowNonFinite', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const z = seededValues(2 * L, 1);
      z[L + 2] = bad;
      expect(() => vae.decode(z, 2)).toThrow(`decode: input[${L + 2}] (sample 1, element 2) is ${bad}`);
      const x = seededValues(X, 2);
      x[X - 1] = bad;
      expect(() => vae.encode(x, 1)).toThrow(`encode: input[${X - 1}] (sample 0, element ${X - 1}) is ${bad}`);
      expect(() => vae.reconstruct(x, 1)).toThrow(InputError);
      // Per call: runs and returns full-size results; the finite sample is unaffected by its neighbour.
      const out = vae.decode(z, 2, { allowNonFinite: true });
      expect(out).toHaveLength(2 * X);
      const ref = referenceDecode(z.subarray(0, L));
      out.subarray(0, X).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 5));
      const { mu, logvar } = vae.encode(x, 1, { allowNonFinite: true });
      expect([mu.length, logvar.length]).toEqual([L, L]);
    }
  });

  it('allowNonFinite at load time, and a per-call false overrides it', async () => {
    const lax = await EdgeVae.load(denseVaeBytes(), { wasm: readFileSync(RUNTIME_WASM), allowNonFinite: true });
    const z = new Float32Array([Number.NaN, 0, 0, 0]);
    expect(lax.decode(z, 1)).toHaveLength(X);
    expect(() => lax.decode(z, 1, { allowNonFinite: false })).toThrow('decode: input[0] (sample 0, element 0) is NaN');
  });
});

describe.skipIf(!haveRuntimeWasm)('CLI inputs', () => {
  let dir: string;
  let model: string;
  beforeAll(() => {
    ({ dir, model } = denseModelDir('edgevae-hostile-inputs-', 'm.evae'));
    writeFileSync(join(dir, 'z.npy'), encodeNpy(seededValues(2 * L, 4), [2, L]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
    const err: string[] = [];
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
    const l = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      return { code: await main(args.map((a) => a.replace('$', dir))), stderr: err.join('') };
    } finally {
      e.mockRestore();
      l.mockRestore();
    }
  }

  async function expectError(code: 1 | 2, text: string | RegExp, ...args: string[]): Promise<void> {
    const r = await cli(...args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr, r.stderr).toMatch(new RegExp(`^edgevae ${args[0]}: `));
    expect(r.stderr).not.toMatch(/\n\s+at |internal error|RuntimeError: memory access/);
    if (typeof text === 'string') expect(r.stderr).toContain(text);
    else expect(r.stderr).toMatch(text);
  }

  it('bad flags exit 2 naming the flag', async () => {
    await expectError(2, "--max-batch must be an integer in 1..65535, got '0'", 'decode', '-m', model, '-i', '$/z.npy', '-o', '$/x.npy', '--max-batch', '0');
    await expectError(2, "--max-batch must be an integer in 1..65535, got 'lots'", 'decode', '-m', model, '-i', '$/z.npy', '-o', '$/x.npy', '--max-batch', 'lots');
    await expectError(2, "--max-batch must be an integer in 1..65535, got '70000'", 'sample', '-m', model, '--npy', '$/x.npy', '--max-batch', '70000');
    await expectError(2, /decode: Option '-m, --model <value>' argument missing|decode: .*--model/, 'decode', '-i', '$/z.npy', '-o', '$/x.npy', '--model');
    await expectError(2, "--n must be an integer in 1..65536, got '1e9'", 'sample', '-m', model, '--npy', '$/x.npy', '--n', '1e9');
    await expectError(2, "--temperature must be a number >= 0, got 'NaN'", 'sample', '-m', model, '--npy', '$/x.npy', '--temperature', 'NaN');
    await expectError(2, "--temperature must be a number >= 0, got 'Infinity'", 'sample', '-m', model, '--npy', '$/x.npy', '--temperature', 'Infinity');
    await expectError(2, /--quant must be one of/, 'convert', '--decoder', join(ROOT, 'tests/fixtures/mlp.decoder.op13.onnx'), '-o', '$/q.evae', '--quant', 'int4');
    expect(existsSync(join(dir, 'q.evae'))).toBe(false);
  });

  it('missing, unreadable and garbage model files exit 1 naming the file', async () => {
    await expectError(1, 'model file $/none.evae does not exist'.replace('$', dir), 'decode', '-m', '$/none.evae', '-i', '$/z.npy', '-o', '$/x.npy');
    mkdirSync(join(dir, 'adir.evae'), { recursive: true });
    await expectError(1, /cannot read model file .*adir\.evae: it is a directory/, 'decode', '-m', '$/adir.evae', '-i', '$/z.npy', '-o', '$/x.npy');
    writeFileSync(join(dir, 'empty.evae'), new Uint8Array(0));
    await expectError(1, 'model file is truncated: 0 bytes', 'decode', '-m', '$/empty.evae', '-i', '$/z.npy', '-o', '$/x.npy');
    const bytes = denseVaeBytes();
    writeFileSync(join(dir, 'half.evae'), bytes.subarray(0, bytes.length >> 1));
    await expectError(1, /model file is truncated: header says \d+ bytes, got \d+/, 'decode', '-m', '$/half.evae', '-i', '$/z.npy', '-o', '$/x.npy');
    writeFileSync(join(dir, 'png.evae'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(80)]));
    await expectError(1, /bad magic \(bytes 89 50 4e 47\)/, 'inspect', '$/png.evae');
    await expectError(1, /cannot read .*adir\.evae|is a directory/, 'inspect', '$/adir.evae');
    expect(existsSync(join(dir, 'x.npy'))).toBe(false);
  });

  it('bad .npy inputs exit 1 naming the file and the problem', async () => {
    const z = join(dir, 'z.npy');
    await expectError(1, /input file .*nope\.npy does not exist/, 'decode', '-m', model, '-i', '$/nope.npy', '-o', '$/x.npy');
    const good = readFileSync(z);
    writeFileSync(join(dir, 'cut.npy'), good.subarray(0, good.length - 5));
    await expectError(1, /cut\.npy: truncated data: shape \[2, 4\] needs 32 bytes, file has 27/, 'decode', '-m', model, '-i', '$/cut.npy', '-o', '$/x.npy');
    const header = new TextDecoder('latin1').decode(good.subarray(10, 10 + new DataView(good.buffer, good.byteOffset).getUint16(8, true)));
    const asInt = new Uint8Array(good);
    asInt.set(new TextEncoder().encode(header.replace("'<f4'", "'<i4'")), 10);
    writeFileSync(join(dir, 'int.npy'), asInt);
    await expectError(1, "int.npy: dtype '<i4' is not supported", 'decode', '-m', model, '-i', '$/int.npy', '-o', '$/x.npy');
    // A header that claims a huge shape over a tiny file: refused before anything is allocated.
    writeFileSync(join(dir, 'huge.npy'), npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 4), }", 32));
    await expectError(1, /huge\.npy: truncated data: shape \[99999999999, 4\] needs 1599999999984 bytes, file has 32/, 'decode', '-m', model, '-i', '$/huge.npy', '-o', '$/x.npy');
    writeFileSync(join(dir, 'wide.npy'), encodeNpy(new Float32Array(2 * (L + 1)), [2, L + 1]));
    await expectError(1, 'wide.npy has shape [2, 5], expected [n, 4]', 'decode', '-m', model, '-i', '$/wide.npy', '-o', '$/x.npy');
    writeFileSync(join(dir, 'inf.npy'), encodeNpy(new Float32Array([0, 0, Number.NEGATIVE_INFINITY, 0]), [1, L]));
    await expectError(1, /decode: .*inf\.npy: value 2 \(sample 0, element 2\) is -Infinity; inputs must be finite \(--allow-non-finite runs anyway\)/, 'decode', '-m', model, '-i', '$/inf.npy', '-o', '$/x.npy');
    const x = new Float32Array(X);
    x[5] = Number.POSITIVE_INFINITY;
    writeFileSync(join(dir, 'xinf.npy'), encodeNpy(x, [1, ...DENSE_VAE.inputShape]));
    await expectError(1, /encode: .*xinf\.npy: value 5 \(sample 0, element 5\) is Infinity/, 'encode', '-m', model, '-i', '$/xinf.npy', '--out-dir', '$/enc');
    expect(existsSync(join(dir, 'x.npy'))).toBe(false);
  });

  it('quantize refuses a model with infinite weights instead of writing a file the loaders reject', async () => {
    const m = denseVaeModel();
    const w = m.tensors.find((t) => t.kind === TensorKind.Constant && t.dims.length === 2)!;
    const values = new Float32Array(w.data!.slice().buffer);
    values[3] = Number.POSITIVE_INFINITY;
    w.data = new Uint8Array(values.buffer);
    writeFileSync(join(dir, 'inf.evae'), writeModel(m));
    await expectError(1, /quantize: the int8-weights model would not pass validation .*per-channel scale \d+ is Infinity/,
      'quantize', '--model', '$/inf.evae', '--quant', 'int8-weights', '-o', '$/inf-q.evae');
    expect(existsSync(join(dir, 'inf-q.evae'))).toBe(false);
  });

  it('an output path that is a directory or in a missing directory exits 1 before any work', async () => {
    mkdirSync(join(dir, 'outdir.npy'), { recursive: true });
    await expectError(1, 'is a directory', 'decode', '-m', model, '-i', '$/z.npy', '-o', '$/outdir.npy');
    await expectError(1, 'does not exist', 'sample', '-m', model, '--npy', '$/no/such/x.npy');
  });
});

describe.skipIf(!haveRuntimeWasm)('runtime addresses above 2 GiB', () => {
  // Regression: wasm returns u32 addresses as signed i32, so an arena reaching past 2 GiB gave negative
  // offsets and a RangeError in runtime/engine.ts. This model's only activations sit at the top of a
  // ~2 GiB arena (memory is reserved lazily, only the touched pages are real).
  it('a model whose activations live above 2 GiB runs', async () => {
    const top = 2 ** 31 - 256;
    const bytes = writeModel({
      meta: { name: 'high-arena' },
      tensors: [
        { kind: TensorKind.Activation, dtype: DType.F32, dims: [4], offset: top - 512 },
        { kind: TensorKind.Activation, dtype: DType.F32, dims: [4], offset: top - 256 },
      ],
      entries: [{ kind: EntryKind.Decode, input: 0, outputs: [1], ops: [{ op: Op.Unary, out: 1, a: 0, act: Act.Relu }] }],
      arenaPerSample: top,
    });
    const vae = await EdgeVae.load(bytes, { wasm: readFileSync(RUNTIME_WASM), maxBatch: 1 });
    expect(Array.from(vae.decode(new Float32Array([1, -1, 2, -2]), 1))).toEqual([1, 0, 2, 0]);
  });
});
