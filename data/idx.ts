// IDX files (the MNIST / Fashion-MNIST container): big-endian header
//   u16 zero, u8 type code, u8 rank, rank x u32 dims, then the elements.
// Only unsigned bytes (type 0x08) occur in those datasets; other codes are rejected by name.
// A .gz file (or any file starting with the gzip magic) is inflated first.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'u8', 0x09: 'i8', 0x0b: 'i16', 0x0c: 'i32', 0x0d: 'f32', 0x0e: 'f64',
};

export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  const fail = (offset: number, what: string): never => {
    throw new Error(`IDX file ${file}: ${what} (byte offset ${offset})`);
  };
  if (bytes.length < 4) fail(bytes.length, `truncated header: ${bytes.length} bytes, need at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(0, `bad magic 0x${hex(bytes[0])}${hex(bytes[1])}, expected 0x0000`);
  const type = bytes[2];
  if (!(type in TYPE_NAMES)) fail(2, `unknown element type code 0x${hex(type)}`);
  if (type !== 0x08) fail(2, `element type ${TYPE_NAMES[type]} is not supported (only u8 images/labels)`);
  const rank = bytes[3];
  if (rank < 1 || rank > 4) fail(3, `rank ${rank} out of range 1..4`);
  const headerEnd = 4 + 4 * rank;
  if (bytes.length < headerEnd) fail(bytes.length, `truncated header: ${bytes.length} bytes, need ${headerEnd} for ${rank} dims`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) fail(4 + 4 * i, `dimension ${i} is 0`);
    dims.push(d);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > 2 ** 31) fail(4, `element count ${count} is too large`);
  const expected = headerEnd + count;
  if (bytes.length < expected) {
    fail(bytes.length, `truncated data: dims [${dims.join(', ')}] need ${expected} bytes, file has ${bytes.length}`);
  }
  if (bytes.length > expected) fail(expected, `${bytes.length - expected} unexpected trailing bytes after the data`);
  return { dims, data: bytes.subarray(headerEnd, expected) };
}

export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`IDX file ${path}: cannot read (${(e as Error).message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`IDX file ${path}: corrupt gzip stream (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, path);
}

function hex(v: number): string {
  return v.toString(16).padStart(2, '0');
}
