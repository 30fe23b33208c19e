// NumPy .npy files of little-endian float32 ('<f4', C order): the tensor exchange format of the CLI.
import { Bytes, fail } from "./io";

export class NpyArray {
  constructor(public shape: i32[], public data: Float32Array) {}
  get rows(): i32 { return this.shape.length == 0 ? 1 : this.shape[0]; }
}

function headerField(header: string, key: string, path: string): string {
  const at = header.indexOf("'" + key + "'");
  if (at < 0) fail("\"" + path + "\": .npy header has no '" + key + "'");
  const colon = header.indexOf(":", at);
  return header.slice(colon + 1).trimStart();
}

/** Parses a float32 .npy file; anything else gets an error naming what is wrong. */
export function parseNpy(file: Bytes, path: string): NpyArray {
  const p = file.ptr;
  if (file.length < 10 || load<u8>(p) != 0x93 || String.UTF8.decodeUnsafe(p + 1, 5) != "NUMPY") {
    fail("\"" + path + "\" is not a .npy file (bad magic)");
  }
  const major = load<u8>(p + 6);
  let headerLen: usize, headerStart: usize;
  if (major == 1) { headerLen = load<u16>(p + 8); headerStart = 10; }
  else if (major == 2 || major == 3) { headerLen = load<u32>(p + 8); headerStart = 12; }
  else { fail("\"" + path + "\": unsupported .npy version " + major.toString()); return changetype<NpyArray>(0); }
  if (headerStart + headerLen > file.length) fail("\"" + path + "\": .npy header runs past the end of the file");
  const header = String.UTF8.decodeUnsafe(p + headerStart, headerLen);

  const descr = headerField(header, "descr", path);
  if (!descr.startsWith("'<f4'")) fail("\"" + path + "\": expected dtype '<f4' (float32), got " + descr.slice(0, descr.indexOf(",")));
  if (headerField(header, "fortran_order", path).startsWith("True")) fail("\"" + path + "\": Fortran-order arrays are not supported");
  const shapeText = headerField(header, "shape", path);
  if (!shapeText.startsWith("(")) fail("\"" + path + "\": malformed shape in .npy header");
  const inner = shapeText.slice(1, shapeText.indexOf(")"));
  const shape = new Array<i32>();
  let count: i64 = 1;
  const parts = inner.split(",");
  for (let i = 0; i < parts.length; i++) {
    const t = parts[i].trim();
    if (t.length == 0) continue;
    for (let k = 0; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c < 48 || c > 57) fail("\"" + path + "\": malformed shape (" + inner + ") in .npy header");
    }
    const d = I32.parseInt(t);
    shape.push(d);
    count *= d;
    if (count > (1 << 28)) fail("\"" + path + "\": array too large");
  }
  const dataStart = headerStart + headerLen;
  const need = <usize>count * 4;
  if (file.length - dataStart != need) {
    fail("\"" + path + "\": expected " + need.toString() + " data bytes for shape (" + inner + "), found " + (file.length - dataStart).toString());
  }
  const data = new Float32Array(<i32>count);
  memory.copy(data.dataStart, p + dataStart, need);
  return new NpyArray(shape, data);
}

/** Serializes float32 data as a version 1.0 .npy file, header padded to 64 bytes like NumPy does. */
export function encodeNpy(shape: i32[], data: Float32Array): Uint8Array {
  let shapeText = "(";
  for (let i = 0; i < shape.length; i++) shapeText += (i > 0 ? ", " : "") + shape[i].toString();
  shapeText += shape.length == 1 ? ",)" : ")"; // NumPy writes a 1-tuple as (n,)
  let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
  let total = 10 + dict.length + 1;
  while (total % 64 != 0) { dict += " "; total++; }
  dict += "\n";
  const out = new Uint8Array(total + data.length * 4);
  const magic: u8[] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0];
  for (let i = 0; i < 8; i++) out[i] = magic[i];
  store<u16>(out.dataStart + 8, <u16>dict.length);
  for (let i = 0; i < dict.length; i++) out[10 + i] = <u8>dict.charCodeAt(i);
  memory.copy(out.dataStart + total, data.dataStart, data.length * 4);
  return out;
}
