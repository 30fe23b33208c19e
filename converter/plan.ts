// Liveness-based arena plan for one entry: every storage root gets a per-sample byte offset (16-aligned);
// two roots share bytes only when their lifetimes do not overlap. A node's output is live from the node
// on and its inputs until the node, so an output never aliases its own inputs.
import { ALIGN } from '../runtime/format-constants.js';
import { elementCount, nodeInputs, rootOf, type Graph } from './ir.js';

export interface ArenaPlan {
  /** per value id (views get their root's offset) */
  offsets: Map<number, number>;
  arenaPerSample: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export function planArena(g: Graph): ArenaPlan {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const touch = (id: number, step: number) => {
    const r = rootOf(g, id);
    if (!first.has(r) || first.get(r)! > step) first.set(r, step);
    if (!last.has(r) || last.get(r)! < step) last.set(r, step);
  };
  touch(g.input, -1);
  g.nodes.forEach((n, i) => {
    for (const a of nodeInputs(n)) touch(a, i);
    touch(n.out, i);
  });
  for (const o of g.outputs) touch(o, g.nodes.length);

  const size = (r: number) => align(Math.max(1, elementCount(g.values[r]!.shape)) * 4);
  const roots = [...first.keys()];
  // Two greedy first-fit orders (by definition time; largest first, as TFLite's planner does); keep the smaller arena.
  const byTime = [...roots].sort((a, b) => first.get(a)! - first.get(b)! || a - b);
  const bySize = [...roots].sort((a, b) => size(b) - size(a) || first.get(a)! - first.get(b)! || a - b);
  const candidates = [firstFit(byTime, size, first, last), firstFit(bySize, size, first, last)];
  const best = candidates.reduce((x, y) => (y.arena < x.arena ? y : x));
  const rootOffset = best.offsets;
  const arena = best.arena;
  const offsets = new Map<number, number>();
  for (const v of g.values) {
    const r = rootOf(g, v.id);
    if (rootOffset.has(r)) offsets.set(v.id, rootOffset.get(r)!);
  }
  return { offsets, arenaPerSample: Math.max(arena, ALIGN) };
}

function firstFit(order: number[], size: (r: number) => number, first: Map<number, number>, last: Map<number, number>) {
  const placed: { start: number; end: number; from: number; to: number }[] = [];
  const offsets = new Map<number, number>();
  let arena = 0;
  for (const r of order) {
    const bytes = size(r);
    const from = first.get(r)!;
    const to = last.get(r)!;
    const busy = placed.filter((p) => p.from <= to && from <= p.to).sort((a, b) => a.start - b.start);
    let off = 0;
    for (const p of busy) {
      if (off + bytes <= p.start) break;
      off = Math.max(off, p.end);
    }
    placed.push({ start: off, end: off + bytes, from, to });
    offsets.set(r, off);
    arena = Math.max(arena, off + bytes);
  }
  return { offsets, arena };
}
