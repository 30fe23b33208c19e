// Node only. Writes a file so readers never see a partial result: temp file in the same directory,
// fsync, then rename over the target (rename is atomic within one file system).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd = -1;
  try {
    fd = openSync(temp, 'wx');
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(temp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  // Make the rename itself durable where the platform allows syncing a directory.
  try {
    const dir = openSync(dirname(path), 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  } catch {
    // Some platforms (Windows) cannot open directories; the file contents are already synced.
  }
}
