// NumPy .npy encoding/decoding for float arrays (format versions 1.0, 2.0 and 3.0 headers).
// Reads '<f4' and '<f8' (converted to float32) in C order; writes '<f4'. Browser-safe: no Node imports.

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a .npy file. `what` names the file in error messages. */
export function decodeNpy(bytes: Uint8Array, what = '.npy data'): NpyArray {
  const fail = (msg: string): never => {
    throw new NpyError(`${what}: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (missing the \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) fail(`truncated header (needs ${dataStart} bytes, file has ${bytes.length})`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header, fail);

  if (fortranOrder) fail('arrays in Fortran order are not supported; save a C-ordered array (numpy.ascontiguousarray)');
  let itemSize: number;
  if (descr === '<f4') itemSize = 4;
  else if (descr === '<f8') itemSize = 8;
  else return fail(`dtype '${descr}' is not supported; expected little-endian float32 '<f4' (or float64 '<f8')`);

  const count = shape.reduce((p, d) => p * d, 1);
  const need = count * itemSize;
  const available = bytes.length - dataStart;
  if (available < need) fail(`truncated data: shape [${shape.join(', ')}] needs ${need} bytes, file has ${available}`);
  if (available > need) fail(`${available - need} unexpected bytes after the data of shape [${shape.join(', ')}]`);

  const data = new Float32Array(count);
  if (itemSize === 4) {
    // Copy: the data may not be 4-byte aligned inside the file buffer.
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + need));
  } else {
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(dataStart + 8 * i, true);
  }
  return { shape, data };
}

/** Parses the Python-literal header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseHeader(header: string, fail: (m: string) => never): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`malformed header ${JSON.stringify(header.trim())}`);
  }
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = parts.map((p) => {
    if (!/^\d+$/.test(p)) fail(`malformed shape (${shapeText})`);
    return Number(p);
  });
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Encodes a float32 array as a version 1.0 .npy file (version 2.0 if the header would not fit). */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new NpyError(`encodeNpy: invalid dimension ${d} in shape [${shape.join(', ')}]`);
  }
  const count = shape.reduce((p, d) => p * d, 1);
  if (count !== data.length) {
    throw new NpyError(`encodeNpy: shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads the header with spaces and a final newline so the data starts on a 64-byte boundary.
  let version = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
