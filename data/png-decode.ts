// Small PNG decoder for training images: 8-bit grayscale, gray+alpha, RGB and RGBA, non-interlaced.
// Chunks are CRC-checked; IDAT is inflated with node:zlib; all five scanline filters are undone.
// Errors name the file and what is wrong.
import { constants } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { crc32 } from '../format/crc32.js';

export interface DecodedPng {
  width: number;
  height: number;
  /** channels in `data`: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS_BY_COLOR_TYPE: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 4: 2, 2: 3, 6: 4 };

export function decodePng(bytes: Uint8Array, file = '<buffer>'): DecodedPng {
  const fail = (what: string): never => {
    throw new Error(`PNG ${file}: ${what}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels: 1 | 2 | 3 | 4 = 1;
  let sawHeader = false;
  let sawEnd = false;
  const idat: Uint8Array[] = [];
  while (pos < bytes.length && !sawEnd) {
    if (pos + 12 > bytes.length) fail(`truncated chunk header at byte ${pos}`);
    const length = view.getUint32(pos, false);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    const end = pos + 8 + length;
    if (end + 4 > bytes.length) fail(`truncated chunk '${type}' at byte ${pos}`);
    const stored = view.getUint32(end, false);
    if (crc32(bytes.subarray(pos + 4, end)) !== stored) fail(`CRC mismatch in chunk '${type}' at byte ${pos}`);
    const body = bytes.subarray(pos + 8, end);
    if (type === 'IHDR') {
      if (length !== 13) fail(`IHDR has ${length} bytes, expected 13`);
      width = view.getUint32(pos + 8, false);
      height = view.getUint32(pos + 12, false);
      const [bitDepth, colorType, compression, filter, interlace] = body.subarray(8, 13);
      if (width < 1 || height < 1 || width > 1 << 16 || height > 1 << 16) fail(`unsupported size ${width}x${height}`);
      if (bitDepth !== 8) fail(`bit depth ${bitDepth} is not supported (only 8)`);
      const ch = CHANNELS_BY_COLOR_TYPE[colorType];
      if (!ch) fail(`color type ${colorType} is not supported (gray, gray+alpha, RGB, RGBA)`);
      channels = ch;
      if (compression !== 0 || filter !== 0) fail('unknown compression or filter method');
      if (interlace !== 0) fail('interlaced PNGs are not supported');
      sawHeader = true;
    } else if (type === 'IDAT') {
      if (!sawHeader) fail('IDAT before IHDR');
      idat.push(body);
    } else if (type === 'IEND') {
      sawEnd = true;
    }
    pos = end + 4;
  }
  if (!sawHeader) fail('missing IHDR chunk');
  if (idat.length === 0) fail('missing IDAT chunk');
  let raw: Uint8Array;
  const stride = width * channels;
  // Inflate no more than the header's size needs: a tiny IDAT can otherwise expand to gigabytes.
  const needed = (stride + 1) * height;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: Math.min(needed, constants.MAX_LENGTH) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return fail(`image data inflates to more than the ${needed} bytes a ${width}x${height} image needs`);
    }
    return fail(`corrupt image data (${(e as Error).message})`);
  }
  if (raw.length < (stride + 1) * height) fail(`image data has ${raw.length} bytes, need ${(stride + 1) * height}`);
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? out.subarray((y - 1) * stride, y * stride) : null;
    unfilterRow(filter, src, row, up, channels, () => fail(`unknown filter type ${filter} in row ${y}`));
  }
  return { width, height, channels, data: out };
}

function unfilterRow(
  filter: number, src: Uint8Array, row: Uint8Array, up: Uint8Array | null, bpp: number, bad: () => never,
): void {
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = up ? up[i] : 0;
    const c = up && i >= bpp ? up[i - bpp] : 0;
    let pred: number;
    switch (filter) {
      case 0: pred = 0; break;
      case 1: pred = a; break;
      case 2: pred = b; break;
      case 3: pred = (a + b) >> 1; break;
      case 4: pred = paeth(a, b, c); break;
      default: return bad();
    }
    row[i] = (src[i] + pred) & 0xff;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
