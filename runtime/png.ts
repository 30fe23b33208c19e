// Minimal PNG encoder for 8-bit grayscale and RGB images. Browser-safe: by default the image data is
// wrapped in stored (uncompressed) deflate blocks; Node callers can pass node:zlib's deflateSync instead.
import { crc32 } from '../format/crc32.js';

export interface RasterImage {
  width: number;
  height: number;
  /** 1 = grayscale, 3 = RGB */
  channels: 1 | 3;
  /** row-major, channels interleaved, length width*height*channels */
  data: Uint8Array;
}

/** Turns raw bytes into a zlib stream (RFC 1950). */
export type ZlibCompress = (raw: Uint8Array) => Uint8Array;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function encodePng(image: RasterImage, compress: ZlibCompress = zlibStored): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 1 << 24 || height > 1 << 24) {
    throw new RangeError(`encodePng: invalid size ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`encodePng: channels must be 1 or 3, got ${channels}`);
  const rowBytes = width * channels;
  if (data.length !== rowBytes * height) {
    throw new RangeError(`encodePng: ${width}x${height}x${channels} needs ${rowBytes * height} bytes, got ${data.length}`);
  }
  // Every scanline starts with its filter type; 0 (none) keeps the encoder trivial.
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);

  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // color type: grayscale / truecolor
  const chunks = [chunk('IHDR', ihdr), chunk('IDAT', compress(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(SIGNATURE.length + chunks.reduce((s, c) => s + c.length, 0));
  out.set(SIGNATURE, 0);
  let at = SIGNATURE.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  v.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

/** zlib stream made of stored deflate blocks (no compression), each at most 65535 bytes. */
export function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  out[0] = 0x78; // deflate, 32K window
  out[1] = 0x01; // no preset dictionary, fastest; (0x78 << 8 | 0x01) % 31 == 0
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, raw.length - start);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00 (stored)
    out[at + 1] = len & 0xff;
    out[at + 2] = len >>> 8;
    out[at + 3] = ~len & 0xff;
    out[at + 4] = (~len >>> 8) & 0xff;
    out.set(raw.subarray(start, start + len), at + 5);
    at += 5 + len;
  }
  new DataView(out.buffer).setUint32(at, adler32(raw));
  return out;
}

export function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  // 5552 is the largest run that cannot overflow before the modulo (as in zlib).
  for (let i = 0; i < bytes.length; i += 5552) {
    const end = Math.min(bytes.length, i + 5552);
    for (let j = i; j < end; j++) {
      a += bytes[j];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
