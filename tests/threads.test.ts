// Intra-op threads (docs/threads.md): a team of 2 or 3 threads must give the same bytes as the fixed runtime on one
// thread, for f32 and int8 models (the default model and the 64x64x3 benchmark decoder), batch 1 and larger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { EdgeVae, InputError } from '../runtime/index.js';
import { defaultWasmPath, loadModel, threadsWasmPath } from '../runtime/node.js';
import { conv64DecoderOnnx, CONV64_LATENT } from './helpers/conv64-decoder.js';
import { seededNormal } from './helpers/seeded-data.js';

const have = existsSync(defaultWasmPath()) && existsSync(threadsWasmPath());
if (!have && process.env.CI) throw new Error('build/edgevae.wasm or build/edgevae-threads.wasm is missing; npm test builds them first');

const PYTHON = process.env.EDGEVAE_PYTHON ?? 'python3';
const wasmtimeProbe = spawnSync(PYTHON, ['-c', 'import wasmtime'], { encoding: 'utf8' });
if (wasmtimeProbe.status !== 0 && process.env.CI === 'true') throw new Error(`CI needs the python package wasmtime (${PYTHON})`);

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe.skipIf(!have)('intra-op threads', () => {
  const models: Record<string, Uint8Array> = {};
  const teams: EdgeVae[] = [];
  const wasm = have ? readFileSync(defaultWasmPath()) : new Uint8Array();

  beforeAll(async () => {
    models.defaultF32 = (await convert({ decoder: 'models/default/decoder.onnx' })).bytes;
    models.defaultInt8 = (await quantizeModel(models.defaultF32, { mode: 'int8', latents: 32 })).bytes;
    models.conv64F32 = (await convert({ decoder: conv64DecoderOnnx() })).bytes;
    models.conv64Int8 = (await quantizeModel(models.conv64F32, { mode: 'int8', latents: 8 })).bytes;
  }, 60_000);
  afterAll(async () => { await Promise.all(teams.map((t) => t.close())); });

  for (const name of ['defaultF32', 'defaultInt8', 'conv64F32', 'conv64Int8']) {
    it(`${name}: 2 and 3 threads give the fixed runtime's bytes`, async () => {
      const single = await EdgeVae.load(models[name]!, { wasm, maxBatch: 4 });
      const latent = single.info.latentSize;
      const batches = name.startsWith('conv64') ? [1, 2] : [1, 3];
      for (const threads of [2, 3]) {
        const team = await loadModel(models[name]!, { threads, maxBatch: 4 });
        teams.push(team);
        expect(team.info.threads).toEqual({ count: threads });
        for (const batch of batches) {
          const z = seededNormal(batch * latent, 7 + batch);
          const want = single.decode(z, batch), got = team.decode(z, batch);
          expect(got.length).toBe(want.length);
          expect(sameBytes(got, want), `${name}, ${threads} threads, batch ${batch}`).toBe(true);
        }
        await team.close();
      }
    }, 60_000);
  }

  it('the 64x64x3 decoder has the benchmark shapes', async () => {
    const vae = await EdgeVae.load(models.conv64F32!, { wasm, maxBatch: 1 });
    expect(vae.info.latentSize).toBe(CONV64_LATENT);
    expect(vae.info.outputShape).toEqual([3, 64, 64]);
  });

  it.skipIf(wasmtimeProbe.status !== 0)('wasmtime (python, threads enabled): a team of 2 on Python threads gives the same bytes',
    async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evae-threads-'));
    try {
      for (const name of ['conv64F32', 'defaultInt8']) {
        const single = await EdgeVae.load(models[name]!, { wasm, maxBatch: 2 });
        const z = seededNormal(2 * single.info.latentSize, 5);
        const want = single.decode(z, 2);
        writeFileSync(join(dir, 'm.evae'), models[name]!);
        writeFileSync(join(dir, 'z.f32'), new Uint8Array(z.buffer));
        const r = spawnSync(PYTHON, ['tests/helpers/wasmtime_threads.py', threadsWasmPath(), join(dir, 'm.evae'), '2', '2',
          join(dir, 'z.f32'), join(dir, 'x.f32'), String(want.byteLength)], { encoding: 'utf8', timeout: 60_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(Buffer.from(readFileSync(join(dir, 'x.f32'))).equals(Buffer.from(want.buffer)), name).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('after close() the model runs on one thread with the same results', async () => {
    const team = await loadModel(models.defaultF32!, { threads: 2, maxBatch: 2 });
    const z = seededNormal(2 * team.info.latentSize, 3);
    const before = team.decode(z, 2);
    await team.close();
    expect(sameBytes(team.decode(z, 2), before)).toBe(true);
  });

  it('rejects a bad thread count and missing threaded parts with one clear line', async () => {
    await expect(loadModel(models.defaultF32!, { threads: 0 })).rejects.toThrow(/threads must be an integer in 1\.\.64 or 'auto', got 0/);
    await expect(loadModel(models.defaultF32!, { threads: 1.5 })).rejects.toThrow(InputError);
    await expect(EdgeVae.load(models.defaultF32!, { wasm, threads: 2 })).rejects.toThrow(/needs options\.threadsWasm/);
  });

  it('falls back to one thread where the page is not cross-origin isolated, and says so', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      const vae = await loadModel(models.defaultF32!, { threads: 2 });
      expect(vae.info.threads.count).toBe(1);
      expect(vae.info.threads.note).toMatch(/not cross-origin isolated/);
    } finally {
      delete g.crossOriginIsolated;
    }
  });
});
