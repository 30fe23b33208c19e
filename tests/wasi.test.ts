// The WASI command (build/edgevae-wasi.wasm) under two independent WASI hosts: the python `wasmtime`
// package (what a Raspberry Pi runs) and Node's node:wasi. Every output file must be byte-identical
// between the two hosts AND equal to what the Node runtime API (runtime/index.ts + image-grid + png)
// produces for the same model, seed and flags.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as cliMain } from '../cli/edgevae.js';
import { convert } from '../converter/index.js';
import { EdgeVae, decodeNpy, encodeNpy, encodePng, imageGrid } from '../runtime/index.js';
import { WASM_ERRORS, wasmErrorName } from '../runtime/wasm-errors.js';
import { seededNormal, seededUniform } from './helpers/seeded-data.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WASI_WASM = join(ROOT, 'build', 'edgevae-wasi.wasm');
const RUNTIME_WASM = join(ROOT, 'build', 'edgevae.wasm');
const PY_RUNNER = join(ROOT, 'hosts', 'wasi', 'run-wasmtime.py');
const FIXTURES = join(ROOT, 'tests', 'fixtures');
const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';

interface RunResult { code: number; stdout: string; stderr: string; dir: string; memoryBytes?: number }

function pythonWasmtimeAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import wasmtime'], { encoding: 'utf8' }).status === 0;
}
const HAVE_WASMTIME = pythonWasmtimeAvailable();
if (!HAVE_WASMTIME) {
  if (process.env.CI === 'true') throw new Error('CI: python package wasmtime is required for tests/wasi.test.ts (pip install wasmtime)');
  console.warn('\n*** tests/wasi.test.ts: python package wasmtime is missing; the wasmtime half of these tests is SKIPPED ***\n');
}

let work: string;
let module: WebAssembly.Module;
let modelPath: string;
let vae: EdgeVae;
let runCount = 0;

/** A fresh working directory holding the model, plus any extra files. */
function freshDir(extra: Record<string, Uint8Array> = {}): string {
  const dir = join(work, `run${runCount++}`);
  mkdirSync(dir);
  copyFileSync(modelPath, join(dir, 'm.evae'));
  for (const [name, bytes] of Object.entries(extra)) writeFileSync(join(dir, name), bytes);
  return dir;
}

function runWasmtime(args: string[], extra: Record<string, Uint8Array> = {}): RunResult {
  const dir = freshDir(extra);
  const out = join(work, `py-out-${runCount}.txt`);
  const err = join(work, `py-err-${runCount}.txt`);
  const r = spawnSync(PYTHON, [PY_RUNNER, WASI_WASM, dir, out, err, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0 && !existsSync(err)) throw new Error(`run-wasmtime.py failed: ${r.stderr}`);
  return { code: r.status ?? -1, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8'), dir };
}

async function runNodeWasi(args: string[], extra: Record<string, Uint8Array> = {}): Promise<RunResult> {
  const dir = freshDir(extra);
  const outPath = join(work, `node-out-${runCount}.txt`);
  const errPath = join(work, `node-err-${runCount}.txt`);
  const stdout = openSync(outPath, 'w');
  const stderr = openSync(errPath, 'w');
  try {
    const wasi = new WASI({
      version: 'preview1', args: ['edgevae-wasi.wasm', ...args], env: {}, preopens: { '.': dir }, stdout, stderr, returnOnExit: true,
    });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    const memoryBytes = (instance.exports.memory as WebAssembly.Memory).buffer.byteLength;
    return { code, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8'), dir, memoryBytes };
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

/** Runs under both hosts; checks they agree on exit code and on every named output file. */
async function runBoth(args: string[], outputs: string[], extra: Record<string, Uint8Array> = {}): Promise<{ node: RunResult; files: Map<string, Buffer> }> {
  const node = await runNodeWasi(args, extra);
  expect(node.stderr, `node:wasi stderr for ${args.join(' ')}`).toBe('');
  expect(node.code).toBe(0);
  const files = new Map(outputs.map((name) => [name, readFileSync(join(node.dir, name))]));
  // On success the command says what it wrote, one line per file (as the Node CLI does).
  for (const name of outputs) expect(node.stdout).toContain(`wrote ${name} (${files.get(name)!.length} bytes)\n`);
  if (HAVE_WASMTIME) {
    const py = runWasmtime(args, extra);
    expect(py.stderr, `wasmtime stderr for ${args.join(' ')}`).toBe('');
    expect(py.code).toBe(0);
    for (const name of outputs) expect(readFileSync(join(py.dir, name)).equals(files.get(name)!), `${name}: wasmtime vs node:wasi`).toBe(true);
    expect(py.stdout).toBe(node.stdout);
  }
  return { node, files };
}

/** Both hosts fail with the same exit code and a message containing `pattern`. */
async function expectFailure(args: string[], pattern: RegExp, code?: number, extra: Record<string, Uint8Array> = {}): Promise<void> {
  const results = [await runNodeWasi(args, extra)];
  if (HAVE_WASMTIME) results.push(runWasmtime(args, extra));
  for (const r of results) {
    expect(r.code).not.toBe(0);
    if (code !== undefined) expect(r.code).toBe(code);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.startsWith('edgevae: ')).toBe(true);
  }
}

/** Decodes a PNG made of stored/deflate IDAT data back to raw pixels (independent check of validity). */
function decodePngPixels(png: Buffer): { width: number; height: number; channels: number; pixels: Uint8Array } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let at = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      channels = body[9] === 2 ? 3 : 1;
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const row = width * channels;
  const pixels = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (row + 1)]).toBe(0); // filter "none"
    pixels.set(raw.subarray(y * (row + 1) + 1, (y + 1) * (row + 1)), y * row);
  }
  return { width, height, channels, pixels };
}

