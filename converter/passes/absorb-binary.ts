// The last step of every pass that folds a constant elementwise op into the layer before it: the layer
// (or the reshape it feeds, `writer`) now produces the binary op's output and carries its fused activation
// (elementwise, so it commutes with a reshape), and the binary node leaves the graph.
import type { BinaryNode, Graph, Node } from '../ir.js';

export function absorbBinary(g: Graph, n: BinaryNode, layer: Node & { act: number; alpha: number }, writer: Node = layer): void {
  writer.out = n.out;
  layer.act = n.act;
  layer.alpha = n.alpha;
  g.nodes.splice(g.nodes.indexOf(n), 1);
}
