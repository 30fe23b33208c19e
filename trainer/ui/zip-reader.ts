// Reads the files of a .zip in the browser: central directory, then each entry stored or deflated
// (DecompressionStream 'deflate-raw'). Enough for a zip of PNGs made by any common tool; no encryption or zip64.
export interface ZipEntry {
  name: string;
  bytes: () => Promise<Uint8Array>;
}

export function readZip(data: Uint8Array): ZipEntry[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error('zip: corrupt central directory');
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(data.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    if (name.endsWith('/')) continue;
    if (method !== 0 && method !== 8) throw new Error(`zip: ${name} uses compression method ${method} (only stored and deflate are read)`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = data.subarray(start, start + size);
    entries.push({
      name,
      bytes: async () =>
        (method === 0
          ? raw : new Uint8Array(
            await new Response(
              new Blob([new Uint8Array(raw)]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer())),
    });
  }
  return entries;
}
