// CRC-32 (IEEE 802.3, as zlib), table-driven; the 1 KB table lives in static memory, filled on first use.

const table: usize = memory.data(256 * 4, 16);
let tableReady = false;

function buildTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(table + (<usize>n << 2), c);
  }
  tableReady = true;
}

/** CRC-32 of the bytes [ptr, ptr+len). */
export function crc32(ptr: usize, len: usize): u32 {
  if (!tableReady) buildTable();
  let c: u32 = 0xffffffff;
  const end = ptr + len;
  for (let p = ptr; p < end; p++) {
    c = load<u32>(table + (<usize>((c ^ <u32>load<u8>(p)) & 0xff) << 2)) ^ (c >>> 8);
  }
  return ~c;
}
