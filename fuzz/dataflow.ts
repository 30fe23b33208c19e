// Whether an entry's result is defined by its input alone. The format lets an op read any activation,
// so a (mutated) op stream may read arena bytes no op of this run wrote, or write over an input it is
// reading; such a file is memory-safe but its outputs depend on stale arena contents, so comparisons
// between batch sizes only make sense for entries where this returns true.
import type { EntryInfo, ModelInfo, TensorInfo } from '../runtime/format.js';

/** Ops whose operand b is an activation they read (DENSE/CONV weights are constants; other ops ignore b). */
const READS_B = new Set([5 /* BINARY */, 7 /* CONCAT */, 23 /* MATMUL */]);

const overlaps = (x: TensorInfo, y: TensorInfo) => x.offset < y.offset + y.byteLength && y.offset < x.offset + x.byteLength;
/** Tensors with the same arena slot are the same storage (e.g. a COPY that only renames). */
const sameSlot = (x: TensorInfo, y: TensorInfo) => x.offset === y.offset && x.byteLength === y.byteLength;

export function hasDefinedDataflow(info: ModelInfo, entry: EntryInfo): boolean {
  const writes: TensorInfo[] = [info.tensors[entry.input]!];
  // Intact: the latest write touching t's bytes wrote t's own slot (which covers all of them).
  const intact = (t: TensorInfo) => {
    for (let k = writes.length - 1; k >= 0; k--) if (overlaps(writes[k]!, t)) return sameSlot(writes[k]!, t);
    return false;
  };
  for (const op of info.ops.slice(entry.opStart, entry.opStart + entry.opCount)) {
    const out = info.tensors[op.output]!;
    // LSTM/GRU (16, 17) also read their initial states, tensor indices in parameter words 8 and 9.
    const states = op.opcode === 16 || op.opcode === 17 ? [op.params[1]!, op.params[2]!].filter((t) => t !== 0xffffffff) : [];
    for (const r of [...(READS_B.has(op.opcode) ? [op.a, op.b] : [op.a]), ...states]) {
      const t = info.tensors[r]!;
      if (t.kind !== 'activation') continue;
      if (!intact(t) || overlaps(t, out)) return false;
    }
    writes.push(out);
  }
  return entry.outputs.every((o) => intact(info.tensors[o]!));
}
