// `edgevae parity` against a reference ONNX whose batch dimension is fixed in the graph (an export without
// dynamic shapes, batch 1): onnxruntime refuses any other batch size, so the reference must be run in
// batches of that size. The fixture is the committed conv decoder with its batch dim rewritten to 1.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { runParity } from '../parity/cli.js';
import { fixedBatch } from '../parity/compare.js';
import type { ParityResult } from '../parity/compare.js';
import { convert } from '../converter/index.js';

const { onnx } = onnxPkg;
const DEC = 'tests/fixtures/conv.decoder.op13.onnx';

let dir: string;
let fixed: string;
let model: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgevae-parity-fixed-'));
  const m = onnx.ModelProto.decode(readFileSync(DEC));
  for (const v of [...m.graph!.input!, ...m.graph!.output!]) {
    const dims = v.type!.tensorType!.shape!.dim!;
    dims[0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 1 });
  }
  fixed = join(dir, 'decoder.batch1.onnx');
  writeFileSync(fixed, onnx.ModelProto.encode(m).finish());
  model = join(dir, 'dec.evae');
  writeFileSync(model, (await convert({ decoder: DEC })).bytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parity with a fixed-batch reference ONNX', () => {
  it('the fixture really fixes the batch: onnxruntime refuses a batch of 3', async () => {
    const session = await ort.InferenceSession.create(fixed);
    const meta = session.inputMetadata[0]!;
    expect(fixedBatch('shape' in meta ? meta.shape : undefined)).toBe(1);
    await expect(session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(3 * 16), [3, 16]) }))
      .rejects.toThrow(/invalid dimensions/i);
    await session.release();
  });

  it('runs sample by sample and gives the same comparison as the dynamic-batch reference', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const args = ['--model', model, '--n', '7', '--layer-samples', '0', '--min-psnr', '60'];
      expect(await runParity([...args, '--reference', fixed, '--out', join(dir, 'fixed')])).toBe(0);
      expect(await runParity([...args, '--reference', DEC, '--out', join(dir, 'dynamic')])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const a = JSON.parse(readFileSync(join(dir, 'fixed', 'parity.json'), 'utf8')) as ParityResult;
    const b = JSON.parse(readFileSync(join(dir, 'dynamic', 'parity.json'), 'utf8')) as ParityResult;
    expect(a.samples).toBe(7);
    expect(a.perSample.psnr).toHaveLength(7);
    for (let i = 0; i < 7; i++) expect(a.perSample.psnr[i]).toBeCloseTo(b.perSample.psnr[i]!, 3);
    expect(a.outputs[0]!.maxAbs).toBeLessThan(1e-4);
  });
});
