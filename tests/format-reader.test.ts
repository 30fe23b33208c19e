import { describe, expect, it } from 'vitest';
import { readModel } from '../runtime/format.js';
import { ModelFormatError } from '../runtime/errors.js';
import { convVaeBytes, denseVaeBytes, layoutOf, patched, refreshChecksum, seededValues } from './format-fixtures.js';

// Tensor / op indices of the dense fixture (see denseVaeModel): x 0, enc hidden w 1 b 2 out 3, mu w 4 b 5 out 6,
// logvar w 7 b 8 out 9, z 10, dec hidden w 11 b 12 out 13, dec out w 14 b 15 out 16.
const good = denseVaeBytes();
const L = layoutOf(good);

function expectFormatError(bytes: Uint8Array, message: string | RegExp): void {
  let thrown: unknown;
  try {
    readModel(bytes);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ModelFormatError);
  if (typeof message === 'string') expect((thrown as Error).message).toContain(message);
  else expect((thrown as Error).message).toMatch(message);
}

describe('readModel on valid files', () => {
  it('reads tensors, entries, ops and metadata of the dense fixture', () => {
    const m = readModel(good);
    expect(m.version).toBe(1);
    expect(m.fileSize).toBe(good.length);
    expect(m.tensors).toHaveLength(17);
    expect(m.ops).toHaveLength(5);
    expect(m.entries.map((e) => e.kind)).toEqual(['encode', 'decode']);
    expect(m.entries[0]).toMatchObject({ opStart: 0, opCount: 3, input: 0, outputs: [6, 9] });
    expect(m.entries[1]).toMatchObject({ opStart: 3, opCount: 2, input: 10, outputs: [16] });
    expect(m.tensors[1]).toMatchObject({ kind: 'constant', dtype: 'f32', rank: 2, dims: [12, 8], elements: 96, byteLength: 384 });
    expect(m.ops[4]).toMatchObject({ name: 'Dense', output: 16, a: 13, b: 14, c: 15, activation: 3 });
    expect(m.metadata).toMatchObject({ name: 'dense-fixture', latentSize: 4, inputShape: [1, 3, 4] });
    // Weights (constants) as the writer laid them out: w of the first layer equals the fixture values.
    const w = m.tensors[1];
    const bytes = good.slice(w.offset, w.offset + w.byteLength);
    expect(Array.from(new Float32Array(bytes.buffer))).toEqual(Array.from(seededValues(96, 1, 0.8)));
  });

  it('accepts the conv fixture (conv, transposed conv, layout, copy ops)', () => {
    const m = readModel(convVaeBytes());
    expect(m.ops.map((o) => o.name)).toEqual(['Layout', 'Conv2D', 'Copy', 'Dense', 'Dense', 'Dense', 'Copy', 'ConvTranspose', 'Layout']);
  });

  it('accepts decoder-only and encoder-only files', () => {
    expect(readModel(denseVaeBytes('decode')).entries.map((e) => e.kind)).toEqual(['decode']);
    expect(readModel(denseVaeBytes('encode')).entries.map((e) => e.kind)).toEqual(['encode']);
  });
});

