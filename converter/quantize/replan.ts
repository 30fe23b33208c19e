// Re-plans the activation arena of a rewritten model: int8 tensors need a quarter of the bytes, and the
// quantizer appended fresh slots for the tensors it added. Tensors that share storage on purpose (reshape
// views: read before any op of the entry writes them, at the offset of an earlier output) stay together;
// every other storage gets a new 16-aligned offset, shared only between storages whose lifetimes do not overlap.
import { DType, Op, TensorKind } from '../../runtime/format-constants.js';
import { elementCount, type EditableModel } from './editable-model.js';

const align = (n: number) => Math.ceil(n / 16) * 16;
const dtypeBytes = (d: DType) => (d === DType.I8 || d === DType.U8 ? 1 : d === DType.F16 ? 2 : 4);

/** `reuse: false` gives every storage its own bytes (calibration reads every tensor after a run). */
export function replanArena(m: EditableModel, opts: { reuse?: boolean } = {}): void {
  const reuse = opts.reuse ?? true;
  // Storage groups: union of a view with the tensor it aliases.
  const parent = new Map<number, number>();
  const find = (t: number): number => { let r = t; while (parent.has(r)) r = parent.get(r)!; return r; };
  const life = new Map<number, { from: number; to: number }>(); // by group root, in a global op clock
  const touch = (t: number, step: number) => {
    const r = find(t);
    const l = life.get(r);
    if (!l) life.set(r, { from: step, to: step });
    else { l.from = Math.min(l.from, step); l.to = Math.max(l.to, step); }
  };
  let clock = 0;
  for (const e of m.entries) {
    const written: number[] = [e.input];
    const link = (t: number) => {
      if (m.tensors[t]!.kind !== TensorKind.Activation || written.includes(t) || parent.has(t)) return;
      const src = [...written].reverse().find((w) => m.tensors[w]!.offset === m.tensors[t]!.offset);
      if (src === undefined) throw new Error(`replan: tensor ${t} is read before it is written`);
      if (find(src) !== find(t)) parent.set(t, find(src));
    };
    const start = clock++;
    touch(e.input, start);
    for (const op of e.ops) {
      const step = clock++;
      // LSTM/GRU also read their initial states from parameter words 8 and 9 (docs/format.md "Sequence ops").
      const states = op.op === Op.Lstm || op.op === Op.Gru ? [op.params![1]!, op.params![2]!].filter((t) => t !== 0xffffffff) : [];
      for (const t of [op.a, op.b, ...states]) {
        if (t !== undefined && m.tensors[t]!.kind === TensorKind.Activation) { link(t); touch(t, step); }
      }
      touch(op.out, step);
      written.push(op.out);
    }
    const end = clock++;
    for (const o of e.outputs) { link(o); touch(o, end); }
  }
  // Every lifetime must be recomputed on the merged groups (links may have joined groups after touches).
  const merged = new Map<number, { from: number; to: number; size: number }>();
  for (const [r, l] of life) {
    const root = find(r);
    const g = merged.get(root) ?? { from: Infinity, to: -Infinity, size: 0 };
    g.from = Math.min(g.from, l.from); g.to = Math.max(g.to, l.to);
    merged.set(root, g);
  }
  m.tensors.forEach((t, i) => {
    if (t.kind !== TensorKind.Activation || !merged.has(find(i))) return;
    const g = merged.get(find(i))!;
    g.size = Math.max(g.size, align(elementCount(t.dims) * dtypeBytes(t.dtype)));
  });
  const placed: { start: number; end: number; from: number; to: number }[] = [];
  const offsetOf = new Map<number, number>();
  let arena = 16;
  for (const [root, g] of [...merged].sort((a, b) => a[1].from - b[1].from || b[1].size - a[1].size)) {
    const busy = placed.filter((p) => !reuse || (p.from <= g.to && g.from <= p.to)).sort((a, b) => a.start - b.start);
    let off = 0;
    for (const p of busy) { if (off + g.size <= p.start) break; off = Math.max(off, p.end); }
    placed.push({ start: off, end: off + g.size, from: g.from, to: g.to });
    offsetOf.set(root, off);
    arena = Math.max(arena, off + g.size);
  }
  m.tensors.forEach((t, i) => {
    if (t.kind !== TensorKind.Activation) return;
    const off = offsetOf.get(find(i));
    if (off === undefined) return; // unused activation: keep it valid inside the arena
    t.offset = off;
    t.byteLength = Math.max(1, elementCount(t.dims) * dtypeBytes(t.dtype));
  });
  m.arenaPerSample = arena;
  m.tensors.forEach((t) => {
    if (t.kind === TensorKind.Activation && t.offset! + t.byteLength! > arena) {
      t.offset = 0;
      t.byteLength = Math.max(1, elementCount(t.dims) * dtypeBytes(t.dtype));
    }
  });
}
