// WASI file access for the command module: stderr/stdout, preopened-directory path resolution,
// whole-file read and write. Every failure ends the process with a message naming the path.
import {
  fd_write, fd_read, fd_close, fd_prestat_get, fd_prestat_dir_name, fd_filestat_get,
  path_open, path_create_directory, proc_exit, errno, errnoToString, oflags, rights, iovec, prestat, filestat,
} from "bindings/wasi_snapshot_preview1";

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

// Scratch for iovecs and out-values of WASI calls (64 bytes is plenty for what we store).
const scratch = memory.data(64);

export function writeFd(fd: u32, ptr: usize, len: usize): void {
  while (len > 0) {
    changetype<iovec>(scratch).buf = ptr;
    changetype<iovec>(scratch).buf_len = len;
    const err = fd_write(fd, scratch, 1, scratch + 16);
    if (err != errno.SUCCESS) return; // nowhere left to report a failing stdout/stderr
    const written = load<usize>(scratch + 16);
    ptr += written;
    len -= written;
  }
}

export function writeText(fd: u32, text: string): void {
  const bytes = String.UTF8.encode(text);
  writeFd(fd, changetype<usize>(bytes), bytes.byteLength);
}

export function print(text: string): void { writeText(1, text + "\n"); }

/** Reports `message` on stderr and exits; never returns. */
export function fail(message: string, code: i32 = EXIT_FAILURE): void {
  writeText(2, "edgevae: " + message + "\n");
  proc_exit(code);
}

class Preopen {
  constructor(public fd: u32, public name: string) {}
}

let preopens: Preopen[] | null = null;

function listPreopens(): Preopen[] {
  if (preopens) return preopens!;
  const found = new Array<Preopen>();
  for (let fd: u32 = 3; fd < 64; fd++) {
    if (fd_prestat_get(fd, changetype<prestat>(scratch)) != errno.SUCCESS) break;
    const nameLen = load<u32>(scratch, 4);
    const buf = new ArrayBuffer(nameLen);
    if (fd_prestat_dir_name(fd, changetype<usize>(buf), nameLen) != errno.SUCCESS) continue;
    let name = String.UTF8.decode(buf);
    while (name.length > 1 && name.endsWith("/")) name = name.slice(0, name.length - 1);
    found.push(new Preopen(fd, name));
  }
  preopens = found;
  return found;
}

class Resolved {
  constructor(public dirFd: u32, public relative: string) {}
}

/** Maps a guest path onto the preopened directory that contains it (longest name wins). */
function resolvePath(path: string): Resolved {
  const dirs = listPreopens();
  let best: Preopen | null = null;
  let bestRel = "";
  let bestLen = -1;
  const absolute = path.startsWith("/");
  for (let i = 0; i < dirs.length; i++) {
    const dir = dirs[i];
    const name = dir.name;
    let rel: string | null = null;
    if (name == "/" && absolute) rel = path.slice(1);
    else if ((name == "." || name == "./") && !absolute) rel = path.startsWith("./") ? path.slice(2) : path;
    else if (path.startsWith(name + "/")) rel = path.slice(name.length + 1);
    if (rel !== null && name.length > bestLen) {
      best = dir;
      bestRel = rel;
      bestLen = name.length;
    }
  }
  // A relative path with no "." preopen is taken relative to the first granted directory.
  if (best === null && !absolute && dirs.length > 0) {
    best = dirs[0];
    bestRel = path.startsWith("./") ? path.slice(2) : path;
  }
  if (best === null) {
    fail("cannot access \"" + path + "\": it is outside every directory granted to the module (e.g. run wasmtime with --dir .)");
  }
  return new Resolved(best!.fd, bestRel.length == 0 ? "." : bestRel);
}

function openAt(path: string, flags: u16, wanted: u64, action: string): u32 {
  const where = resolvePath(path);
  const rel = String.UTF8.encode(where.relative);
  const err = path_open(where.dirFd, 1 /* follow symlinks */, changetype<usize>(rel), rel.byteLength,
    flags, wanted, 0, 0, scratch);
  if (err != errno.SUCCESS) {
    const reason = err == errno.NOENT ? "no such file or directory" : errnoToString(err);
    fail("cannot " + action + " \"" + path + "\": " + reason);
  }
  return load<u32>(scratch);
}

/** A block of linear memory (not a managed object). */
export class Bytes {
  constructor(public ptr: usize, public length: usize) {}
}

/** Reads a whole file into a block from `allocate(bytes)`. */
export function readFile(path: string, allocate: (bytes: usize) => usize): Bytes {
  const fd = openAt(path, 0, rights.FD_READ | rights.FD_FILESTAT_GET | rights.FD_SEEK, "open");
  if (fd_filestat_get(fd, changetype<filestat>(scratch)) != errno.SUCCESS) fail("cannot stat \"" + path + "\"");
  const filetype = load<u8>(scratch, 16);
  if (filetype == 3 /* directory */) fail("\"" + path + "\" is a directory, expected a file");
  const size = load<u64>(scratch, 32);
  if (size > 0x7fff0000) fail("\"" + path + "\" is too large (" + size.toString() + " bytes)");
  const len = <usize>size;
  const ptr = allocate(len);
  let done: usize = 0;
  while (done < len) {
    changetype<iovec>(scratch).buf = ptr + done;
    changetype<iovec>(scratch).buf_len = len - done;
    const err = fd_read(fd, scratch, 1, scratch + 16);
    if (err != errno.SUCCESS) fail("cannot read \"" + path + "\": " + errnoToString(err));
    const got = load<usize>(scratch + 16);
    if (got == 0) fail("\"" + path + "\" ended early (" + done.toString() + " of " + len.toString() + " bytes)");
    done += got;
  }
  fd_close(fd);
  return new Bytes(ptr, len);
}

/** Writes a whole file; `announce` prints "wrote PATH (N bytes)" on stdout (callers that print data there say it themselves). */
export function writeFile(path: string, data: Uint8Array, announce: bool = true): void {
  const fd = openAt(path, oflags.CREAT | oflags.TRUNC, rights.FD_WRITE | rights.FD_SEEK, "create");
  let ptr = data.dataStart;
  let len = <usize>data.byteLength;
  while (len > 0) {
    changetype<iovec>(scratch).buf = ptr;
    changetype<iovec>(scratch).buf_len = len;
    const err = fd_write(fd, scratch, 1, scratch + 16);
    if (err != errno.SUCCESS) fail("cannot write \"" + path + "\": " + errnoToString(err));
    const written = load<usize>(scratch + 16);
    ptr += written;
    len -= written;
  }
  fd_close(fd);
  // Success is visible: a device user sees which file appeared (as the Node CLI's "wrote ..." lines).
  if (announce) print("wrote " + path + " (" + data.byteLength.toString() + " bytes)");
}

/** Creates a directory; an existing one is fine. */
export function makeDirectory(path: string): void {
  const where = resolvePath(path);
  if (where.relative == ".") return;
  const rel = String.UTF8.encode(where.relative);
  const err = path_create_directory(where.dirFd, changetype<usize>(rel), rel.byteLength);
  if (err != errno.SUCCESS && err != errno.EXIST) fail("cannot create directory \"" + path + "\": " + errnoToString(err));
}