/** True when `output` is missing or older than any .ts file under `sourceDirs` (so a local run never tests a stale build). */
function isStale(output: string, sourceDirs: string[]): boolean {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  const newer = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? newer(join(dir, e.name)) : e.name.endsWith('.ts') && statSync(join(dir, e.name)).mtimeMs > built);
  return sourceDirs.some((d) => existsSync(d) && newer(d));
}

/** build/edgevae.wasm exports the host interface of docs/format.md (and is not some other build's output). */
function isRuntimeModule(path: string): boolean {
  const names = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(path))).map((e) => e.name);
  return ['memory', 'alloc', 'load', 'errorDetail', 'entryInput', 'entryOutput', 'run', 'sampleNormal'].every((n) => names.includes(n));
}

beforeAll(async () => {
  if (isStale(WASI_WASM, [join(ROOT, 'hosts', 'wasi'), join(ROOT, 'assembly')])) {
    const r = spawnSync('npm', ['run', 'build:wasi'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build:wasi failed:\n${r.stdout}\n${r.stderr}`);
  }
  module = await WebAssembly.compile(readFileSync(WASI_WASM));
  work = mkdtempSync(join(tmpdir(), 'edgevae-wasi-'));
  const { bytes } = await convert({
    encoder: join(FIXTURES, 'conv.encoder.op13.onnx'), decoder: join(FIXTURES, 'conv.decoder.op13.onnx'), name: 'wasi-test',
  });
  modelPath = join(work, 'm.evae');
  writeFileSync(modelPath, bytes);
  // The reference must come from the same assembly/ sources as the WASI build: use a private fresh
  // build when build/edgevae.wasm is older than them (local runs while assembly/ is being edited).
  let runtimeWasm = RUNTIME_WASM;
  if (isStale(RUNTIME_WASM, [join(ROOT, 'assembly')]) || !isRuntimeModule(RUNTIME_WASM)) {
    runtimeWasm = join(work, 'edgevae.wasm');
    const r = spawnSync('npx', ['asc', 'assembly/index.ts', '--target', 'release', '--outFile', runtimeWasm, '--textFile', join(work, 'edgevae.wat')],
      { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the runtime module failed:\n${r.stderr}`);
  }
  vae = await EdgeVae.load(bytes, { wasm: readFileSync(runtimeWasm), maxBatch: 16 });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('WASI command: images', () => {
  it('sample writes the same PNG as the Node runtime (16 samples, seed 7)', async () => {
    const { files } = await runBoth(['sample', '--model', 'm.evae', '--n', '16', '--seed', '7', '--out', 'grid.png'], ['grid.png']);
    const { images } = vae.sample(16, { seed: 7 });
    const expected = encodePng(imageGrid(images, 16, vae.info.outputShape!));
    expect(files.get('grid.png')!.equals(Buffer.from(expected))).toBe(true);
    // The PNG is valid on its own: zlib inflates it back to the grid pixels.
    const decoded = decodePngPixels(files.get('grid.png')!);
    expect(decoded.pixels).toEqual(imageGrid(images, 16, vae.info.outputShape!).data);
  });

  it('batches larger than --max-batch, temperature and --cols match the Node runtime', async () => {
    const args = ['sample', '--model', 'm.evae', '--n', '7', '--seed', '123456789', '--temperature', '0.6', '--columns', '3', '--max-batch', '2', '--out', 'g.png'];
    const { files } = await runBoth(args, ['g.png']);
    const { images } = vae.sample(7, { seed: 123456789, temperature: 0.6 });
    const expected = encodePng(imageGrid(images, 7, vae.info.outputShape!, { columns: 3 }));
    expect(files.get('g.png')!.equals(Buffer.from(expected))).toBe(true);
  });

  it('interpolate writes the strip the Node runtime computes (slerp by default, and lerp)', async () => {
    for (const [seedA, seedB, mode] of [[1, 2, 'slerp'], [5, 9, 'slerp'], [3, 4, 'lerp'], [100, 7, 'slerp']] as const) {
      const args = ['interpolate', '--model', 'm.evae', '--seed-a', String(seedA), '--seed-b', String(seedB), '--steps', '8', '--out', 'strip.png'];
      if (mode === 'lerp') args.push('--mode', 'lerp');
      const { files } = await runBoth(args, ['strip.png']);
      const zA = vae.sampleLatents(1, { seed: seedA });
      const zB = vae.sampleLatents(1, { seed: seedB });
      const { images } = vae.interpolateImages(zA, zB, 8, mode);
      const expected = encodePng(imageGrid(images, 8, vae.info.outputShape!, { columns: 8 }));
      expect(files.get('strip.png')!.equals(Buffer.from(expected)), `${mode} ${seedA}->${seedB}`).toBe(true);
    }
  });

  it('the Node CLI (edgevae sample / interpolate / decode) writes the same files', async () => {
    const z = seededNormal(4 * vae.info.latentSize, 3);
    const { files } = await runBoth(['sample', '--model', 'm.evae', '--n', '9', '--seed', '42', '--out', 'g.png', '--npy', 'g.npy'], ['g.png', 'g.npy']);
    const strip = (await runBoth(['--', 'interpolate', '--model', 'm.evae', '--seed-a', '8', '--seed-b', '9', '--steps', '5', '--out', 's.png'], ['s.png'])).files;
    const dec = (await runBoth(['decode', '--model', 'm.evae', '--input', 'z.npy', '--output', 'x.npy'], ['x.npy'],
      { 'z.npy': encodeNpy(z, [4, vae.info.latentSize]) })).files;
    const cliDir = freshDir({ 'z.npy': encodeNpy(z, [4, vae.info.latentSize]) });
    const at = (name: string) => join(cliDir, name);
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      // --scale 1: the WASI command writes the raw grid; the Node CLI enlarges pictures unless told not to.
      expect(await cliMain(['sample', '--model', at('m.evae'), '--n', '9', '--seed', '42', '--out', at('g.png'), '--npy', at('g.npy'), '--scale', '1'])).toBe(0);
      expect(await cliMain(['interpolate', '--model', at('m.evae'), '--seed-a', '8', '--seed-b', '9', '--steps', '5', '--out', at('s.png'), '--scale', '1'])).toBe(0);
      expect(await cliMain(['decode', '--model', at('m.evae'), '--input', at('z.npy'), '--output', at('x.npy')])).toBe(0);
    } finally {
      quiet.mockRestore();
    }
    expect(readFileSync(at('g.png')).equals(files.get('g.png')!)).toBe(true);
    expect(readFileSync(at('g.npy')).equals(files.get('g.npy')!)).toBe(true);
    expect(readFileSync(at('s.png')).equals(strip.get('s.png')!)).toBe(true);
    expect(readFileSync(at('x.npy')).equals(dec.get('x.npy')!)).toBe(true);
  });

  it('--format pgm and ppm carry the same pixels as the grid', async () => {
    const { files } = await runBoth(['sample', '--model', 'm.evae', '--n', '4', '--seed', '3', '--out', 'g.pgm'], ['g.pgm']);
    const grid = imageGrid(vae.sample(4, { seed: 3 }).images, 4, vae.info.outputShape!);
    const header = `P5\n${grid.width} ${grid.height}\n255\n`;
    expect(files.get('g.pgm')!.equals(Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(grid.data)]))).toBe(true);

    const ppm = (await runBoth(['sample', '--model', 'm.evae', '--n', '4', '--seed', '3', '--format', 'ppm', '--out', 'g.img'], ['g.img'])).files.get('g.img')!;
    const rgb = Buffer.alloc(grid.data.length * 3);
    grid.data.forEach((v, i) => rgb.fill(v, 3 * i, 3 * i + 3));
    expect(ppm.equals(Buffer.concat([Buffer.from(`P6\n${grid.width} ${grid.height}\n255\n`, 'latin1'), rgb]))).toBe(true);
  });
});

