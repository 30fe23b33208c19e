// Cross-engine determinism of quantized models: the int8 and int8-weights kernels must give the same bytes
// under Node (V8) and wasmtime (tests/helpers/wasmtime_run.py), for encode and decode.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { loadCalibrationImages } from '../converter/quantize/calibration-data.js';
import { latentBatch } from '../reference/sampler.js';
import { WasmRuntime, WASM_PATH } from './kernels/harness.js';

const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';
const RUNNER = 'tests/helpers/wasmtime_run.py';

function wasmtimeAvailable(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import wasmtime'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  if (process.env.CI === 'true') throw new Error(`CI needs the python package wasmtime (${PYTHON}: ${probe.stderr})`);
  console.warn('!!!!! SKIPPING quantized cross-engine test: python wasmtime is missing');
  return false;
}

function concat(a: Float32Array[]): Float32Array {
  const out = new Float32Array(a.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of a) { out.set(x, o); o += x.length; }
  return out;
}
const bytesOf = (a: Float32Array[]) => Buffer.from(concat(a).buffer);

describe.runIf(wasmtimeAvailable())('quantized models: V8 and wasmtime agree bit for bit', () => {
  const models: Record<string, Uint8Array> = {};
  let images: Float32Array[];
  let latents: Float32Array[];
  beforeAll(async () => {
    const f32 = (await convert({ encoder: 'tests/fixtures/conv.encoder.op13.onnx', decoder: 'tests/fixtures/conv.decoder.op13.onnx' })).bytes;
    images = loadCalibrationImages('fashion-mnist', [1, 28, 28], 32).images;
    latents = latentBatch(6, 16, 77);
    models.int8 = (await quantizeModel(f32, { mode: 'int8', images, latents: 64 })).bytes;
    models['int8-weights'] = (await quantizeModel(f32, { mode: 'int8-weights' })).bytes;
  });

  for (const mode of ['int8', 'int8-weights']) {
    it(mode, () => {
      const dir = mkdtempSync(join(tmpdir(), 'h8-engines-'));
      const model = join(dir, 'm.evae');
      writeFileSync(model, models[mode]!);
      const x = images.slice(0, 5);
      writeFileSync(join(dir, 'x.f32'), bytesOf(x));
      writeFileSync(join(dir, 'z.f32'), bytesOf(latents));
      writeFileSync(join(dir, 'job.json'), JSON.stringify({
        wasm: WASM_PATH, model, maxBatch: 6,
        steps: [
          { op: 'run', kind: 0, n: 5, input: join(dir, 'x.f32'), output: join(dir, 'enc.out') },
          { op: 'run', kind: 1, n: 6, input: join(dir, 'z.f32'), output: join(dir, 'dec.out') },
        ],
      }));
      const r = spawnSync(PYTHON, [RUNNER, join(dir, 'job.json')], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const rt = new WasmRuntime();
      expect(rt.load(models[mode]!, 6)).toBe(0);
      const enc = rt.run(0, concat(x), 5, [16, 16]);
      const dec = rt.run(1, concat(latents), 6, [784]);
      expect(Buffer.compare(readFileSync(join(dir, 'enc.out')), bytesOf(enc))).toBe(0);
      expect(Buffer.compare(readFileSync(join(dir, 'dec.out')), bytesOf(dec))).toBe(0);
    });
  }
});
