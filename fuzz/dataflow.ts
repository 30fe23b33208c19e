// Whether an entry's result is defined by its input alone. The format lets an op read any activation,
// so a (mutated) op stream may read arena bytes no op of this run wrote, or write over an input it is
// reading; such a file is memory-safe but its outputs depend on stale arena contents, so comparisons
// between batch sizes only make sense for entries where this returns true.
import type { EntryInfo, ModelInfo } from '../runtime/format.js';

const NONE = 0xffffffff;

export function hasDefinedDataflow(info: ModelInfo, entry: EntryInfo): boolean {
  // Owner of each 16-byte arena block: the tensor whose bytes it currently holds. Tensors sharing offset and
  // length are the same storage (a COPY into the same slot), so ownership is keyed by the slot.
  const owner = new Map<number, string>();
  const slot = (t: number) => `${info.tensors[t]!.offset}:${info.tensors[t]!.byteLength}`;
  const blocks = (t: number): number[] => {
    const ti = info.tensors[t]!;
    const first = ti.offset / 16;
    return Array.from({ length: Math.ceil(ti.byteLength / 16) }, (_, i) => first + i);
  };
  const write = (t: number) => { for (const b of blocks(t)) owner.set(b, slot(t)); };
  const intact = (t: number) => blocks(t).every((b) => owner.get(b) === slot(t));
  write(entry.input);
  for (const op of info.ops.slice(entry.opStart, entry.opStart + entry.opCount)) {
    const outBlocks = new Set(blocks(op.output));
    for (const r of [op.a, op.b]) {
      if (r === NONE || info.tensors[r]!.kind !== 'activation') continue;
      if (!intact(r)) return false;
      if (blocks(r).some((b) => outBlocks.has(b))) return false;
    }
    write(op.output);
  }
  return entry.outputs.every(intact);
}
