import { describe, expect, it, beforeAll, afterAll, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { decodeNpy, encodeNpy } from '../runtime/npy.js';
import { readModel } from '../runtime/format.js';
import { main, COMMANDS } from '../cli/edgevae.js';
import { DENSE_VAE, denseVaeBytes, referenceDecode, referenceEncode, seededValues } from './format-fixtures.js';
import { runOnnx } from './helpers/ort.js';
import { denseModelDir } from './helpers/dense-model-dir.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'edgevae.js');
const haveWasm = existsSync(join(ROOT, 'build', 'edgevae.wasm'));
if (!haveWasm && process.env.CI) throw new Error('build/edgevae.wasm is missing; npm test builds it first');

let dir: string;
let model: string;
beforeAll(() => {
  ({ dir, model } = denseModelDir('edgevae-cli-', 'dense.evae'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, EDGEVAE_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One clear line on stderr, no stack trace. */
function expectOneLineError(r: ReturnType<typeof cli>, code: number, text: string): void {
  expect(r.code).toBe(code);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(text);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** Plain PNG reader for 8-bit grayscale/RGB with filter 0 (what our encoder writes). */
function readPng(bytes: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8, width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (pos < bytes.length) {
    const len = v.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = v.getUint32(pos + 8);
      height = v.getUint32(pos + 12);
      channels = body[9] === 0 ? 1 : 3;
    }
    if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) data.set(raw.subarray(y * (width * channels + 1) + 1, (y + 1) * (width * channels + 1)),
    y * width * channels);
  return { width, height, channels, data };
}

describe('edgevae CLI usage errors', () => {
  it('prints help and exits 2 without a command, 0 with --help', () => {
    const none = cli();
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Usage: edgevae <command>');
    const help = cli('--help');
    expect(help.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(help.stdout).toContain(name);
    for (const name of ['convert', 'inspect', 'encode', 'decode', 'sample', 'interpolate']) {
      const r = cli(name, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: edgevae ${name}`);
    }
    expect(cli('help', 'sample').stdout).toContain('Usage: edgevae sample');
  });

  it('unknown commands, flags and bad values exit 2 with one line', () => {
    expectOneLineError(cli('frobnicate'), 2, "unknown command 'frobnicate'");
    expectOneLineError(cli('sample', '--bogus'), 2, "sample: Unknown option '--bogus'");
    expectOneLineError(cli('decode', '--input', 'z.npy', '--output', 'x.npy'), 2, 'decode: missing --model');
    expectOneLineError(cli('sample', '-m', model, '--n', 'abc', '--out', 'g.png'), 2,
      "sample: --n must be an integer in 1..65536, got 'abc'");
    expectOneLineError(cli('sample', '-m', model, '--n', '0', '--out', 'g.png'), 2, "--n must be an integer in 1..65536, got '0'");
    expectOneLineError(cli('sample', '-m', model, '--seed=-3', '--out', 'g.png'), 2,
      "--seed must be an integer in 0..4294967295, got '-3'");
    expectOneLineError(cli('sample', '-m', model, '--temperature', 'hot', '--out', 'g.png'), 2,
      "--temperature must be a number >= 0, got 'hot'");
    expectOneLineError(cli('sample', '-m', model), 2, 'sample: give --out grid.png and/or --npy x.npy');
    expectOneLineError(cli('interpolate', '-m', model, '--seed-a', '1', '--out', 's.png'), 2, 'interpolate: missing --seed-b');
    expectOneLineError(cli('interpolate', '-m', model, '--seed-a', '1', '--seed-b', '2', '--mode', 'cubic', '--out', 's.png'), 2,
      "--mode must be lerp or slerp, got 'cubic'");
    expectOneLineError(cli('convert', '-o', 'x.evae'), 2, 'convert: give --encoder and/or --decoder');
    expectOneLineError(cli('inspect'), 2, 'inspect: give exactly one model file');
    expectOneLineError(cli('decode', 'stray', '-m', model), 2, "decode: unexpected argument 'stray'");
  });

  it('runtime problems exit 1 with one line naming the problem', () => {
    expectOneLineError(cli('inspect', 'missing.evae'), 1, 'model file missing.evae does not exist');
    const corrupt = denseVaeBytes();
    corrupt[200] ^= 4;
    writeFileSync(join(dir, 'corrupt.evae'), corrupt);
    expectOneLineError(cli('inspect', 'corrupt.evae'), 1, 'checksum mismatch');
    writeFileSync(join(dir, 'notnpy.npy'), 'hello');
    expectOneLineError(cli('decode', '-m', model, '-i', 'notnpy.npy', '-o', 'x.npy'), 1, 'notnpy.npy: not a .npy file');
    writeFileSync(join(dir, 'z35.npy'), encodeNpy(new Float32Array(15), [3, 5]));
    expectOneLineError(cli('decode', '-m', model, '-i', 'z35.npy', '-o', 'x.npy'), 1, 'z35.npy has shape [3, 5], expected [n, 4]');
    expectOneLineError(cli('decode', '-m', model, '-i', 'z35.npy', '-o', 'no/such/dir/x.npy'), 1,
      'output directory no/such/dir does not exist');
    expectOneLineError(cli('convert', '--encoder', 'nope.onnx', '-o', 'x.evae'), 1, 'convert: --encoder nope.onnx does not exist');
    writeFileSync(join(dir, 'nan.npy'), encodeNpy(new Float32Array([0, Number.NaN, 0, 0]), [1, 4]));
    expectOneLineError(cli('decode', '-m', model, '-i', 'nan.npy', '-o', 'x.npy'), 1,
      'decode: nan.npy: value 1 (sample 0, element 1) is NaN; inputs must be finite (--allow-non-finite runs anyway)');
  });

  it('plugin commands dispatch to their module or say they are not available', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { errors.push(String(s)); return true; });
    try {
      COMMANDS.fakeplugin = { kind: 'plugin', summary: 'test', module: '../tests/no-such-plugin.js', source: 'tests/no-such-plugin.ts' };
      expect(await main(['fakeplugin'])).toBe(1);
      expect(errors.join('')).toContain("'fakeplugin' is not available in this installation (tests/no-such-plugin.ts is missing)");
      // A module that exists: runtime/npy.ts has no main() export.
      COMMANDS.fakeplugin = { kind: 'plugin', summary: 'test', module: '../runtime/npy.js', source: 'runtime/npy.ts' };
      expect(await main(['fakeplugin'])).toBe(1);
      expect(errors.join('')).toContain('runtime/npy.ts does not export main()');
      // The plugin gets the remaining argv and its exit code is returned.
      COMMANDS.fakeplugin =
        { kind: 'plugin', summary: 'test', module: '../runtime/npy.js', exportName: 'decodeNpy', source: 'runtime/npy.ts' };
      expect(await main(['fakeplugin', 'x'])).toBe(1);
      expect(errors.join('')).toContain('.npy data: not a .npy file');
    } finally {
      delete COMMANDS.fakeplugin;
      spy.mockRestore();
    }
  });
});

describe.skipIf(!haveWasm)('edgevae CLI commands', () => {
  const L = DENSE_VAE.latentSize;

  it('decode writes [n, ...outputShape] matching the reference', () => {
    const z = seededValues(5 * L, 31, 2);
    writeFileSync(join(dir, 'z.npy'), encodeNpy(z, [5, L]));
    const r = cli('decode', '--model', model, '--input', 'z.npy', '--output', 'x.npy', '--max-batch', '2');
    expect(r.code, r.stderr).toBe(0);
    const x = decodeNpy(readFileSync(join(dir, 'x.npy')));
    expect(x.shape).toEqual([5, 1, 3, 4]);
    for (let s = 0; s < 5; s++) {
      const ref = referenceDecode(z.subarray(s * L, (s + 1) * L));
      ref.forEach((v, i) => expect(x.data[s * 12 + i]).toBeCloseTo(v, 5));
    }
  });

  it('encode writes mu.npy and logvar.npy matching the reference (float64 input accepted)', () => {
    const x = seededValues(3 * 12, 32);
    // float64 .npy written by hand: header from encodeNpy with the descr swapped, data widened.
    const f32 = encodeNpy(x, [3, 1, 3, 4]);
    const headerEnd = f32.length - x.byteLength;
    const header = new TextDecoder('latin1').decode(f32.subarray(0, headerEnd)).replace('<f4', '<f8');
    const f64 = new Uint8Array(headerEnd + x.length * 8);
    f64.set(Uint8Array.from(header, (c) => c.charCodeAt(0)));
    f64.set(new Uint8Array(Float64Array.from(x).buffer), headerEnd);
    writeFileSync(join(dir, 'x64.npy'), f64);
    const r = cli('encode', '-m', model, '-i', 'x64.npy', '--out-dir', 'enc/out');
    expect(r.code, r.stderr).toBe(0);
    const mu = decodeNpy(readFileSync(join(dir, 'enc/out/mu.npy')));
    const logvar = decodeNpy(readFileSync(join(dir, 'enc/out/logvar.npy')));
    expect(mu.shape).toEqual([3, L]);
    for (let s = 0; s < 3; s++) {
      const ref = referenceEncode(x.subarray(s * 12, (s + 1) * 12));
      ref.mu.forEach((v, i) => expect(mu.data[s * L + i]).toBeCloseTo(v, 5));
      ref.logvar.forEach((v, i) => expect(logvar.data[s * L + i]).toBeCloseTo(v, 5));
    }
  });

  it('sample writes a deterministic PNG grid whose pixels are the decoded samples', () => {
    const r1 =
      cli('sample', '-m', model, '--n', '6', '--seed', '7', '--out', 'g1.png', '--npy', 'g1.npy', '--columns', '3', '--scale', '1');
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = cli('sample', '-m', model, '--n', '6', '--seed', '7', '--out', 'g2.png', '--scale', '1');
    expect(r2.code).toBe(0);
    const png = readFileSync(join(dir, 'g1.png'));
    expect(Buffer.compare(png, readFileSync(join(dir, 'g2.png')))).toBe(0);
    const x = decodeNpy(readFileSync(join(dir, 'g1.npy')));
    expect(x.shape).toEqual([6, 1, 3, 4]);
    const img = readPng(png);
    expect([img.width, img.height, img.channels]).toEqual([3 * 4 + 2, 2 * 3 + 1, 1]);
    for (let n = 0; n < 6; n++) {
      for (let y = 0; y < 3; y++) {
        for (let xx = 0; xx < 4; xx++) {
          const gx = (n % 3) * 5 + xx, gy = Math.floor(n / 3) * 4 + y;
          expect(img.data[gy * img.width + gx]).toBe(Math.round(Math.min(1, Math.max(0, x.data[n * 12 + y * 4 + xx])) * 255));
        }
      }
    }
    const other = cli('sample', '-m', model, '--n', '6', '--seed', '8', '--out', 'g3.png', '--scale', '1');
    expect(other.code).toBe(0);
    expect(Buffer.compare(png, readFileSync(join(dir, 'g3.png')))).not.toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('interpolate writes a strip of steps images', () => {
    const r =
      cli('interpolate', '-m', model, '--seed-a', '1', '--seed-b', '2', '--steps', '5', '--out', 'strip.png', '--npy', 'strip.npy',
        '--scale', '1');
    expect(r.code, r.stderr).toBe(0);
    const img = readPng(readFileSync(join(dir, 'strip.png')));
    expect([img.width, img.height]).toEqual([5 * 4 + 4, 3]);
    expect(decodeNpy(readFileSync(join(dir, 'strip.npy'))).shape).toEqual([5, 1, 3, 4]);
  });

  it('inspect --json describes the file', () => {
    const r = cli('inspect', model, '--json');
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.entries.map((e: { kind: string }) => e.kind)).toEqual(['encode', 'decode']);
    expect(info.tensors).toHaveLength(17);
    expect(cli('inspect', model).code).toBe(0);
  });

  it('convert --input-shape / --latent-shape fix symbolic height and width; the error says to use them', () => {
    const enc = join(ROOT, 'tests/fixtures/zoo/taesd.encoder.ts11.onnx');
    const dec = join(ROOT, 'tests/fixtures/zoo/taesd.decoder.ts11.onnx');
    expectOneLineError(cli('convert', '--encoder', enc, '-o', 'taesd.evae'), 1,
      'dim 2 is "height" (symbolic); fix the per-sample shape with --input-shape');
    expectOneLineError(cli('convert', '--encoder', enc, '--input-shape', '3,x,64', '-o', 'taesd.evae'), 2,
      "--input-shape must be 1 to 4 positive integers separated by commas (per sample, no batch), e.g. 3,64,64; got '3,x,64'");
    const d = cli('convert', '--decoder', dec, '--latent-shape', '4,8,8', '-o', 'taesd-dec.evae');
    expect(d.code, d.stderr).toBe(0);
    expect((readModel(readFileSync(join(dir, 'taesd-dec.evae'))).metadata as { decoder: { outputShape: number[] } })
      .decoder.outputShape).toEqual([3, 64, 64]);
  });

  it('convert turns the conv ONNX fixture into a model whose decode matches onnxruntime', async () => {
    const enc = join(ROOT, 'tests/fixtures/conv.encoder.op13.onnx');
    const dec = join(ROOT, 'tests/fixtures/conv.decoder.op13.onnx');
    mkdirSync(join(dir, 'conv'), { recursive: true });
    const r = cli('convert', '--encoder', enc, '--decoder', dec, '-o', 'conv/conv.evae', '--name', 'conv-test');
    expect(r.code, r.stderr).toBe(0);
    const bytes = readFileSync(join(dir, 'conv/conv.evae'));
    const info = readModel(bytes);
    expect(info.metadata.name).toBe('conv-test');
    const L = info.tensors[info.entries.find((e) => e.kind === 'decode')!.input].elements;
    const z = seededValues(3 * L, 77, 1.5);
    writeFileSync(join(dir, 'conv/z.npy'), encodeNpy(z, [3, L]));
    const d = cli('decode', '-m', 'conv/conv.evae', '-i', 'conv/z.npy', '-o', 'conv/x.npy');
    expect(d.code, d.stderr).toBe(0);
    const ours = decodeNpy(readFileSync(join(dir, 'conv/x.npy')));
    expect(ours.shape).toEqual([3, 1, 28, 28]);
    const oracle = Object.values(await runOnnx(dec, { z: { data: z, dims: [3, L] } }))[0];
    expect(oracle.dims).toEqual([3, 1, 28, 28]);
    let worst = 0;
    for (let i = 0; i < ours.data.length; i++) worst = Math.max(worst, Math.abs(ours.data[i] - oracle.data[i]));
    expect(worst).toBeLessThan(1e-4);

    const x = seededValues(2 * 784, 78).map((v) => (v + 1) / 2);
    writeFileSync(join(dir, 'conv/x-in.npy'), encodeNpy(x, [2, 1, 28, 28]));
    const e = cli('encode', '-m', 'conv/conv.evae', '-i', 'conv/x-in.npy', '--out-dir', 'conv/enc');
    expect(e.code, e.stderr).toBe(0);
    const [oracleMu, oracleLogvar] = Object.values(await runOnnx(enc, { x: { data: x, dims: [2, 1, 28, 28] } }));
    for (const [file, want] of [['mu.npy', oracleMu], ['logvar.npy', oracleLogvar]] as const) {
      const got = decodeNpy(readFileSync(join(dir, 'conv/enc', file)));
      expect(got.shape).toEqual(want.dims);
      let err = 0;
      for (let i = 0; i < got.data.length; i++) err = Math.max(err, Math.abs(got.data[i] - want.data[i]));
      expect(err, file).toBeLessThan(1e-4);
    }
  });
});

/** `edgevae ...` in this process (faster than a child): exit code, stdout and stderr. */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
  const l = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ') + '\n'); });
  try {
    return { code: await main(args), stdout: out.join(''), stderr: err.join('') };
  } finally {
    e.mockRestore();
    o.mockRestore();
    l.mockRestore();
  }
}

/** One line `edgevae <command>: ...` on stderr and the expected exit code. */
async function expectCommandError(code: 1 | 2, text: string, ...args: string[]): Promise<void> {
  const r = await inProcess(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr.startsWith(`edgevae ${args[0]}: `), r.stderr).toBe(true);
  expect(r.stderr, r.stderr).toContain(text);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

describe('negative numbers are values, checked against their range', () => {
  it('sample, interpolate, parity and quantize read "--flag -3" like "--flag=-3"', async () => {
    const at = (f: string) => join(dir, f);
    await expectCommandError(2, "--n must be an integer in 1..65536, got '-3'", 'sample', '-m', model, '--n', '-3', '--out', at('g.png'));
    await expectCommandError(2, "--seed must be an integer in 0..4294967295, got '-1'", 'sample', '-m', model, '--seed', '-1', '--out',
      at('g.png'));
    await expectCommandError(2, "--temperature must be a number >= 0, got '-1'", 'sample', '-m', model, '--temperature', '-1', '--out',
      at('g.png'));
    await expectCommandError(2, "--steps must be an integer in 2..4096, got '-4'", 'interpolate', '-m', model, '--seed-a', '1', '--seed-b',
      '2', '--steps', '-4', '--out', at('s.png'));
    await expectCommandError(2, "--max-batch must be an integer in 1..65535, got '-2'", 'decode', '-m', model, '--max-batch', '-2', '-i',
      at('z.npy'), '-o', at('x.npy'));
    await expectCommandError(2, "--seed must be an integer >= 0, got '-1'", 'parity', '--model', model, '--reference', model,
      '--seed', '-1');
    await expectCommandError(2, "--target-psnr must be in (0, 100] dB, got -5", 'quantize', '--model', model, '--quant', 'mixed', '-o',
      at('q.evae'), '--target-psnr', '-5');
  });
});

describe('errors: one line "edgevae <command>: ...", exit 2 for usage, 1 otherwise', () => {
  it('usage mistakes of every command exit 2', async () => {
    const at = (f: string) => join(dir, f);
    await expectCommandError(2, "Unknown option '--bogus'", 'encode', '--bogus');
    await expectCommandError(2, "--quant must be one of f32, f16, int8-weights, int8, int8-relaxed, mixed, got 'int4'", 'convert',
      '--decoder', join(ROOT, 'tests/fixtures/mlp.decoder.op13.onnx'), '--quant', 'int4', '-o', at('q.evae'));
    await expectCommandError(2, "--simd must be one of auto, fixed, relaxed, got 'fast'", 'sample', '--model', model, '--simd', 'fast',
      '--out', at('g.png'));
    await expectCommandError(1, 'simd "relaxed" cannot run here: relaxed SIMD not supported by this engine', 'sample', '--model', model,
      '--simd', 'relaxed', '--out', at('g.png'));
    await expectCommandError(2, "--quant must be one of", 'quantize', '--model', model, '--quant', 'int4', '-o', at('q.evae'));
    await expectCommandError(2, 'missing --output', 'quantize', '--model', model, '--quant', 'f16');
    await expectCommandError(2, "Unknown option '--bogus'", 'parity', '--bogus');
    await expectCommandError(2, "unknown option '--bogus'", 'train', '--bogus');
    await expectCommandError(2, "--model: expected conv | mlp | seq, got 'rnn'", 'train', '--model', 'rnn');
    await expectCommandError(2, '--cell is only for --model seq', 'train', '--model', 'mlp', '--cell', 'gru');
    await expectCommandError(2, "unknown argument '--bogus'", 'bench', '--bogus');
    await expectCommandError(2, "--port must be an integer 0..65535, got '99999'", 'serve', '--model', model, '--port', '99999');
    await expectCommandError(2, 'missing --model', 'serve');
  });

  it('everything else exits 1', async () => {
    await expectCommandError(1, 'model file missing.evae does not exist', 'inspect', 'missing.evae');
    await expectCommandError(1, 'model file missing.evae does not exist', 'quantize', '--model', 'missing.evae', '--quant', 'f16', '-o',
      join(dir, 'q.evae'));
    await expectCommandError(1, `--model ${join(dir, 'nope.evae')} does not exist`, 'parity', '--model', join(dir, 'nope.evae'),
      '--reference', model);
    writeFileSync(join(dir, 'text.evae'), 'not a model at all, just text\n');
    await expectCommandError(1, 'is not a valid edgevae model', 'serve', '--model', join(dir, 'text.evae'), '--port', '0');
  });

  it('the NaN error names the CLI flag, and the flag runs anyway', async () => {
    writeFileSync(join(dir, 'nan4.npy'), encodeNpy(new Float32Array([0, Number.NaN, 0, 0]), [1, 4]));
    const refused = await inProcess('decode', '-m', model, '-i', join(dir, 'nan4.npy'), '-o', join(dir, 'nan-out.npy'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--allow-non-finite');
    expect(refused.stderr).not.toContain('allowNonFinite');
    const allowed =
      await inProcess('decode', '-m', model, '-i', join(dir, 'nan4.npy'), '-o', join(dir, 'nan-out.npy'), '--allow-non-finite');
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(decodeNpy(readFileSync(join(dir, 'nan-out.npy'))).shape).toEqual([1, 1, 3, 4]);
  });
});

describe('bench: help works; listed only where it can run', () => {
  it('edgevae bench --help prints its usage', async () => {
    const r = await inProcess('bench', '--help');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: edgevae bench');
  });

  it('--help leaves out commands whose module is not installed; the package build has no bench', async () => {
    COMMANDS.ghost = { kind: 'plugin', summary: 'not here', module: '../tests/no-such-plugin.js', source: 'tests/no-such-plugin.ts' };
    try {
      const help = await inProcess('--help');
      expect(help.stdout).not.toContain('ghost');
      expect(help.stdout).toMatch(/\n {2}bench +measure runtime speed/); // a checkout has bench/cli.ts
    } finally {
      delete COMMANDS.ghost;
    }
    // dist/ is compiled from these folders only: from the package, bench's module is absent, so it is not listed.
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(build.include.some((f) => f === 'bench' || f.startsWith('bench/'))).toBe(false);
    expect(COMMANDS.bench).toMatchObject({ kind: 'plugin', module: '../bench/cli.js' });
  });
});

describe.skipIf(!haveWasm)('inputs: layouts, value range, output formats, picture size', () => {
  const L = DENSE_VAE.latentSize;
  const at = (f: string) => join(dir, 'io', f);
  beforeAll(() => mkdirSync(join(dir, 'io'), { recursive: true }));

  it('encode takes [n, C, H, W] and [n, C*H*W], refuses NHWC naming the expected shape', async () => {
    const x = seededValues(2 * 12, 40).map((v) => (v + 1) / 2);
    writeFileSync(at('nchw.npy'), encodeNpy(x, [2, 1, 3, 4]));
    writeFileSync(at('flat.npy'), encodeNpy(x, [2, 12]));
    writeFileSync(at('nhwc.npy'), encodeNpy(x, [2, 3, 4, 1]));
    const a = await inProcess('encode', '-m', model, '-i', at('nchw.npy'), '--out-dir', at('enc-a'));
    const b = await inProcess('encode', '-m', model, '-i', at('flat.npy'), '--out-dir', at('enc-b'));
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stderr + b.stderr).toBe('');
    expect(readFileSync(at('enc-a/mu.npy')).equals(readFileSync(at('enc-b/mu.npy')))).toBe(true);
    await expectCommandError(1, 'has shape [2, 3, 4, 1], expected [n, 1, 3, 4] or [n, 12]', 'encode', '-m', model, '-i', at('nhwc.npy'),
      '--out-dir', at('enc-c'));
  });

  it('encode warns once when values are outside the training range [0, 1]', async () => {
    const pixels = Float32Array.from({ length: 3 * 12 }, (_, i) => (i * 37) % 256);
    writeFileSync(at('bytes.npy'), encodeNpy(pixels, [3, 1, 3, 4]));
    const r = await inProcess('encode', '-m', model, '-i', at('bytes.npy'), '--out-dir', at('enc-d'));
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^edgevae encode: warning: .*bytes\.npy holds values in 0\.\.\d+, the model was trained on \[0, 1\] \(pixels 0\.\.255\? divide by 255\)/);
  });

  it('output extensions: .png is a picture, .npy a tensor, anything else a usage error', async () => {
    await expectCommandError(2, "--out " + at('a.jpg') +
      ": '.jpg' is not a format this command writes (use .png for a picture or .npy for a tensor)", 'sample', '-m', model, '--out',
        at('a.jpg'));
    await expectCommandError(2, "'.gif' is not a format", 'interpolate', '-m', model, '--seed-a', '1', '--seed-b', '2', '--out',
      at('s.gif'));
    await expectCommandError(2, 'no file extension', 'decode', '-m', model, '-i', at('z.npy'), '-o', at('decoded'));
    await expectCommandError(2, "--npy " + at('x.png') + ": '.png' is not a format this command writes (use .npy for a tensor)", 'sample',
      '-m', model, '--npy', at('x.png'));
    expect(existsSync(at('a.jpg'))).toBe(false);

    const z = seededValues(4 * L, 41, 2);
    writeFileSync(at('z.npy'), encodeNpy(z, [4, L]));
    const asPng = await inProcess('decode', '-m', model, '-i', at('z.npy'), '-o', at('x.png'), '--scale', '1', '--columns', '4');
    expect(asPng.code, asPng.stderr).toBe(0);
    const picture = readPng(readFileSync(at('x.png')));
    expect([picture.width, picture.height]).toEqual([4 * 4 + 3, 3]);
    const asNpy = await inProcess('decode', '-m', model, '-i', at('z.npy'), '-o', at('x.npy'));
    expect(asNpy.code).toBe(0);
    const x = decodeNpy(readFileSync(at('x.npy')));
    for (let n = 0; n < 4; n++) for (let i = 0; i < 12; i++) {
      const px = picture.data[Math.floor(i / 4) * picture.width + n * 5 + (i % 4)];
      expect(px).toBe(Math.round(Math.min(1, Math.max(0, x.data[n * 12 + i])) * 255));
    }
    const sampleNpy = await inProcess('sample', '-m', model, '--n', '3', '--out', at('s.npy'));
    expect(sampleNpy.code, sampleNpy.stderr).toBe(0);
    expect(decodeNpy(readFileSync(at('s.npy'))).shape).toEqual([3, 1, 3, 4]);
  });

  it('--scale enlarges pictures (nearest); the default is at least 512 px wide; --scale 1 is the raw grid', async () => {
    const raw = await inProcess('sample', '-m', model, '--n', '16', '--seed', '3', '--out', at('raw.png'), '--scale', '1');
    const big = await inProcess('sample', '-m', model, '--n', '16', '--seed', '3', '--out', at('big.png'));
    const x3 =
      await inProcess('interpolate', '-m', model, '--seed-a', '1', '--seed-b', '2', '--steps', '4', '--out', at('strip3.png'),
        '--scale', '3');
    for (const r of [raw, big, x3]) expect(r.code, r.stderr).toBe(0);
    const small = readPng(readFileSync(at('raw.png')));
    expect([small.width, small.height]).toEqual([4 * 4 + 3, 4 * 3 + 3]);
    const large = readPng(readFileSync(at('big.png')));
    const f = large.width / small.width;
    expect(Number.isInteger(f)).toBe(true);
    expect(large.width).toBeGreaterThanOrEqual(512);
    expect((small.width) * (f - 1)).toBeLessThan(512); // the smallest factor that reaches 512
    expect(large.height).toBe(small.height * f);
    for (let y = 0; y < large.height; y++) for (let xx = 0; xx < large.width; xx++) {
      if (large.data[y * large.width + xx] !== small.data[Math.floor(y / f) * small.width + Math.floor(xx / f)]) throw new Error(
        `pixel ${xx},${y} is not nearest-neighbour`);
    }
    expect(big.stdout).toContain(`${large.width}x${large.height} px, scale ${f}`);
    const strip = readPng(readFileSync(at('strip3.png')));
    expect([strip.width, strip.height]).toEqual([3 * (4 * 4 + 3), 3 * 3]);
    await expectCommandError(2, "--scale must be an integer in 1..64, got '0'", 'sample', '-m', model, '--out', at('z.png'),
      '--scale', '0');
    await expectCommandError(2, '--scale applies to a .png picture', 'decode', '-m', model, '-i', at('z.npy'), '-o', at('x.npy'),
      '--scale', '2');
  });
});

describe('help texts and README name every command and option', () => {
  it('top-level help lists mixed; parity --help describes --seed and --images; README lists quantize', async () => {
    const top = await inProcess('--help');
    expect(top.stdout).toMatch(/\n {2}quantize +.*mixed/);
    const parity = await inProcess('parity', '--help');
    expect(parity.code).toBe(0);
    expect(parity.stdout).toMatch(/\n {2}--seed S +\S/);
    expect(parity.stdout).toMatch(/\n {2}--images SRC +\S/);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const cliSection = readme.slice(readme.indexOf('## CLI'), readme.indexOf('## API'));
    for (const name of Object.keys(COMMANDS)) expect(cliSection, name).toMatch(new RegExp(`\\nedgevae ${name} `));
  });
});
