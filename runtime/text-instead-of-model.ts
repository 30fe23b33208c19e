// A fetch() of a wrong model URL usually returns a web server's HTML error page (or JSON), and that
// is what then reaches the loader. Saying "this is text" with its first characters points the user at
// the URL instead of at the bytes of a magic number.

/** The first characters when `bytes` starts like text (at least 16 printable bytes, or all of a short file), else undefined. */
export function textPreview(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, 16);
  if (head.length === 0) return undefined;
  const printable = (b: number) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d;
  if (!head.every(printable)) return undefined;
  const shown = Array.from(bytes.subarray(0, 40), (b) => (printable(b) ? String.fromCharCode(b) : '?')).join('');
  return shown.replace(/\s+/g, ' ').trim();
}