describe('readModel on hostile files', () => {
  it('header problems', () => {
    expectFormatError(good.subarray(0, 10), 'model file is truncated: 10 bytes');
    expectFormatError(good.subarray(0, good.length - 16), `model file is truncated: header says ${good.length} bytes, got ${good.length - 16}`);
    const longer = new Uint8Array(good.length + 16);
    longer.set(good);
    expectFormatError(longer, 'trailing bytes');
    expectFormatError(patched(good, [[0, 0x464e4f4f]]), 'bad magic');
    expectFormatError(patched(good, [[4, 2]]), 'unsupported version 2');
    expectFormatError(patched(good, [[16, 2]]), 'header flags are 2, expected 0 or 1 (7-bit relu activations)');
    expect(readModel(patched(good, [[16, 1]])).flags).toBe(1); // FLAG_RELU_U7 (int8-relaxed files)
    expectFormatError(patched(good, [[40, 4]]), 'entryCount 4 exceeds');
    expectFormatError(patched(good, [[32, 70000]]), 'tensorCount 70000 exceeds');
    expectFormatError(patched(good, [[60, 100]]), 'arenaPerSample 100 is not a multiple of 16');
  });

  it('checksum mismatch when any byte after offset 16 changes', () => {
    const bad = good.slice();
    bad[L.data + 5] ^= 0x40;
    expectFormatError(bad, /^checksum mismatch: header says 0x[0-9a-f]{8}, bytes \[16, \d+\) have CRC-32 0x[0-9a-f]{8}/);
  });

  it('sections outside the file, misaligned or overlapping', () => {
    expectFormatError(patched(good, [[28, L.tensor(0) + 4]]), `tensor table offset ${L.tensor(0) + 4} is not 16-byte aligned`);
    expectFormatError(patched(good, [[56, L.dataLength + 16]]), /data \[\d+, \d+\) lies outside the file/);
    expectFormatError(patched(good, [[36, L.tensor(0)]]), /entry table \[\d+, \d+\) overlaps tensor table|tensor table \[\d+, \d+\) overlaps entry table/);
    expectFormatError(patched(good, [[20, 0]]), 'model file: metadata offset 0 lies inside the 64-byte header');
    expectFormatError(patched(good, [[20, L.tensor(0)]]), /metadata \[\d+, \d+\) overlaps tensor table/);
  });

  it('metadata that is not JSON is reported but does not reject the file (it is informative only)', () => {
    const m = readModel(patched(good, [[L.meta, 0x41414141]]));
    expect(m.metadata).toEqual({});
    expect(m.metadataError).toMatch(/^metadata is not valid JSON/);
    expect(readModel(patched(good, [[L.meta, 0xffffffff]])).metadataError).toBe('metadata is not valid UTF-8');
  });

  it('tensor problems name the tensor', () => {
    const t = L.tensor(11); // dec hidden weights [4, 8]
    expectFormatError(patched(good, [[t + 8, 0]]), 'model file: tensor 11: dims [0, 8] has a zero dimension');
    expectFormatError(patched(good, [[t + 4, 3], [t + 16, 0]]), 'model file: tensor 11: dims [4, 8, 0] has a zero dimension');
    expectFormatError(patched(good, [[t + 4, 4], [t + 8, 65536], [t + 12, 65536], [t + 16, 2], [t + 20, 2]]),
      'model file: tensor 11: dims [65536, 65536, 2, 2] hold 17179869184 elements, more than the limit 67108864');
    expectFormatError(patched(good, [[t + 4, 5]]), 'model file: tensor 11: rank 5 exceeds 4');
    expectFormatError(patched(good, [[t + 16, 7]]), 'model file: tensor 11: unused dim 2 of a rank-2 tensor is 7');
    expectFormatError(patched(good, [[t + 2, 9, 'u16']]), 'model file: tensor 11: unknown dtype 9');
    expectFormatError(patched(good, [[t, 4, 'u16']]), 'model file: tensor 11: unknown kind 4');
    expectFormatError(patched(good, [[t + 28, 132]]), 'tensor 11 (constant f32 [4, 8]): byteLength 132, expected 128');
    expectFormatError(patched(good, [[t + 24, L.data + 8]]), `tensor 11 (constant f32 [4, 8]): offset ${L.data + 8} is not 16-byte aligned`);
    expectFormatError(patched(good, [[t + 24, 0]]), /tensor 11 \(constant f32 \[4, 8\]\): bytes \[0, 128\) lie outside the data section/);
    expectFormatError(patched(good, [[t + 24, L.data + L.dataLength - 112]]), /tensor 11 .*lie outside the data section/);
    expectFormatError(patched(good, [[t + 32, Number.NaN, 'f32']]), 'tensor 11 (constant f32 [4, 8]): scale NaN must be finite and >= 0');
    expectFormatError(patched(good, [[t + 36, 3, 'i32']]), 'zeroPoint 3 must be 0 for dtype f32');
    expectFormatError(patched(good, [[t + 44, 8], [t + 40, L.data]]), 'per-channel scales (qCount 8) are only allowed on constant i8 tensors');
    const act = L.tensor(13);
    expectFormatError(patched(good, [[act + 24, 1 << 20]]), /tensor 13 \(activation f32 \[8\]\): arena bytes \[1048576, 1048608\) exceed arenaPerSample/);
    expectFormatError(patched(good, [[act + 28, 16]]), 'tensor 13 (activation f32 [8]): byteLength 16 is smaller than the 32 bytes its dims need');
    // An i8 activation needs a positive scale.
    expectFormatError(patched(good, [[act + 2, 2, 'u16']]), 'tensor 13 (activation i8 [8]): quantization scale 0 must be > 0');
    expectFormatError(patched(good, [[act + 2, 2, 'u16'], [act + 32, 0.5, 'f32'], [act + 36, 200, 'i32']]), 'zeroPoint 200 is outside -128..127');
  });

  it('entry problems name the entry', () => {
    const e = L.entry(1);
    expectFormatError(patched(good, [[e, 0]]), 'model file: entry 1: a second "encode" entry');
    expectFormatError(patched(good, [[e, 5]]), 'model file: entry 1: unknown kind 5');
    expectFormatError(patched(good, [[e + 8, 9]]), 'model file: entry 1 (decode): ops [3, 12) lie outside the op stream (5 ops)');
    expectFormatError(patched(good, [[e + 12, 11]]), 'entry 1 (decode): input tensor 11 is a constant f32 of rank 2, expected a rank-1 f32 activation');
    expectFormatError(patched(good, [[e + 20, 99]]), 'entry 1 (decode): output0 tensor 99 does not exist (17 tensors)');
    expectFormatError(patched(good, [[e + 16, 2]]), 'entry 1 (decode): outputCount 2, expected 1');
    expectFormatError(patched(good, [[L.entry(0) + 16, 1]]), 'entry 0 (encode): outputCount 1, expected 2');
  });

  it('op problems name the op', () => {
    const o = L.op(3); // dec hidden: Dense a 10 (z[4]) b 11 ([4,8]) c 12 ([8]) out 13 ([8])
    expectFormatError(patched(good, [[o, 42]]), 'model file: op 3: unknown opcode 42');
    expectFormatError(patched(good, [[o + 4, 11]]), 'model file: op 3 (Dense): writes constant tensor 11');
    expectFormatError(patched(good, [[o + 8, 1000]]), 'op 3 (Dense): tensor a index 1000 does not exist (17 tensors)');
    expectFormatError(patched(good, [[o + 12, 0xffffffff]]), 'op 3 (Dense): tensor b (weights) is missing');
    expectFormatError(patched(good, [[o + 8, 3]]), 'op 3 (Dense): a tensor 3 has 8 elements, expected 4');
    expectFormatError(patched(good, [[o + 4, 16]]), 'op 3 (Dense): out tensor 16 has 12 elements, expected 8');
    expectFormatError(patched(good, [[o + 16, 15]]), 'op 3 (Dense): c (bias) tensor 15 has 12 elements, expected 8');
    expectFormatError(patched(good, [[o + 12, 13]]), 'op 3 (Dense): b (weights) tensor 13 is an activation, expected a constant');
    expectFormatError(patched(good, [[o + 20, 14]]), 'op 3 (Dense): unknown fused activation 14');
    expectFormatError(patched(good, [[o + 24, Number.POSITIVE_INFINITY, 'f32']]), 'activation alpha Infinity is not finite');
  });

  it('conv output dims must follow from kernel, stride, pads and dilation', () => {
    const conv = convVaeBytes();
    const C = layoutOf(conv);
    const conv2d = C.op(1); // params at words 7..15: kh kw sH sW padTop padLeft dH dW groups
    expectFormatError(patched(conv, [[conv2d + 28 + 8, 1]]),
      'op 1 (Conv2D): output height 3 does not follow from input height 5, kernel 3, stride 1, pad 1, dilation 1 (symmetric padding gives 5)');
    expectFormatError(patched(conv, [[conv2d + 28 + 32, 2]]), 'op 1 (Conv2D): groups 2 does not divide input channels 1 and output channels 2');
    expectFormatError(patched(conv, [[conv2d + 28, 0]]), 'op 1 (Conv2D): kernel height 0 is outside 1..65536');
    expectFormatError(patched(conv, [[conv2d + 28 + 16, 4]]), 'op 1 (Conv2D): padding (4, 1) must be smaller than the dilated kernel (3, 3)');
    const convT = C.op(7);
    expectFormatError(patched(conv, [[convT + 28 + 12, 3]]), /op 7 \(ConvTranspose\): output width 5 does not follow from input width 3, kernel 3, stride 3/);
    expectFormatError(patched(conv, [[C.op(2) + 20, 1]]), 'op 2 (Copy): this op cannot carry a fused activation (relu)');
    const layout = C.op(8);
    expectFormatError(patched(conv, [[layout + 28, 2]]), 'op 8 (Layout): unknown layout mode 2');
    expectFormatError(patched(conv, [[layout + 28 + 4, 2]]), 'op 8 (Layout): a tensor 15 has 25 elements, expected 50');
  });

  it('random corruption (with a fixed-up checksum) yields a ModelFormatError or a valid model, never a crash', () => {
    const files = [good, convVaeBytes()];
    const rnd = seededValues(6000, 99);
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const src = files[i % 2];
      const bad = src.slice();
      const flips = 1 + (i % 3);
      for (let f = 0; f < flips; f++) {
        // Bias towards the header and tables, where structure lives.
        const r = (rnd[(i * 3 + f) % rnd.length] + 1) / 2;
        const pos = 16 + Math.floor(r * r * (bad.length - 16));
        bad[pos] ^= 1 << ((i + f) % 8);
      }
      refreshChecksum(bad);
      try {
        readModel(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFormatError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(500);
  });
});
