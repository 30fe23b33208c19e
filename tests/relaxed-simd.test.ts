// The relaxed-SIMD runtime (build/edgevae-relaxed.wasm) and its selection at load:
// - the known-answer probe accepts right results and rejects wrong ones (fed fake results: no engine at hand computes
//   wrongly on demand), and chooseBuild falls back or refuses as documented;
// - Node 20 does not get the relaxed build (no support, or, behind its flag, wrong lanes that the probe catches);
// - in wasmtime and Chromium the relaxed build is chosen, and an int8-relaxed model gives the same bytes there as the
//   fixed build gives in Node (whose int8 kernels match their TypeScript twins: quant-kernels, quant-model);
// - a file whose 7-bit promise is false still gives the same bytes in wasmtime and Chromium, different from the fixed
//   build's: proof that the relaxed dot ran, and that clamping its operand to 0..127 keeps it deterministic.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { crc32 } from '../format/crc32.js';
import { readModel } from '../runtime/format.js';
import { EdgeVae } from '../runtime/index.js';
import { loadModel } from '../runtime/node.js';
import { expectedDot, expectedMadd, probeRelaxedSimd, probeVerdict } from '../runtime/simd-probe.js';
import { chooseBuild } from '../runtime/simd-select.js';
import { launchChromium, requireChromium } from './helpers/browser.js';
import { seededNormal } from './helpers/seeded-data.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXED = join(ROOT, 'build', 'edgevae.wasm');
const RELAXED = join(ROOT, 'build', 'edgevae-relaxed.wasm');
const RUNNER = join(ROOT, 'tests', 'helpers', 'wasmtime_run.py');
const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';

describe('known-answer probe', () => {
  const dot = Array.from(expectedDot());
  const { fused, unfused } = expectedMadd();

  it('the probe inputs tell fused from unfused madd, and the dot has no trivial lanes', () => {
    expect(Array.from(fused)).not.toEqual(Array.from(unfused));
    expect(new Set(dot).size).toBe(4);
  });

  it('accepts the right dot with either rounding of madd', () => {
    expect(probeVerdict(dot, fused)).toMatchObject({ ok: true, fusedMadd: true });
    expect(probeVerdict(dot, unfused)).toMatchObject({ ok: true, fusedMadd: false });
  });

  it('rejects a wrong dot lane, naming it (Node 20 behind its flag gives -31976 in lane 0)', () => {
    const wrong = [...dot];
    wrong[0] = -31976;
    const v = probeVerdict(wrong, fused);
    expect(v.ok).toBe(false);
    expect(v.reason).toContain('relaxed_dot_i8x16_i7x16_add_s lane 0 gave -31976, expected');
    const swapped = [dot[1]!, dot[0]!, dot[2]!, dot[3]!]; // right values, wrong lanes
    expect(probeVerdict(swapped, fused).ok).toBe(false);
  });

  it('rejects madd results that are neither rounding, or mix them across lanes', () => {
    expect(probeVerdict(dot, [fused[0]!, fused[1]!, unfused[2]!, fused[3]!]).reason).toContain('relaxed_madd gave');
    expect(probeVerdict(dot, [1, 2, 3, 4]).ok).toBe(false);
    expect(probeVerdict(dot, [NaN, NaN, NaN, NaN]).ok).toBe(false);
  });

  it('chooseBuild: auto falls back with the reason, relaxed refuses, fixed never probes', () => {
    const bad = () => ({ ok: false, reason: 'relaxed SIMD computes wrongly here (lane 0)' });
    const good = () => ({ ok: true, reason: 'relaxed SIMD probe passed (fused madd)', fusedMadd: true });
    expect(chooseBuild('auto', true, bad)).toEqual({ build: 'fixed', reason: 'relaxed SIMD computes wrongly here (lane 0)' });
    expect(chooseBuild('auto', true, good).build).toBe('relaxed');
    expect(chooseBuild('auto', false, good)).toEqual({ build: 'fixed', reason: 'no relaxed-SIMD module given' });
    expect(() => chooseBuild('relaxed', true, bad)).toThrow('simd "relaxed" cannot run here: relaxed SIMD computes wrongly here');
    expect(() => chooseBuild('relaxed', false, good)).toThrow('needs the relaxed-SIMD runtime module');
    expect(chooseBuild('fixed', true, () => { throw new Error('must not probe'); }).build).toBe('fixed');
    expect(() => chooseBuild('fast' as never, true, good)).toThrow("simd must be one of auto, fixed, relaxed, got 'fast'");
  });
});

