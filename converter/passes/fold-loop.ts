// The loop every folding pass runs: find one fold, apply it, look again on the changed graph, until none is left.
import { consumers, type Graph, type Node } from '../ir.js';

/** What one search sees: each value's readers, and whether a value has exactly one reader and is no graph output. */
export interface FoldSearch {
  uses: Map<number, Node[]>;
  soleUse: (id: number) => boolean;
}

/** Calls `foldOne` (which applies at most one fold and says whether it did) until it finds none; returns how many it applied. */
export function foldUntilDone(g: Graph, foldOne: (s: FoldSearch) => boolean): number {
  let folded = 0;
  for (;;) {
    const uses = consumers(g);
    const soleUse = (id: number) => (uses.get(id)?.length ?? 0) === 1 && !g.outputs.includes(id);
    if (!foldOne({ uses, soleUse })) return folded;
    folded++;
  }
}
