// The smallest memory a model runs in, and clean refusals below it: the WASI command under wasmtime's memory
// limit (as `wasmtime run -W max-memory-size=...` on a device) and under --max-memory, and the runtime API's
// maxMemory. The default model's f32 and int8 decode must run in 16 MiB.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { loadModel as loadModelBytes } from '../runtime/node.js';
import { InputError } from '../runtime/errors.js';
import { encodeNpy } from '../runtime/npy.js';

const ROOT = join(import.meta.dirname, '..');
const WASI = join(ROOT, 'build', 'edgevae-wasi.wasm');
const RUNNER = join(ROOT, 'hosts', 'wasi', 'run-wasmtime.py');
const MIB = 1 << 20;

const haveWasmtime = spawnSync('python3', ['-c', 'import wasmtime']).status === 0;
if (!haveWasmtime && process.env.CI === 'true') throw new Error('CI: python package wasmtime is required (pip install wasmtime)');

let dir: string;
const models: Record<'f32' | 'int8', Uint8Array> = {} as never;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgevae-memory-'));
  const f32 = (await convert({ decoder: join(ROOT, 'models', 'default', 'decoder.onnx') })).bytes;
  models.f32 = f32;
  models.int8 = (await quantizeModel(f32, { mode: 'int8', latents: 128 })).bytes;
  for (const [name, bytes] of Object.entries(models)) writeFileSync(join(dir, `${name}.evae`), bytes);
  const z = new Float32Array(4 * 16).map((_, i) => Math.sin(i * 1.7));
  writeFileSync(join(dir, 'z.npy'), encodeNpy(z, [4, 16]));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wasmtime(args: string[], memoryLimit?: number): { code: number; stdout: string; stderr: string } {
  const out = join(dir, 'out.txt'), err = join(dir, 'err.txt');
  const limit = memoryLimit === undefined ? [] : ['--memory-limit', String(memoryLimit)];
  const r = spawnSync('python3', [RUNNER, ...limit, WASI, dir, out, err, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') + r.stderr };
}

describe.skipIf(!haveWasmtime)('WASI command: memory floor under wasmtime', () => {
  it.each(['f32', 'int8'] as const)('%s: sample and decode run in 16 MiB, with the same bytes as without a limit', (q) => {
    const free = wasmtime(['sample', '--model', `${q}.evae`, '--n', '16', '--max-batch', '16', '--out', `free-${q}.png`]);
    expect(free.code, free.stderr).toBe(0);
    const capped = wasmtime(['sample', '--model', `${q}.evae`, '--n', '16', '--max-batch', '16', '--out', `cap-${q}.png`], 16 * MIB);
    expect(capped.code, capped.stderr).toBe(0);
    expect(readFileSync(join(dir, `cap-${q}.png`)).equals(readFileSync(join(dir, `free-${q}.png`)))).toBe(true);
    const dec = wasmtime(['decode', '--model', `${q}.evae`, '--input', 'z.npy', '--output', `x-${q}.npy`], 16 * MIB);
    expect(dec.code, dec.stderr).toBe(0);
  });

  it.each(['f32', 'int8'] as const)('%s: info states the floor; a host limit below it is a one-line error, not a trap', (q) => {
    const info = wasmtime(['info', '--model', `${q}.evae`, '--max-batch', '16']);
    expect(info.code).toBe(0);
    const floor = Number(/memory: (\d+) bytes of linear memory after loading at --max-batch 16/.exec(info.stdout)?.[1]);
    expect(floor).toBeGreaterThan(0);
    expect(floor).toBeLessThan(16 * MIB);
    // One 64 KiB page short of the floor: the load must be refused cleanly.
    const below = wasmtime(['sample', '--model', `${q}.evae`, '--n', '16', '--max-batch', '16', '--out', 'no.png'], floor - 65536);
    expect(below.code).toBe(1);
    expect(below.stderr.trim().split('\n')).toHaveLength(1);
    expect(below.stderr).toMatch(/^edgevae: not enough memory for model "\w+\.evae": its arena needs \d+ more bytes at --max-batch 16/);
    expect(below.stderr).not.toMatch(/trap|unreachable|wasm backtrace/i);
  });

  it('--max-memory below the floor is refused before anything runs', () => {
    const r = wasmtime(['sample', '--model', 'f32.evae', '--n', '16', '--max-memory', '1M', '--out', 'no.png']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/out of memory budget: .* --max-memory is 1048576/);
  });
});

describe('runtime API: maxMemory', () => {
  it('refuses a load above the budget with the bytes needed; loads within it', async () => {
    const vae = await loadModelBytes(models.f32, { maxBatch: 16 });
    const need = vae.memoryBytes;
    await expect(loadModelBytes(models.f32, { maxBatch: 16, maxMemory: need - 1 }))
      .rejects.toThrow(new RegExp(`needs ${need} bytes of WebAssembly memory at maxBatch 16, more than maxMemory \\(${need - 1}\\)`));
    await expect(loadModelBytes(models.f32, { maxBatch: 16, maxMemory: need - 1 })).rejects.toBeInstanceOf(InputError);
    const ok = await loadModelBytes(models.f32, { maxBatch: 16, maxMemory: need });
    expect(ok.sample(2, { seed: 1 }).images).toEqual(vae.sample(2, { seed: 1 }).images);
    await expect(loadModelBytes(models.f32, { maxMemory: -5 })).rejects.toThrow(/maxMemory must be a positive whole number/);
  });
});
