// Import of spatial ops on [C,H,W] activations (and [C,L] ones, as [C,1,L]): Pad, MaxPool / AveragePool /
// GlobalAveragePool / GlobalMaxPool, DepthToSpace / SpaceToDepth (pixel shuffle, as TRANSPOSE of the HWC bytes),
// and Resize / Upsample (import-resize.ts).
import { PadMode, PoolKind } from '../runtime/format-constants.js';
import { importResize } from './import-resize.js';
import {
  actSlot, reshapeTo, type NodeImport, type ActGetter, type AttrGetter, type Fail, type OptConstGetter, type Slot,
} from './import-context.js';
import { addValue, type Graph } from './ir.js';
import type { OnnxNode } from './onnx-load.js';

const PAD_MODES: Record<string, PadMode> = { constant: PadMode.Constant, reflect: PadMode.Reflect, edge: PadMode.Edge };

export const SPATIAL_OPS = [
  'Resize', 'Upsample', 'Pad', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'DepthToSpace', 'SpaceToDepth',
];

export function importSpatialOp(c: NodeImport): Slot[] {
  const { g, node, ins, fail, act, optCst, attr, opset } = c;
  switch (node.opType) {
    case 'Resize': case 'Upsample': return [actSlot(importResize(g, node, ins, fail, act, optCst, attr, opset))];
    case 'Pad': return [actSlot(importPad(g, node, ins, fail, act, optCst, attr, opset))];
    case 'DepthToSpace': case 'SpaceToDepth': return [actSlot(importDepthSpace(g, node, act(ins[0], 'input'), fail, attr))];
    default: return [actSlot(importPool(g, node, act(ins[0], 'X'), fail, attr))];
  }
}

/** [C,H,W] view of a rank-2 or rank-3 per-sample value ([C,L] becomes [C,1,L]). */
function asImage(g: Graph, x: number, name: string, fail: Fail): { id: number; oneD: boolean } {
  const shape = g.values[x]!.shape;
  if (shape.length === 3) return { id: x, oneD: false };
  if (shape.length === 2) return { id: reshapeTo(g, x, [shape[0]!, 1, shape[1]!], `${name}:as2d`), oneD: true };
  return fail(`only 1D and 2D spatial inputs (N,C,L) / (N,C,H,W) are supported, per-sample shape is [${shape}]`);
}

/** The output value of a [C,OH,OW] result, reshaped back to [C,OW] for 1D inputs. */
function result(g: Graph, node: OnnxNode, shape: number[], oneD: boolean): { out: number; final: () => number } {
  const out = addValue(g, oneD ? `${node.outputs[0]}:2d` : node.outputs[0]!, shape);
  return { out, final: () => (oneD ? reshapeTo(g, out, [shape[0]!, shape[2]!], node.outputs[0]!) : out) };
}

function importPad(g: Graph, node: OnnxNode, ins: (Slot | undefined)[], fail: Fail, act: ActGetter, optCst: OptConstGetter, attr: AttrGetter, opset: number): number {
  const x = act(ins[0], 'data');
  const rank = g.values[x]!.shape.length + 1;
  const modeName = attr('mode', 'constant');
  const mode = PAD_MODES[modeName];
  if (mode === undefined) fail(`mode "${modeName}" is not supported (constant, reflect, edge)`);
  let pads: number[];
  let value = 0;
  // opset-10 Pad (pads and value as attributes) arrives here in the opset-11 form (patterns/opset10.ts)
  const p = optCst(ins[1], 'pads');
  if (!p) return fail('missing pads');
  pads = Array.from(p.data);
  const v = optCst(ins[2], 'constant_value');
  if (v && v.data.length) value = v.data[0]!;
  const axesT = optCst(ins[3], 'axes');
  if (axesT) { // pads for the listed axes only: spread them over all axes
    const axes = Array.from(axesT.data, (a) => (a < 0 ? a + rank : a));
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => { full[a] = pads[i]!; full[a + rank] = pads[i + axes.length]!; });
    pads = full;
  }
  if (pads.length !== 2 * rank) fail(`expected ${2 * rank} pads for a rank-${rank} input, got ${pads.length}`);
  if (!Number.isFinite(value)) fail(`constant value ${value} is not finite`);
  if (pads[0] !== 0 || pads[rank] !== 0) fail('padding the batch axis is not supported');
  if (pads[1] !== 0 || pads[rank + 1] !== 0) fail('padding the channel axis is not supported');
  if (rank !== 3 && rank !== 4) fail(`only (N,C,L) and (N,C,H,W) inputs are supported, got rank ${rank}`);
  const [pt, pb] = rank === 4 ? [pads[2]!, pads[6]!] : [0, 0];
  const [pl, pr] = rank === 4 ? [pads[3]!, pads[7]!] : [pads[2]!, pads[5]!];
  const img = asImage(g, x, node.outputs[0]!, fail);
  const [C, H, W] = g.values[img.id]!.shape as [number, number, number];
  const OH = H + pt + pb, OW = W + pl + pr;
  if (OH < 1 || OW < 1) fail(`pads [${pads}] leave an empty output`);
  if (Math.max(...[pt, pb, pl, pr].map(Math.abs)) > 2 ** 24) fail(`pads [${pads}] are too large`);
  if (C * OH * OW > 2 ** 26) fail(`output [${C},${OH},${OW}] has more than the 2^26 values a tensor may hold`);
  if (mode === PadMode.Reflect && (pt >= H || pb >= H || pl >= W || pr >= W)) {
    fail(`reflect pads [${pads}] must be smaller than the input size ${H}x${W}`);
  }
  const r = result(g, node, [C, OH, OW], img.oneD);
  g.nodes.push({ op: 'pad', a: img.id, out: r.out, name: node.name, mode: mode!, pt, pl, value });
  return r.final();
}

