import { describe, it, expect } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '../../format/crc32.js';
import { writeModel, type WModel } from '../../converter/writer.js';
import { DType, EntryKind, NONE, Op, TensorKind } from '../../runtime/format-constants.js';
import { rng } from './harness.js';

const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

function sampleModel(): WModel {
  return {
    meta: { name: 'w', note: 'ünïcode' },
    tensors: [
      { kind: TensorKind.Activation, dtype: DType.F32, dims: [3] },
      { kind: TensorKind.Constant, dtype: DType.F32, dims: [3, 5], data: new Uint8Array(60).map((_, i) => i) },
      { kind: TensorKind.Constant, dtype: DType.I8, dims: [5], data: new Uint8Array([1, 2, 3, 4, 5]), channelScales: new Float32Array([0.5, 0.25]) },
      { kind: TensorKind.Activation, dtype: DType.F32, dims: [5] },
      { kind: TensorKind.Activation, dtype: DType.I8, dims: [7], scale: 0.125, zeroPoint: -3 },
    ],
    entries: [{ kind: EntryKind.Decode, input: 0, outputs: [3], ops: [{ op: Op.Dense, out: 3, a: 0, b: 1, alpha: 0.5, params: [7, 8] }] }],
  };
}

describe('crc32', () => {
  it('matches zlib on the check vector and random buffers, and continues a running checksum', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const rand = rng(3);
    for (const n of [0, 1, 15, 1000]) {
      const b = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      expect(crc32(b)).toBe(zlibCrc32(b));
      expect(crc32(b, Math.floor(n / 2), n, crc32(b, 0, Math.floor(n / 2)))).toBe(zlibCrc32(b));
    }
  });
});

describe('writeModel', () => {
  const bytes = writeModel(sampleModel());

  it('writes the header, 16-aligned sections in order, and a valid checksum', () => {
    expect(u32(bytes, 0)).toBe(0x45415645);
    expect(u32(bytes, 4)).toBe(1);
    expect(u32(bytes, 8)).toBe(bytes.length);
    expect(u32(bytes, 12)).toBe(zlibCrc32(bytes.subarray(16)));
    const offsets = [20, 28, 36, 44, 52].map((o) => u32(bytes, o));
    for (const o of offsets) expect(o % 16).toBe(0);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
    const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(u32(bytes, 20), u32(bytes, 20) + u32(bytes, 24))));
    expect(meta).toEqual(sampleModel().meta);
    expect(u32(bytes, 52) + u32(bytes, 56)).toBe(bytes.length);
  });

  it('places constants and per-channel scales 16-aligned in the data section, byte for byte', () => {
    const t = u32(bytes, 28);
    const view = new DataView(bytes.buffer);
    const w = u32(bytes, t + 48 + 24);
    expect(w % 16).toBe(0);
    expect(u32(bytes, t + 48 + 28)).toBe(60);
    expect(Array.from(bytes.subarray(w, w + 60))).toEqual(Array.from(sampleModel().tensors[1].data!));
    const q = t + 2 * 48;
    expect(u32(bytes, q + 44)).toBe(2);
    const scales = u32(bytes, q + 40);
    expect(scales % 16).toBe(0);
    expect([view.getFloat32(scales, true), view.getFloat32(scales + 4, true)]).toEqual([0.5, 0.25]);
    const act = t + 4 * 48;
    expect(view.getFloat32(act + 32, true)).toBe(0.125);
    expect(view.getInt32(act + 36, true)).toBe(-3);
  });

  it('gives unplanned activations disjoint aligned slots and sizes the arena', () => {
    const t = u32(bytes, 28);
    const slots = [0, 3, 4].map((i) => [u32(bytes, t + i * 48 + 24), u32(bytes, t + i * 48 + 28)]);
    expect(slots.map((s) => s[1])).toEqual([12, 20, 7]);
    for (const [off] of slots) expect(off % 16).toBe(0);
    const sorted = [...slots].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][0] + sorted[i - 1][1]);
    const arena = u32(bytes, 60);
    expect(arena % 16).toBe(0);
    for (const [off, len] of slots) expect(off + len).toBeLessThanOrEqual(arena);
  });

  it('encodes entries and ops (NONE for absent operands, alpha as f32, params from word 7)', () => {
    const e = u32(bytes, 36);
    expect([0, 4, 8, 12, 16, 20, 24].map((k) => u32(bytes, e + k))).toEqual([EntryKind.Decode, 0, 1, 0, 1, 3, NONE]);
    const o = u32(bytes, 44);
    expect([0, 4, 8, 12, 16, 20].map((k) => u32(bytes, o + k))).toEqual([Op.Dense, 3, 0, 1, NONE, 0]);
    expect(new DataView(bytes.buffer).getFloat32(o + 24, true)).toBe(0.5);
    expect([u32(bytes, o + 28), u32(bytes, o + 32), u32(bytes, o + 36)]).toEqual([7, 8, 0]);
  });

  it('keeps a planner\'s offsets and arena size', () => {
    const m = sampleModel();
    m.tensors[0].offset = 32; m.tensors[3].offset = 0; m.tensors[4].offset = 0;
    m.arenaPerSample = 64;
    const b = writeModel(m);
    const t = u32(b, 28);
    expect([0, 3, 4].map((i) => u32(b, t + i * 48 + 24))).toEqual([32, 0, 0]);
    expect(u32(b, 60)).toBe(64);
  });

  it('rejects inconsistent input with a message naming the problem', () => {
    const cases: Array<[(m: WModel) => void, RegExp]> = [
      [(m) => { m.tensors[0].offset = 16; }, /either all activations have an offset or none/],
      [(m) => { m.tensors[1].data = new Uint8Array(4); }, /constant 1 has 4 bytes/],
      [(m) => { m.tensors[1].dims = [1, 1, 1, 1, 60]; }, /tensor 1 has rank 5/],
      [(m) => { m.tensors[3].dims = [0]; }, /tensor 3 has invalid dim 0/],
      [(m) => { m.entries[0].ops[0].params = Array(10).fill(1); }, /op 0 has 10 params/],
      [(m) => { m.entries[0].ops[0].params = [-1]; }, /op 0 param 0 = -1/],
      [(m) => { m.entries[0].outputs = []; }, /entry 0 has 0 outputs/],
      [(m) => { m.arenaPerSample = 8; }, /arenaPerSample 8/],
      [(m) => { m.tensors[3].byteLength = 4; }, /activation 3 byteLength 4 < 20/],
    ];
    for (const [edit, message] of cases) {
      const m = sampleModel();
      edit(m);
      expect(() => writeModel(m)).toThrow(message);
    }
  });
});
