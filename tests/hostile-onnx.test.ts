// The converter on hostile ONNX input (through `edgevae convert`, in-process): every case must end in one
// clear error line and exit code, never a stack trace or a process-killing allocation, and must leave no
// output file behind (a pre-existing output stays byte-identical).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import onnxPkg from 'onnx-proto';
import { main } from '../cli/edgevae.js';
import { buildModel, randomData, tensorBytes, type ModelSpec } from './helpers/onnx-build.js';

const { onnx } = onnxPkg;
const FIXTURES = resolve(import.meta.dirname, 'fixtures');

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'edgevae-hostile-onnx-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  const l = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  try {
    return { code: await main(args), stderr: err.join(''), stdout: out.join('\n') };
  } finally {
    e.mockRestore();
    l.mockRestore();
  }
}

/** A small valid decoder z[4] -> Gemm -> Sigmoid -> [6]. */
function decoderSpec(): ModelSpec {
  return {
    inputs: [{ name: 'z', dims: ['N', 4] }],
    outputs: [{ name: 'y', dims: ['N', 6] }],
    nodes: [
      { op: 'Gemm', inputs: ['z', 'W', 'B'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Sigmoid', inputs: ['h'], outputs: ['y'] },
    ],
    initializers: { W: { dims: [6, 4], data: randomData(24, 1) }, B: { dims: [6], data: randomData(6, 2) } },
  };
}

function write(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/**
 * Converts `model` as a decoder twice: into a fresh output path (must not exist afterwards) and over a
 * pre-existing file (must be unchanged). Returns the error line.
 */
async function expectRefused(model: string, pattern: RegExp): Promise<string> {
  const fresh = join(dir, `out-${Math.random().toString(36).slice(2)}.evae`);
  const r = await cli(['convert', '--decoder', model, '-o', fresh]);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  if (process.env.SHOW_ERRORS) process.stdout.write(`${lines[0]}\n`);
  expect(r.stderr).toMatch(/^edgevae: convert: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(existsSync(fresh)).toBe(false);
  const existing = join(dir, 'existing.evae');
  writeFileSync(existing, 'previous contents');
  const again = await cli(['convert', '--decoder', model, '-o', existing]);
  expect(again.code).toBe(1);
  expect(readFileSync(existing, 'utf8')).toBe('previous contents');
  // No temp files of the atomic writer left behind either.
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  return lines[0]!;
}

describe('hostile ONNX models are refused with a clear error and no output file', () => {
  it('the valid baseline converts (so the refusals below are about the damage)', async () => {
    const out = join(dir, 'ok.evae');
    const r = await cli(['convert', '--decoder', write('ok.onnx', buildModel(decoderSpec())), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('malformed protobuf: random bytes, a truncated fixture, a text file, an empty file', async () => {
    const rnd = Uint8Array.from(randomData(4096, 9), (v) => Math.floor((v + 1) * 127.5));
    await expectRefused(write('random.onnx', rnd), /not an ONNX model|opset|no graph/);
    const fixture = readFileSync(join(FIXTURES, 'mixed.decoder.op13.onnx'));
    await expectRefused(write('truncated.onnx', fixture.subarray(0, Math.floor(fixture.length / 2))), /not an ONNX model|index out of range|truncated/i);
    await expectRefused(write('text.onnx', 'this is not a model\n'), /not an ONNX model|opset/);
    await expectRefused(write('empty.onnx', new Uint8Array(0)), /opset|no graph|not an ONNX model/);
  });

  it('a graph with a cycle', async () => {
    const spec = decoderSpec();
    spec.nodes = [
      { op: 'Add', inputs: ['z', 'b'], outputs: ['a'] },
      { op: 'Relu', inputs: ['a'], outputs: ['b'] },
      { op: 'Sigmoid', inputs: ['b'], outputs: ['y'] },
    ];
    spec.initializers = {};
    await expectRefused(write('cycle.onnx', buildModel(spec)), /input "b" is not produced by any earlier node/);
  });

  it('a dangling node input and a missing initializer', async () => {
    const dangling = decoderSpec();
    dangling.nodes[1] = { op: 'Add', inputs: ['h', 'nowhere'], outputs: ['y'] };
    await expectRefused(write('dangling.onnx', buildModel(dangling)), /nowhere/);
    const missing = decoderSpec();
    delete missing.initializers!.W;
    await expectRefused(write('missing-init.onnx', buildModel(missing)), /"W"|\bW\b/);
  });

  it('external data that leaves the model folder: absolute path, "..", symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'edgevae-outside-'));
    try {
      const secret = join(outside, 'weights.bin');
      writeFileSync(secret, tensorBytes({ dims: [6, 4], data: randomData(24, 1) }));
      const sub = join(dir, 'models');
      mkdirSync(sub, { recursive: true });
      const cases: Array<[string, string]> = [['absolute', secret], ['dotdot', `../../${outside.split('/').pop()}/weights.bin`]];
      symlinkSync(secret, join(sub, 'link.bin'));
      cases.push(['symlink', 'link.bin']);
      for (const [what, location] of cases) {
        const spec = decoderSpec();
        spec.external = { W: { location } };
        const path = join(sub, `${what}.onnx`);
        writeFileSync(path, buildModel(spec));
        await expectRefused(path, /leaves the model folder|outside the model folder/);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('external data: missing file and a range past its end', async () => {
    const sub = join(dir, 'ext');
    mkdirSync(sub, { recursive: true });
    const spec = decoderSpec();
    spec.external = { W: { location: 'nope.bin' } };
    writeFileSync(join(sub, 'missing.onnx'), buildModel(spec));
    await expectRefused(join(sub, 'missing.onnx'), /not found/);
    writeFileSync(join(sub, 'short.bin'), new Uint8Array(10));
    spec.external = { W: { location: 'short.bin' } };
    writeFileSync(join(sub, 'short.onnx'), buildModel(spec));
    await expectRefused(join(sub, 'short.onnx'), /outside "short.bin"/);
  });

  it('huge and negative dimensions fail fast without allocating', async () => {
    for (const dims of [[1_000_000, 1_000_000], [30_000, 30_000], [2 ** 40, 1], [-1, 4]]) {
      const m = onnx.ModelProto.decode(buildModel(decoderSpec()));
      m.graph!.initializer![0]!.dims = dims;
      const line = await expectRefused(write(`huge-${dims.join('x')}.onnx`, onnx.ModelProto.encode(m).finish()), /tensor "W"/);
      expect(line).toMatch(/dims|values|bytes/);
    }
    // A huge graph input: the per-sample shape exceeds what the format can hold.
    const big = decoderSpec();
    big.inputs = [{ name: 'z', dims: ['N', 100_000, 100_000] }];
    await expectRefused(write('huge-input.onnx', buildModel(big)), /per-sample shape \[100000,100000\]/);
    // An elementwise graph on a per-sample shape past the format's 2^26 element limit.
    const wide: ModelSpec = { inputs: [{ name: 'x', dims: ['N', 1, 20_000, 20_000] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] };
    await expectRefused(write('huge-relu.onnx', buildModel(wide)), /400000000|2\^26|67108864|too large|elements/);
  });

  it('wrong data types: int64 graph input, string initializer', async () => {
    const m = onnx.ModelProto.decode(buildModel(decoderSpec()));
    m.graph!.input![0]!.type!.tensorType!.elemType = 7;
    await expectRefused(write('int-input.onnx', onnx.ModelProto.encode(m).finish()), /float32/);
    const s = onnx.ModelProto.decode(buildModel(decoderSpec()));
    s.graph!.initializer![0]!.dataType = 8;
    await expectRefused(write('string-init.onnx', onnx.ModelProto.encode(s).finish()), /data type 8/);
  });

  it('zero-size tensors', async () => {
    const zeroInit = decoderSpec();
    zeroInit.initializers!.W = { dims: [0, 4], data: [] };
    await expectRefused(write('zero-init.onnx', buildModel(zeroInit)), /does not broadcast to \[0\]|zero|empty/);
    const zeroInput = decoderSpec();
    zeroInput.inputs = [{ name: 'z', dims: ['N', 0] }];
    await expectRefused(write('zero-input.onnx', buildModel(zeroInput)), /fixed size|"z"/);
  });
});