function importPool(g: Graph, node: OnnxNode, x0: number, fail: Fail, attr: AttrGetter): number {
  const op = node.opType;
  const global = op.startsWith('Global');
  const img = asImage(g, x0, node.outputs[0]!, fail);
  const [C, H, W] = g.values[img.id]!.shape as [number, number, number];
  if (node.outputs.length > 1 && node.outputs[1]) fail('the Indices output is not supported');
  const lift = (v: number[], d: number) => (img.oneD ? [d, ...v] : v);
  let [kh, kw] = global ? [H, W] : lift(attr<number[]>('kernel_shape', []), 1);
  if (!global && (kh === undefined || kw === undefined)) fail('kernel_shape is required');
  const [sH, sW] = global ? [1, 1] : lift(attr<number[]>('strides', img.oneD ? [1] : [1, 1]), 1) as [number, number];
  const dil = global ? [] : attr<number[]>('dilations', []);
  if (dil.some((d) => d !== 1)) fail(`dilations [${dil}] are not supported`);
  if (!global && attr('storage_order', 0) !== 0) fail('storage_order=1 is not supported');
  if (![kh, kw, sH, sW].every((v) => Number.isInteger(v) && v! >= 1 && v! <= 65536)) {
    fail(`kernel [${kh},${kw}] and strides [${sH},${sW}] must be integers in 1..65536`);
  }
  const padsAttr = global ? [0, 0, 0, 0] : attr<number[]>('pads', img.oneD ? [0, 0] : [0, 0, 0, 0]);
  let [pt, pl, pb, pr] = (img.oneD ? [0, padsAttr[0]!, 0, padsAttr[1]!] : padsAttr) as [number, number, number, number];
  const autoPad = global ? 'NOTSET' : attr('auto_pad', 'NOTSET');
  const ceil = !global && attr('ceil_mode', 0) === 1;
  if (autoPad === 'VALID') [pt, pl, pb, pr] = [0, 0, 0, 0];
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const same = (n: number, s: number, k: number) => {
      const total = Math.max(0, (Math.ceil(n / s) - 1) * s + k - n);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    [pt, pb] = same(H, sH, kh!) as [number, number];
    [pl, pr] = same(W, sW, kw!) as [number, number];
  } else if (autoPad !== 'NOTSET') fail(`auto_pad "${autoPad}" is unknown`);
  if ([pt, pl, pb, pr].some((p) => p < 0)) fail('negative pads are not supported');
  if (pt >= kh! || pl >= kw! || pb >= kh! || pr >= kw!) {
    fail(`pads [${pt},${pl},${pb},${pr}] must be smaller than the kernel [${kh},${kw}]`);
  }
  const size = (n: number, k: number, s: number, a: number, b: number) => {
    const span = (n + a + b - k) / s;
    let o = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
    if (ceil && (o - 1) * s >= n + a) o--; // the last window may not start in the end padding
    return o;
  };
  const OH = size(H, kh!, sH, pt, pb), OW = size(W, kw!, sW, pl, pr);
  if (OH < 1 || OW < 1) fail(`output would be empty (${OH}x${OW})`);
  const kind = op.includes('Max') ? PoolKind.Max : (!global && attr('count_include_pad', 0) === 1) ? PoolKind.AvgIncludePad : PoolKind.AvgExcludePad;
  const r = result(g, node, [C, OH, OW], img.oneD);
  g.nodes.push({ op: 'pool', a: img.id, out: r.out, name: node.name, kind, kh: kh!, kw: kw!, sH, sW, pt, pl, pb, pr });
  return r.final();
}

/**
 * DepthToSpace / SpaceToDepth on the HWC bytes: depth [C*b*b, H, W] is stored [H, W, b, b*C] in DCR order and
 * space [C, H*b, W*b] as [H, b, W, b*C], so either direction swaps the two middle axes. CRD first reorders each
 * pixel's channels from [C, b*b] to [b*b, C].
 */
function importDepthSpace(g: Graph, node: OnnxNode, x: number, fail: Fail, attr: AttrGetter): number {
  const shape = g.values[x]!.shape;
  if (shape.length !== 3) fail(`only (N,C,H,W) inputs are supported, per-sample shape is [${shape}]`);
  const b = attr('blocksize', 0);
  if (!Number.isInteger(b) || b < 1) fail(`blocksize ${b} must be a positive integer`);
  const [Ci, H, W] = shape as [number, number, number];
  if (node.opType === 'SpaceToDepth') {
    if (H % b !== 0 || W % b !== 0) fail(`height ${H} and width ${W} must be multiples of blocksize ${b}`);
    const out = addValue(g, node.outputs[0]!, [Ci * b * b, H / b, W / b]);
    g.nodes.push({ op: 'transpose', a: x, out, name: node.name, dims: [H / b, b, W / b, b * Ci], perm: [0, 2, 1, 3] });
    return out;
  }
  if (Ci % (b * b) !== 0) fail(`${Ci} channels are not divisible by blocksize^2 = ${b * b}`);
  const C = Ci / (b * b);
  const mode = attr('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') fail(`mode "${mode}" is unknown`);
  let src = x;
  if (mode === 'CRD' && C > 1 && b > 1) {
    src = addValue(g, `${node.outputs[0]}:dcr`, shape);
    g.nodes.push({ op: 'transpose', a: x, out: src, name: node.name, dims: [1, H * W, C, b * b], perm: [0, 1, 3, 2] });
  }
  const out = addValue(g, node.outputs[0]!, [C, H * b, W * b]);
  g.nodes.push({ op: 'transpose', a: src, out, name: node.name, dims: [H, W, b, b * C], perm: [0, 2, 1, 3] });
  return out;
}
