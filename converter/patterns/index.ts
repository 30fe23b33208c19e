// Graph patterns rewritten before import, so a model is judged by what it computes rather than by how an
// exporter spelled it: each rule replaces one node (the root of a small sub-graph) by nodes the importer
// supports; nodes the new graph no longer needs are skipped by the importer's dead-node sweep.
import type { ConstTensor, OnnxModel, OnnxNode } from '../onnx-load.js';
import { GraphView } from './graph-view.js';
import { channelReorder } from './channel-reorder.js';
import { thresholdedSoftplus } from './softplus.js';
import { upgradeOpset10 } from './opset10.js';
import { pixelUnshuffle } from './pixel-unshuffle.js';

/**
 * A rule looks at `node` and returns its replacement nodes, or replacements for several nodes of the graph
 * (by node), or undefined; new constants go into `added`.
 */
export type PatternRule = (view: GraphView, node: OnnxNode, added: Map<string, ConstTensor>) => OnnxNode[] | Map<OnnxNode, OnnxNode[]> | undefined;

const RULES: PatternRule[] = [upgradeOpset10, thresholdedSoftplus, channelReorder, pixelUnshuffle];

export function rewritePatterns(model: OnnxModel): OnnxModel {
  const nodes = [...model.nodes];
  const added = new Map<string, ConstTensor>();
  const withAdded = (): OnnxModel => ({ ...model, nodes, initializers: new Map([...model.initializers, ...added]) });
  let changed = false;
  for (const rule of RULES) {
    let view = new GraphView(withAdded(), nodes);
    for (let i = 0; i < nodes.length; i++) {
      const out = rule(view, nodes[i]!, added);
      if (!out) continue;
      const replace = out instanceof Map ? out : new Map([[nodes[i]!, out]]);
      const next = nodes.flatMap((n) => replace.get(n) ?? [n]);
      i += next.length - nodes.length; // the rule may replace nodes before i; stay on the same node
      nodes.splice(0, nodes.length, ...next);
      changed = true;
      view = new GraphView(withAdded(), nodes);
    }
  }
  return changed ? withAdded() : model;
}
