import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, NpyError } from '../runtime/npy.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { seededValues } from './format-fixtures.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'edgevae-npy-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const numpy = hasNumpy();
if (!numpy && process.env.CI) throw new Error('python3 with numpy is required in CI');

const python = (code: string) => execFileSync('python3', ['-c', code], { encoding: 'utf8' }).trim();

describe('npy', () => {
  it('round-trips shapes including scalars, vectors and empty arrays', () => {
    for (const shape of [[], [7], [2, 3], [2, 1, 28, 28], [0, 4]]) {
      const count = shape.reduce((p, d) => p * d, 1);
      const data = seededValues(count, 3 + count);
      const back = decodeNpy(encodeNpy(data, shape));
      expect(back.shape).toEqual(shape);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
  });

  it('aligns the data to 64 bytes like numpy', () => {
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    expect((bytes.length - 24) % 64).toBe(0);
    expect(bytes[6]).toBe(1);
  });

  it('rejects shape/data mismatch and bad dims when writing', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow('shape [2, 3] holds 6 values, data has 5');
    expect(() => encodeNpy(new Float32Array(0), [-1])).toThrow('invalid dimension -1');
  });

  it('refuses other dtypes, Fortran order, truncation and garbage with clear messages', () => {
    const good = encodeNpy(seededValues(6, 1), [2, 3]);
    const withHeader = (edit: (h: string) => string) => {
      const headerLen = new DataView(good.buffer).getUint16(8, true);
      const header = edit(new TextDecoder().decode(good.subarray(10, 10 + headerLen)));
      const bytes = good.slice();
      bytes.set(new TextEncoder().encode(header.padEnd(headerLen, ' ').slice(0, headerLen)), 10);
      return bytes;
    };
    expect(() => decodeNpy(withHeader((h) => h.replace('<f4', '<i4')), 'z.npy')).toThrow(
      "z.npy: dtype '<i4' is not supported; expected little-endian float32 '<f4' (or float64 '<f8')");
    expect(() => decodeNpy(withHeader((h) => h.replace('<f4', '>f4')))).toThrow("dtype '>f4' is not supported");
    expect(() => decodeNpy(withHeader((h) => h.replace('False', 'True ')))).toThrow('Fortran order are not supported');
    expect(() => decodeNpy(good.subarray(0, good.length - 4), 'x.npy')).toThrow('x.npy: truncated data: shape [2, 3] needs 24 bytes, file has 20');
    expect(() => decodeNpy(new TextEncoder().encode('hello world, not numpy'))).toThrow('not a .npy file');
    expect(() => decodeNpy(withHeader((h) => h.replace("'shape'", "'shope'")))).toThrow('malformed header');
    for (const e of [() => decodeNpy(new Uint8Array(3))]) expect(e).toThrow(NpyError);
  });

  it('writes atomically: no temp files left, content replaced', () => {
    const path = join(dir, 'a.bin');
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    writeFileAtomic(path, new Uint8Array([4, 5]));
    expect(Array.from(readFileSync(path))).toEqual([4, 5]);
    expect(readdirSync(dir).filter((f) => f.includes('a.bin'))).toEqual(['a.bin']);
    expect(() => writeFileAtomic(join(dir, 'missing-dir', 'b.bin'), 'x')).toThrow(/ENOENT/);
  });

  it.skipIf(!numpy)('numpy reads our files and we read numpy float32/float64/v2 files', () => {
    const data = seededValues(2 * 3 * 4, 11, 5);
    const ours = join(dir, 'ours.npy');
    writeFileAtomic(ours, encodeNpy(data, [2, 3, 4]));
    const seen = JSON.parse(python(`import numpy, json; a = numpy.load('${ours}'); print(json.dumps({'dtype': str(a.dtype), 'shape': a.shape, 'values': a.ravel().astype(float).tolist()}))`));
    expect(seen.dtype).toBe('float32');
    expect(seen.shape).toEqual([2, 3, 4]);
    expect(seen.values).toEqual(Array.from(data));

    const f32 = join(dir, 'np32.npy'), f64 = join(dir, 'np64.npy'), v2 = join(dir, 'v2.npy'), f16 = join(dir, 'f16.npy'), fortran = join(dir, 'fortran.npy');
    python([
      'import numpy',
      'a = (numpy.arange(30, dtype=numpy.float64).reshape(5, 6) / 7 - 2)',
      `numpy.save('${f32}', a.astype(numpy.float32))`,
      `numpy.save('${f64}', a)`,
      `numpy.lib.format.write_array(open('${v2}', 'wb'), a.astype(numpy.float32), version=(2, 0))`,
      `numpy.save('${f16}', a.astype(numpy.float16))`,
      `numpy.save('${fortran}', numpy.asfortranarray(a.astype(numpy.float32)))`,
    ].join('\n'));
    const expected = Array.from({ length: 30 }, (_, i) => Math.fround(i / 7 - 2));
    for (const file of [f32, f64, v2]) {
      const arr = decodeNpy(readFileSync(file), file);
      expect(arr.shape).toEqual([5, 6]);
      expect(Array.from(arr.data)).toEqual(expected);
    }
    expect(() => decodeNpy(readFileSync(f16), 'f16.npy')).toThrow("f16.npy: dtype '<f2' is not supported");
    expect(() => decodeNpy(readFileSync(fortran))).toThrow('Fortran order');
  });
});

