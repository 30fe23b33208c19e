// One ONNX graph -> optimized, planned IR: import, fold/fuse passes, layout lowering, dead-node removal.
import { elementCount, nodeInputs, type Graph } from './ir.js';
import { importGraph, type ImportOptions } from './import.js';
import type { OnnxModel } from './onnx-load.js';
import { foldAffine } from './passes/fold-affine.js';
import { foldInputAffine } from './passes/fold-input-affine.js';
import { fuseActivations } from './passes/fuse-activation.js';
import { fuseSilu } from './passes/fuse-silu.js';
import { foldNormAffine } from './passes/fold-norm-affine.js';
import { foldNormReshapes } from './passes/fold-norm-reshape.js';
import { foldPadsAndCrops } from './passes/fold-pad.js';
import { collapseLayoutChains } from './passes/layout-chains.js';
import { ensureOwnedOutputs, lowerLayout, type LayoutStats } from './passes/layout.js';
import { splitDenseHeads } from './passes/split-dense-heads.js';

export interface GraphStats {
  foldedAffine: number; foldedInputAffine: number; foldedNorms: number; foldedPadsAndCrops: number; fusedActivations: number; splitDenseHeads: number; layout: LayoutStats;
  collapsedLayouts: number; copies: number; removedNodes: number;
}

/** Drops nodes whose results reach no output. */
export function pruneDead(g: Graph): number {
  const live = new Set<number>(g.outputs);
  const before = g.nodes.length;
  const keep = new Array<boolean>(g.nodes.length).fill(false);
  // Views are resolved after layout lowering; follow them so a viewed value keeps its producer alive.
  const markView = (id: number) => {
    for (let v: number | undefined = id; v !== undefined; v = g.values[v]!.viewOf) live.add(v);
  };
  for (const o of g.outputs) markView(o);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!live.has(n.out)) continue;
    keep[i] = true;
    for (const a of nodeInputs(n)) markView(a);
  }
  g.nodes = g.nodes.filter((_, i) => keep[i]);
  return before - g.nodes.length;
}

/** Imports and optimizes; `shapeOutputs` lets the caller restructure outputs before the passes run. */
export function buildGraph(model: OnnxModel, opts: ImportOptions, shapeOutputs?: (g: Graph) => void): { graph: Graph; stats: GraphStats } {
  const g = importGraph(model, opts);
  shapeOutputs?.(g);
  let removedNodes = pruneDead(g);
  const foldedNorms = foldNormReshapes(g) + foldNormAffine(g);
  removedNodes += pruneDead(g);
  const foldedPadsAndCrops = foldPadsAndCrops(g);
  const foldedAffine = foldAffine(g);
  const foldedInputAffine = foldInputAffine(g);
  const fusedActivations = fuseSilu(g) + fuseActivations(g);
  const heads = splitDenseHeads(g);
  const layout = lowerLayout(g);
  const collapsedLayouts = collapseLayoutChains(g);
  removedNodes += pruneDead(g);
  const copies = ensureOwnedOutputs(g);
  return { graph: g, stats: { foldedAffine, foldedInputAffine, foldedNorms, foldedPadsAndCrops, fusedActivations, splitDenseHeads: heads, layout, collapsedLayouts, copies, removedNodes } };
}

/** Splits a rank-1 output into two halves [mu, logvar] (encoders that emit one 2L vector). */
export function splitHalves(g: Graph): number {
  const whole = g.outputs[0]!;
  const n = elementCount(g.values[whole]!.shape);
  if (n % 2 !== 0) throw new Error(`encoder has one output of ${n} values; expected 2*latent (mu and logvar halves) or two outputs`);
  const L = n / 2;
  g.outputs = [0, 1].map((k) => {
    const out = g.values.length;
    g.values.push({ id: out, name: k === 0 ? 'mu' : 'logvar', shape: [L] });
    g.nodes.push({ op: 'slice', a: whole, out, axis: 0, start: k * L, count: L, name: `${g.values[whole]!.name}:${k === 0 ? 'mu' : 'logvar'}` });
    return out;
  });
  g.outputShapes = [[L], [L]];
  return L;
}