describe('WASI command: tensors', () => {
  it('decode z.npy -> x.npy equals EdgeVae.decode bit for bit', async () => {
    const n = 5;
    const z = seededNormal(n * vae.info.latentSize, 11);
    const { files } = await runBoth(['decode', '--model', 'm.evae', '--input', 'z.npy', '--output', 'x.npy'], ['x.npy'],
      { 'z.npy': encodeNpy(z, [n, vae.info.latentSize]) });
    const x = decodeNpy(files.get('x.npy')!);
    expect(x.shape).toEqual([n, ...vae.info.outputShape!]);
    expect(Buffer.from(x.data.buffer).equals(Buffer.from(vae.decode(z, n).buffer))).toBe(true);
  });

  it('encode x.npy -> mu.npy, logvar.npy equals EdgeVae.encode bit for bit', async () => {
    const n = 3;
    const x = seededUniform(n * 784, 5);
    const { files } = await runBoth(['encode', '--model', 'm.evae', '--input', 'x.npy', '--out-dir', 'enc'], ['enc/mu.npy', 'enc/logvar.npy'],
      { 'x.npy': encodeNpy(x, [n, 1, 28, 28]) });
    const expected = vae.encode(x, n);
    const mu = decodeNpy(files.get('enc/mu.npy')!);
    const logvar = decodeNpy(files.get('enc/logvar.npy')!);
    expect(mu.shape).toEqual([n, vae.info.latentSize]);
    expect(Buffer.from(mu.data.buffer).equals(Buffer.from(expected.mu.buffer))).toBe(true);
    expect(Buffer.from(logvar.data.buffer).equals(Buffer.from(expected.logvar.buffer))).toBe(true);
  });

  it('info reports the entries and metadata', async () => {
    const { node } = await runBoth(['info', '--model', 'm.evae'], []);
    expect(node.stdout).toContain(`decode: input ${vae.info.latentSize} floats -> output 784 floats`);
    expect(node.stdout).toContain('"name":"wasi-test"');
  });

  it('--help prints the usage and exits 0', async () => {
    const { node } = await runBoth(['--help'], []);
    expect(node.stdout).toMatch(/sample .*--model/);
  });
});

