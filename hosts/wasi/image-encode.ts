// Image files from 8-bit pixels: PNG (uncompressed zlib "stored" blocks, CRC-32, Adler-32), PGM and PPM.
// The byte layout follows the same rules as runtime/png.ts so both hosts write identical files.

// The runtime's CRC-32 (the WASI build links assembly/ anyway, so its tables are already there).
import { crc32 } from "../../assembly/crc32";

export function adler32(ptr: usize, len: usize): u32 {
  let a: u32 = 1, b: u32 = 0;
  let i: usize = 0;
  while (i < len) {
    // 5552 bytes is the longest run before the sums can overflow 32 bits.
    const end = min(len, i + 5552);
    for (; i < end; i++) { a += load<u8>(ptr + i); b += a; }
    a %= 65521; b %= 65521;
  }
  return (b << 16) | a;
}

class ByteWriter {
  buf: Uint8Array;
  pos: i32 = 0;
  constructor(capacity: i32) { this.buf = new Uint8Array(capacity); }
  u8(v: u32): void { this.buf[this.pos++] = <u8>v; }
  u16le(v: u32): void { this.u8(v & 0xff); this.u8(v >>> 8); }
  u32be(v: u32): void { this.u8(v >>> 24); this.u8((v >>> 16) & 0xff); this.u8((v >>> 8) & 0xff); this.u8(v & 0xff); }
  ascii(s: string): void { for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i)); }
  copy(ptr: usize, len: i32): void { memory.copy(this.buf.dataStart + this.pos, ptr, len); this.pos += len; }
  /** Address of the next byte to be written (start of a chunk's CRC-covered range). */
  here(): usize { return this.buf.dataStart + this.pos; }
}

const STORED_BLOCK_MAX = 65535;

/** PNG file of `height` rows of `width * channels` bytes (channels 1 = gray, 3 = RGB). */
export function encodePng(pixels: Uint8Array, width: i32, height: i32, channels: i32): Uint8Array {
  const rowBytes = width * channels;
  const rawLen = (rowBytes + 1) * height; // each row starts with filter type 0 (none)
  const blocks = max(1, (rawLen + STORED_BLOCK_MAX - 1) / STORED_BLOCK_MAX);
  const zlibLen = 2 + rawLen + 5 * blocks + 4;
  const w = new ByteWriter(8 + 25 + 12 + zlibLen + 12);
  w.u8(0x89); w.ascii("PNG\r\n\x1a\n");

  w.u32be(13);
  let chunk = w.here();
  w.ascii("IHDR"); w.u32be(width); w.u32be(height);
  w.u8(8); w.u8(channels == 3 ? 2 : 0); w.u8(0); w.u8(0); w.u8(0);
  w.u32be(crc32(chunk, 17));

  const raw = new Uint8Array(rawLen);
  for (let y = 0; y < height; y++) {
    memory.copy(raw.dataStart + y * (rowBytes + 1) + 1, pixels.dataStart + y * rowBytes, rowBytes);
  }
  w.u32be(zlibLen);
  chunk = w.here();
  w.ascii("IDAT");
  w.u8(0x78); w.u8(0x01); // deflate, 32K window, no preset dictionary, fastest-level hint
  for (let off = 0, b = 0; b < blocks; b++) {
    const n = min(STORED_BLOCK_MAX, rawLen - off);
    w.u8(b == blocks - 1 ? 1 : 0); // BFINAL on the last block, BTYPE 00 (stored)
    w.u16le(n); w.u16le(~n & 0xffff);
    w.copy(raw.dataStart + off, n);
    off += n;
  }
  w.u32be(adler32(raw.dataStart, rawLen));
  w.u32be(crc32(chunk, 4 + zlibLen));

  w.u32be(0);
  chunk = w.here();
  w.ascii("IEND");
  w.u32be(crc32(chunk, 4));
  return w.buf;
}

/** Binary PGM (P5, channels 1) or PPM (P6, channels 3). */
export function encodePnm(pixels: Uint8Array, width: i32, height: i32, channels: i32): Uint8Array {
  const header = (channels == 3 ? "P6" : "P5") + "\n" + width.toString() + " " + height.toString() + "\n255\n";
  const len = width * height * channels;
  const w = new ByteWriter(header.length + len);
  w.ascii(header);
  w.copy(pixels.dataStart, len);
  return w.buf;
}
