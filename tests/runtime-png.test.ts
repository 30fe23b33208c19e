import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { deflateSync, inflateSync } from 'node:zlib';
import { adler32, encodePng, zlibStored, type RasterImage } from '../runtime/png.js';
import { imageGrid } from '../runtime/image-grid.js';
import { seededValues } from './format-fixtures.js';

/** Independent PNG reader: python's zlib checks every chunk CRC and inflates IDAT; returns the pixel rows. */
function decodeWithPython(png: Uint8Array): { width: number; height: number; colorType: number; pixels: number[] } {
  const script = `
import sys, zlib, struct, json
b = sys.stdin.buffer.read()
assert b[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'signature'
pos, idat, hdr = 8, b'', None
while pos < len(b):
    n, = struct.unpack('>I', b[pos:pos+4]); typ = b[pos+4:pos+8]; body = b[pos+8:pos+8+n]
    crc, = struct.unpack('>I', b[pos+8+n:pos+12+n])
    assert zlib.crc32(typ + body) == crc, 'crc of ' + typ.decode()
    if typ == b'IHDR': hdr = struct.unpack('>IIBBBBB', body)
    if typ == b'IDAT': idat += body
    pos += 12 + n
w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
ch = 1 if ctype == 0 else 3
raw = zlib.decompress(idat)
stride = w * ch + 1
px = []
for y in range(h):
    assert raw[y * stride] == 0, 'filter'
    px += list(raw[y * stride + 1:(y + 1) * stride])
print(json.dumps({'width': w, 'height': h, 'colorType': ctype, 'pixels': px}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: png, encoding: 'utf8', maxBuffer: 1 << 26 }));
}

function randomImage(width: number, height: number, channels: 1 | 3, seed: number): RasterImage {
  const v = seededValues(width * height * channels, seed);
  return { width, height, channels, data: Uint8Array.from(v, (x) => Math.floor((x + 1) * 127.9)) };
}

describe('png', () => {
  it('adler32 matches the zlib trailer computed by node:zlib', () => {
    const data = Uint8Array.from(seededValues(100_000, 5), (x) => (x + 1) * 127);
    const z = deflateSync(data);
    expect(adler32(data)).toBe(new DataView(z.buffer, z.byteOffset).getUint32(z.length - 4));
    expect(adler32(new Uint8Array(0))).toBe(1);
  });

  it('stored zlib streams inflate back to the input, also across 64 KiB blocks', () => {
    for (const n of [0, 1, 65535, 65536, 200_001]) {
      const data = Uint8Array.from(seededValues(n, n + 1), (x) => (x + 1) * 127);
      expect(Buffer.compare(inflateSync(zlibStored(data)), Buffer.from(data))).toBe(0);
    }
  });

  it('grayscale and RGB PNGs decode to the same pixels (stored and node:zlib compression)', () => {
    for (const image of [randomImage(7, 5, 1, 1), randomImage(300, 260, 3, 2)]) {
      for (const compress of [undefined, (raw: Uint8Array) => new Uint8Array(deflateSync(raw))]) {
        const decoded = decodeWithPython(encodePng(image, compress));
        expect(decoded.width).toBe(image.width);
        expect(decoded.height).toBe(image.height);
        expect(decoded.colorType).toBe(image.channels === 1 ? 0 : 2);
        expect(decoded.pixels).toEqual(Array.from(image.data));
      }
    }
  });

  it('rejects bad sizes', () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) })).toThrow('2x2x1 needs 4 bytes, got 3');
    expect(() => encodePng({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) })).toThrow('invalid size 0x2');
    expect(() => encodePng({ width: 1, height: 1, channels: 4 as 1, data: new Uint8Array(4) })).toThrow('channels must be 1 or 3');
  });
});

describe('imageGrid', () => {
  it('tiles CHW images with 1px gaps, clamps values and converts to HWC', () => {
    // 5 RGB images of 2x3, 3 columns -> 2 rows: width 3*3+2 = 11, height 2*2+1 = 5.
    const count = 5, C = 3, H = 2, W = 3;
    const images = seededValues(count * C * H * W, 9, 1.5); // values beyond [0, 1] to exercise clamping
    const grid = imageGrid(images, count, [C, H, W], { columns: 3, gapValue: 0.5 });
    expect([grid.width, grid.height, grid.channels]).toEqual([11, 5, 3]);
    // Plain reference: pixel (gx, gy) belongs to image n at (x, y) or to a gap.
    const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
    for (let gy = 0; gy < grid.height; gy++) {
      for (let gx = 0; gx < grid.width; gx++) {
        const col = Math.floor(gx / (W + 1)), row = Math.floor(gy / (H + 1));
        const x = gx % (W + 1), y = gy % (H + 1), n = row * 3 + col;
        for (let c = 0; c < C; c++) {
          const expected = x === W || y === H || n >= count ? byte(0.5) : byte(images[n * C * H * W + c * H * W + y * W + x]);
          expect(grid.data[(gy * grid.width + gx) * C + c]).toBe(expected);
        }
      }
    }
  });

  it('defaults to a square-ish grid, draws NaN black, rejects wrong sizes', () => {
    const g = imageGrid(new Float32Array([Number.NaN, 1, 0.5, 2]), 4, [1, 1, 1]);
    expect([g.width, g.height]).toEqual([3, 3]);
    expect(Array.from(g.data)).toEqual([0, 255, 255, 255, 255, 255, 128, 255, 255]);
    expect(() => imageGrid(new Float32Array(5), 2, [1, 2, 2])).toThrow('2 images of [1, 2, 2] need 8 values, got 5');
    expect(() => imageGrid(new Float32Array(4), 1, [4, 1, 1])).toThrow('is not an image');
  });
});
