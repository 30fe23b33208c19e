// Bump allocator over linear memory. The runtime allocates only at load time (model bytes, arena,
// tables), so blocks are never freed; a new load simply takes fresh blocks. Memory past the bump pointer
// has never been handed out, so every block starts as zeros (wasm memory grows zero-filled): no need to clear it.

let top: usize = 0;

/** A 16-aligned block of `bytes` bytes, growing memory as needed; 0 when memory cannot grow. */
export function allocBytes(bytes: usize): usize {
  if (top == 0) top = (__heap_base + 15) & ~(<usize>15);
  const start = top;
  const end = (<u64>start + <u64>bytes + 15) & ~(<u64>15);
  if (end > 0xffff_0000) return 0;
  const needPages = <i32>((end + 0xffff) >> 16);
  const havePages = memory.size();
  if (needPages > havePages && memory.grow(needPages - havePages) < 0) return 0;
  top = <usize>end;
  return start;
}

/** True when [ptr, ptr+len) lies inside current linear memory. */
export function inMemory(ptr: usize, len: usize): bool {
  return <u64>ptr + <u64>len <= (<u64>memory.size() << 16);
}
