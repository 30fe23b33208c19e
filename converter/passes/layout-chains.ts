// Collapses chains of LAYOUT ops (each the only reader of the previous one's result). Every LAYOUT is a
// transpose of a row-major [R, S] matrix; a chain is composed into one index permutation and becomes a
// view when it is the identity (e.g. NHWC input -> Transpose to NCHW -> HWC storage), or a single LAYOUT
// when it equals one transpose.
import { LayoutMode } from '../../runtime/format-constants.js';
import { elementCount, nodeInputs, rootOf, type Graph, type LayoutNode, type Node } from '../ir.js';

/** [R, S] of the transpose a LAYOUT performs. */
function transposeDims(n: LayoutNode): [number, number] {
  const hw = n.H * n.W;
  return n.mode === LayoutMode.ChwToHwc ? [n.C, hw] : [hw, n.C];
}

/** src[i] = index in the chain's input of element i of its output. */
function compose(chain: LayoutNode[], size: number): Int32Array {
  let src = Int32Array.from({ length: size }, (_, i) => i);
  for (const l of chain) {
    const [R, S] = transposeDims(l);
    const next = new Int32Array(size);
    for (let j = 0; j < S; j++) for (let r = 0; r < R; r++) next[j * R + r] = src[r * S + j]!;
    src = next;
  }
  return src;
}

/** R when `src` is the transpose of a row-major [R, size/R] matrix, else 0. */
function asTranspose(src: Int32Array): number {
  const n = src.length;
  for (let R = 2; R < n; R++) {
    if (n % R !== 0) continue;
    const S = n / R;
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = src[i] === (i % R) * S + Math.floor(i / R);
    if (ok) return R;
  }
  return 0;
}

export function collapseLayoutChains(g: Graph): number {
  let collapsed = 0;
  for (let changed = true; changed;) {
    changed = false;
    const readers = new Map<number, Node[]>();
    for (const n of g.nodes) for (const a of nodeInputs(n)) {
      const r = rootOf(g, a);
      readers.set(r, [...(readers.get(r) ?? []), n]);
    }
    const outputRoots = new Set(g.outputs.map((o) => rootOf(g, o)));
    for (const first of g.nodes) {
      if (first.op !== 'layout') continue;
      const chain: LayoutNode[] = [first];
      for (;;) {
        const r = rootOf(g, chain[chain.length - 1]!.out);
        const users = readers.get(r) ?? [];
        if (outputRoots.has(r) || users.length !== 1 || users[0]!.op !== 'layout') break;
        chain.push(users[0] as LayoutNode);
      }
      const last = chain[chain.length - 1]!;
      const src = compose(chain, elementCount(g.values[first.a]!.shape));
      const identity = src.every((v, i) => v === i);
      const R = identity ? 0 : asTranspose(src);
      if (!identity && (chain.length === 1 || R === 0)) continue;
      g.nodes = g.nodes.filter((n) => !chain.includes(n as LayoutNode));
      if (identity) {
        g.values[last.out]!.viewOf = first.a;
      } else {
        const at = g.nodes.findIndex((n) => nodeInputs(n).some((a) => rootOf(g, a) === rootOf(g, last.out)));
        const merged: LayoutNode = { op: 'layout', mode: LayoutMode.ChwToHwc, a: first.a, out: last.out, C: R, H: 1, W: src.length / R, name: last.name };
        g.nodes.splice(at < 0 ? g.nodes.length : at, 0, merged);
      }
      collapsed += chain.length - (identity ? 0 : 1);
      changed = true;
      break;
    }
  }
  return collapsed;
}
