// AssemblyScript runtime for the WASI build: every managed object (strings, arrays) is carved from the
// engine's own bump allocator (assembly/memory.ts). The stock stub runtime keeps a second bump pointer
// from the same __heap_base, which would hand out memory the engine already uses for the model/arena.
// Nothing is ever freed: a WASI command runs one task and exits.
import { BLOCK, OBJECT, BLOCK_OVERHEAD, OBJECT_OVERHEAD, BLOCK_MAXSIZE, OBJECT_MAXSIZE } from "rt/common";
import { allocBytes } from "../../assembly/memory";

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  if (size > BLOCK_MAXSIZE) unreachable();
  // 16 bytes in front keep the payload 16-aligned; the block header sits in the last 4 of them.
  const start = allocBytes(size + 16);
  if (start == 0) unreachable(); // out of memory: the host reports the trap
  const ptr = start + 16;
  changetype<BLOCK>(ptr - BLOCK_OVERHEAD).mmInfo = size;
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  const old = changetype<BLOCK>(ptr - BLOCK_OVERHEAD).mmInfo;
  if (size <= old) return ptr;
  const fresh = __alloc(max<usize>(size, old << 1));
  memory.copy(fresh, ptr, old);
  return fresh;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {}

// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const ptr = __alloc(OBJECT_OVERHEAD + size);
  const object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const ptr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(ptr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// No garbage collection: the remaining runtime hooks do nothing.
// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}