describe('Node 20', () => {
  it('without a flag: no relaxed SIMD, so loads run the fixed build and say why', async () => {
    expect(probeRelaxedSimd()).toEqual({ ok: false, reason: 'relaxed SIMD not supported by this engine' });
    const { bytes } = await convert({ decoder: join(ROOT, 'tests', 'fixtures', 'mlp.decoder.op13.onnx') });
    const vae = await loadModel(bytes);
    expect(vae.info.runtime).toEqual(
      { build: 'fixed', reason: 'relaxed SIMD not supported by this engine', f32: 'exact', int8RelaxedDot: false });
    await expect(loadModel(bytes, { simd: 'relaxed' })).rejects.toThrow('simd "relaxed" cannot run here: relaxed SIMD not supported');
  });

  it.runIf(process.version.startsWith('v20.'))('behind --experimental-wasm-relaxed-simd: the probe catches the wrong lanes', () => {
    const script = `import { probeRelaxedSimd } from ${JSON.stringify(join(ROOT, 'runtime', 'simd-probe.ts'))};\n` +
      'console.log(JSON.stringify(probeRelaxedSimd()));\n';
    const dir = mkdtempSync(join(tmpdir(), 'edgevae-probe-'));
    try {
      writeFileSync(join(dir, 'probe.ts'), script);
      const r =
        spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', join(dir, 'probe.ts')],
          { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const verdict = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(verdict.ok).toBe(false);
      expect(verdict.reason).toMatch(/^relaxed SIMD computes wrongly here \(relaxed_dot_i8x16_i7x16_add_s lane \d gave/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The same file with op `op`'s fused activation set to none (its relu result then goes negative at zero point 0). */
function withoutRelu(bytes: Uint8Array, op: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const opOffset = view.getUint32(44, true);
  view.setUint32(opOffset + op * 64 + 20, 0, true);
  view.setUint32(12, crc32(out, 16, out.length), true);
  return out;
}

function wasmtimeDecode(work: string, wasm: string, model: Uint8Array, z: Float32Array, n: number, relaxed: boolean, name: string,
  fusedF32 = false): Uint8Array {
  writeFileSync(join(work, `${name}.evae`), model);
  writeFileSync(join(work, `${name}.z`), z);
  const job =
    { wasm, model: join(work, `${name}.evae`), maxBatch: n, relaxed, fusedF32,
      steps: [{ op: 'run', kind: 1, n, input: join(work, `${name}.z`), output: join(work, `${name}.out`) }] };
  writeFileSync(join(work, `${name}.json`), JSON.stringify(job));
  const r = spawnSync(PYTHON, [RUNNER, join(work, `${name}.json`)], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`wasmtime_run.py: ${r.stderr || r.error}`);
  return new Uint8Array(readFileSync(join(work, `${name}.out`)));
}

const bytesOf = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
const chromium = requireChromium('tests/relaxed-simd.test.ts');

describe('relaxed build in wasmtime and Chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'edgevae-relaxed-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const n = 3;
  let model: Uint8Array, liar: Uint8Array, latent: number, z: Float32Array;
  let nodeFixed: Uint8Array, nodeFixedLiar: Uint8Array;

  beforeAll(async () => {
    ({ bytes: model } = await convert({ decoder: join(ROOT, 'tests', 'fixtures', 'conv.decoder.op13.onnx'), quant: 'int8-relaxed' }));
    const info = readModel(model);
    expect(info.flags).toBe(1);
    // the first relu conv whose result a 16-channel-multiple conv reads: op 2 -> op 3 (inspect: both ConvTranspose, zero point 0)
    const reluOp =
      info.ops.findIndex((o, i) => o.activation === 1 && info.tensors[o.output]!.zeroPoint === 0 && info.tensors[o.output]!.rank === 3 &&
      info.ops[i + 1]?.a === o.output && info.tensors[info.ops[i + 1]!.output]!.dims[0]! % 16 === 0);
    expect(reluOp).toBeGreaterThan(0);
    liar = withoutRelu(model, reluOp);
    latent = info.tensors[info.entries[0]!.input]!.elements;
    z = seededNormal(n * latent, 21);
    const fixed = new Uint8Array(readFileSync(FIXED));
    nodeFixed = bytesOf((await EdgeVae.load(model, { wasm: fixed, simd: 'fixed', maxBatch: n })).decode(z, n));
    nodeFixedLiar = bytesOf((await EdgeVae.load(liar, { wasm: fixed, simd: 'fixed', maxBatch: n })).decode(z, n));
  });

  it('wasmtime: the relaxed build gives the fixed build\'s bytes on an int8-relaxed model', () => {
    expect(Buffer.compare(wasmtimeDecode(work, RELAXED, model, z, n, true, 'rel'), nodeFixed)).toBe(0);
    expect(Buffer.compare(wasmtimeDecode(work, FIXED, model, z, n, false, 'fix'), nodeFixed)).toBe(0);
  });

  it('wasmtime: relaxed f32 (fused multiply-adds) stays within 1e-5 of the exact f32 kernels (their reference twins: kernels/*)',
    async () => {
    const { bytes: f32 } = await convert({ decoder: join(ROOT, 'tests', 'fixtures', 'conv.decoder.op13.onnx') });
    const exact = (await EdgeVae.load(f32, { wasm: new Uint8Array(readFileSync(FIXED)), simd: 'fixed', maxBatch: n })).decode(z, n);
    const raw = wasmtimeDecode(work, RELAXED, f32, z, n, true, 'fused', true);
    const fused = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    expect(fused.length).toBe(exact.length);
    let worst = 0;
    for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(fused[i]! - exact[i]!));
    expect(worst).toBeLessThan(1e-5);
    expect(fused.every((v) => v > 0 && v < 1)).toBe(true);
  });

  it('the WASI runner picks the relaxed module under wasmtime by itself, and its picture is the fixed module\'s', () => {
    writeFileSync(join(work, 'w.evae'), model);
    const run = (extra: string[], out: string) => spawnSync(PYTHON, [join(ROOT, 'hosts', 'wasi', 'run-wasmtime.py'), ...extra,
      join(ROOT, 'build', 'edgevae-wasi.wasm'), work, '-', '-', 'sample', '--model', 'w.evae', '--n', '4', '--out', out],
    { encoding: 'utf8', env: { ...process.env, EDGEVAE_DEBUG: '1' }, timeout: 60_000 });
    const auto = run([], 'auto.png'), fixed = run(['--simd', 'fixed'], 'fixed.png');
    expect(auto.status, auto.stderr).toBe(0);
    expect(auto.stderr).toMatch(/edgevae: relaxed SIMD module .*edgevae-wasi-relaxed\.wasm \(relaxed SIMD probe passed/);
    expect(fixed.stderr).toContain('fixed SIMD requested');
    expect(readFileSync(join(work, 'auto.png')).equals(readFileSync(join(work, 'fixed.png')))).toBe(true);
  });

  it.runIf(chromium)('Chromium picks the relaxed build by itself; its bytes equal wasmtime\'s (and the fixed build\'s)', async () => {
    const code = (await build({ entryPoints: [join(ROOT, 'runtime', 'index.ts')], bundle: true, platform: 'browser', format: 'iife',
      globalName: 'edgevae', write: false, logLevel: 'silent' })).outputFiles[0]!.text;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>edgevae</title>');
      await page.addScriptTag({ content: code });
      const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
      const result = await page.evaluate(async ({ fixed, relaxed, models, z, n }) => {
        const bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
        const api = (globalThis as unknown as { edgevae: typeof import('../runtime/index.js') }).edgevae;
        const out: { runtime: unknown; decoded: number[] }[] = [];
        for (const m of models) {
          const vae = await api.EdgeVae.load(bytes(m), { wasm: bytes(fixed), wasmRelaxed: bytes(relaxed), maxBatch: n });
          const d = vae.decode(Float32Array.from(z), n);
          out.push({ runtime: vae.info.runtime, decoded: Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) });
        }
        return out;
      }, { fixed: b64(readFileSync(FIXED)), relaxed: b64(readFileSync(RELAXED)), models: [b64(model), b64(liar)], z: Array.from(z), n });
      expect(result[0]!.runtime).toMatchObject({ build: 'relaxed', f32: 'exact', int8RelaxedDot: true });
      expect((result[0]!.runtime as { reason: string }).reason).toMatch(/^relaxed SIMD probe passed/);
      expect(Buffer.compare(Buffer.from(result[0]!.decoded), nodeFixed)).toBe(0);
      // the false promise: the relaxed dot clamps to 0..127 (so the fixed build differs), the same way in both engines
      const wasmtimeLiar = wasmtimeDecode(work, RELAXED, liar, z, n, true, 'liar');
      expect(Buffer.compare(wasmtimeLiar, nodeFixedLiar)).not.toBe(0);
      expect(Buffer.compare(Buffer.from(result[1]!.decoded), wasmtimeLiar)).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