describe('WASI command: errors', () => {
  it('a missing model file names the file', async () => {
    await expectFailure(['sample', '--model', 'nope.evae', '--out', 'g.png'], /cannot open "nope\.evae": no such file/, 1);
  });

  it('outputs outside the granted directory or in a missing folder are refused with the path', async () => {
    await expectFailure(['sample', '--model', 'm.evae', '--n', '1', '--out', 'missing/g.png'], /cannot create "missing\/g\.png": no such file or directory/, 1);
    await expectFailure(['sample', '--model', 'm.evae', '--n', '1', '--out', '/etc/g.png'], /cannot access "\/etc\/g\.png": it is outside every directory granted/, 1);
  });

  it('unknown flags, bad values and unknown commands are usage errors (exit 2)', async () => {
    await expectFailure(['sample', '--modle', 'm.evae'], /unknown flag --modle/, 2);
    await expectFailure(['sample', '--model', 'm.evae', '--n', 'many', '--out', 'g.png'], /--n must be an integer/, 2);
    await expectFailure(['sample', '--model', 'm.evae', '--format', 'gif', '--out', 'g.gif'], /--format must be one of png\|pgm\|ppm/, 2);
    await expectFailure(['sample', '--model', 'm.evae'], /missing required flag --out/, 2);
    await expectFailure(['interpolate', '--model', 'm.evae', '--seed-a', '1', '--out', 's.png'], /missing required flag --seed-b/, 2);
    await expectFailure(['interpolate', '--model', 'm.evae', '--seed-a', '1', '--seed-b', '2', '--mode', 'cubic', '--out', 's.png'], /--mode must be one of lerp\|slerp/, 2);
    await expectFailure(['sample', '--model', 'm.evae', '--seed', '-1', '--out', 'g.png'], /--seed must be an integer in 0\.\.4294967295/, 2);
    await expectFailure(['transmogrify'], /unknown command "transmogrify"/, 2);
    await expectFailure([], /no command given/, 2);
  });

  it('invalid models report the loader error code and its name', async () => {
    const good = readFileSync(modelPath);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 1] ^= 0xff; // breaks the CRC-32
    await expectFailure(['info', '--model', 'bad.evae'], new RegExp(`invalid model "bad\\.evae": ${wasmErrorName(-5)} \\(code -5`), 1, { 'bad.evae': corrupt });
    await expectFailure(['info', '--model', 'short.evae'], new RegExp(`${wasmErrorName(-1)} \\(code -1`), 1, { 'short.evae': Buffer.from('hello') });
  });

  it('malformed .npy input is rejected with the reason', async () => {
    const f64 = Buffer.from(encodeNpy(new Float32Array(16), [1, 16])).toString('latin1').replace("'<f4'", "'<i4'");
    await expectFailure(['decode', '--model', 'm.evae', '--input', 'z.npy', '--output', 'x.npy'], /expected dtype '<f4'/, 1,
      { 'z.npy': Buffer.from(f64, 'latin1') });
    await expectFailure(['decode', '--model', 'm.evae', '--input', 'z.npy', '--output', 'x.npy'], /expected float32 \[n, 16\] latents/, 1,
      { 'z.npy': encodeNpy(new Float32Array(15), [15]) });
  });

  it('--max-memory refuses cleanly when the model does not fit, and is honoured when it does', async () => {
    await expectFailure(['sample', '--model', 'm.evae', '--max-memory', '512K', '--out', 'g.png'], /out of memory budget: the model file needs/, 1);
    await expectFailure(['sample', '--model', 'm.evae', '--max-memory', '2M', '--out', 'g.png'], /out of memory budget: model "m\.evae" \(arena/, 1);
    await expectFailure(['sample', '--model', 'm.evae', '--max-memory', 'lots', '--out', 'g.png'], /--max-memory must be a byte count/, 2);
    const cap = 8 * 1024 * 1024;
    const { node, files } = await runBoth(['sample', '--model', 'm.evae', '--n', '16', '--seed', '7', '--max-memory', String(cap), '--out', 'g.png'], ['g.png']);
    expect(node.memoryBytes!).toBeLessThanOrEqual(cap);
    const expected = encodePng(imageGrid(vae.sample(16, { seed: 7 }).images, 16, vae.info.outputShape!));
    expect(files.get('g.png')!.equals(Buffer.from(expected))).toBe(true);
  });

  it('the WASI error names are the runtime loader names (runtime/wasm-errors.ts)', () => {
    const source = readFileSync(join(ROOT, 'hosts', 'wasi', 'load-errors.ts'), 'utf8');
    const names = [...source.slice(source.indexOf('['), source.indexOf('];')).matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]);
    const expected = [...WASM_ERRORS.keys()].sort((a, b) => b - a).map((code) => wasmErrorName(code));
    expect(names).toEqual(expected);
  });
});
