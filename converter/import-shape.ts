// Import of the ops that reshape, pick or join values without arithmetic: Reshape, Flatten, Squeeze, Unsqueeze,
// Gather, Concat, Split, Slice and Transpose. Dim 0 of every ONNX value is the batch and must stay so.
import { normAxis, resolveReshape, sliceIndices, squeezeDims, unsqueezeDims } from './const-eval.js';
import { actSlot, reshapeTo, sliceOperands, type FamilyImporter, type NodeImport, type Slot } from './import-context.js';
import { importTranspose } from './import-transpose.js';
import { addValue, elementCount } from './ir.js';

const SHAPE_IMPORTERS: Record<string, FamilyImporter> = {
  Reshape: importReshape, Flatten: importReshape, Squeeze: importReshape, Unsqueeze: importReshape,
  Gather: importGather, Concat: importConcat, Split: importSplit, Slice: importSlice, Transpose: importTransposeOp,
};

export const SHAPE_OPS = Object.keys(SHAPE_IMPORTERS);

export const importShapeOp: FamilyImporter = (c) => SHAPE_IMPORTERS[c.node.opType]!(c);

/** Reshape, Flatten, Squeeze and Unsqueeze: a logical reshape that keeps dim 0 the batch. */
function importReshape(c: NodeImport): Slot[] {
  const { g, node, ins, fail, attr, act, cst, optCst, ints, shapeOf, batch, opset } = c;
  const op = node.opType;
  const a = act(ins[0], 'data');
  const inFull = [batch, ...shapeOf(a)];
  let outFull: number[];
  if (op === 'Reshape') {
    const target = ints(cst(ins[1], 'shape'))!;
    const allowZero = attr('allowzero', 0) === 1;
    if (allowZero && target.includes(0)) fail('allowzero=1 with a 0 in the shape (empty tensors) is not supported');
    try { outFull = resolveReshape(inFull, target, allowZero); } catch (e) { return fail((e as Error).message); }
  } else if (op === 'Flatten') {
    const axis = normAxis(attr('axis', 1), inFull.length);
    if (axis !== 1) fail(`axis ${attr('axis', 1)} merges the batch dim into other dims; only axis 1 is supported`);
    outFull = [batch, elementCount(shapeOf(a))];
  } else {
    const axes = opset >= 13 ? ints(optCst(ins[1], 'axes')) : (node.attrs.get('axes') as number[] | undefined);
    if (op === 'Unsqueeze' && !axes) fail('missing axes');
    const outRank = op === 'Squeeze' ? inFull.length - (axes?.length ?? 0) : inFull.length + axes!.length;
    if (axes?.some((x) => normAxis(x, op === 'Squeeze' ? inFull.length : outRank) === 0)) {
      fail('squeezing/unsqueezing the batch axis (0) is not supported');
    }
    if (op === 'Squeeze' && !axes) outFull = [batch, ...shapeOf(a).filter((d) => d !== 1)];
    else outFull = op === 'Squeeze' ? squeezeDims(inFull, axes) : unsqueezeDims(inFull, axes!);
  }
  if (outFull[0] !== batch) fail(`the result [${outFull}] changes the batch dim (dim 0 must stay the batch)`);
  // Reshape may go up to rank 7 for a following Transpose (pixel (un)shuffle); such values are never stored.
  if (outFull.length > (op === 'Reshape' ? 7 : 5)) fail('results of rank above 5 are not supported');
  return [actSlot(reshapeTo(g, a, outFull.slice(1), node.outputs[0]!))];
}

/** Gather along a non-batch axis: one SLICE per run of consecutive indices, joined by CONCATs. */
function importGather(c: NodeImport): Slot[] {
  const { g, node, ins, fail, attr, act, cst, shapeOf, newAct, sampleAxis } = c;
  const a = act(ins[0], 'data');
  const idx = cst(ins[1], 'indices');
  const axis = sampleAxis(attr('axis', 0), a, 'Gather');
  const shape = shapeOf(a);
  const dim = shape[axis]!;
  const picked = Array.from(idx.data, (i) => (i < 0 ? i + dim : i));
  if (picked.length === 0) fail('empty indices are not supported');
  if (picked.some((i) => !Number.isInteger(i) || i < 0 || i >= dim)) {
    fail(`indices [${Array.from(idx.data)}] are out of range for size ${dim}`);
  }
  const runs: [number, number][] = [];
  for (const i of picked) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === i) last[1]++;
    else runs.push([i, 1]);
  }
  const pieces = runs.map(([start, count], r) => {
    if (count === dim) return a;
    const part = [...shape];
    part[axis] = count;
    const out = newAct(part, `:run${r}`);
    g.nodes.push({ op: 'slice', a, out, axis, start, count, name: node.name });
    return out;
  });
  let cur = pieces[0]!;
  for (const [r, b] of pieces.slice(1).entries()) {
    const joined = [...shapeOf(cur)];
    joined[axis] = joined[axis]! + shapeOf(b)[axis]!;
    const out = newAct(joined, `:join${r}`);
    g.nodes.push({ op: 'concat', a: cur, b, axis, out, name: node.name });
    cur = out;
  }
  const outShape = [...shape.slice(0, axis), ...idx.dims, ...shape.slice(axis + 1)];
  if (outShape.length > 4) fail('results of rank above 5 are not supported');
  return [actSlot(reshapeTo(g, cur, outShape, node.outputs[0]!))];
}

function importTransposeOp(c: NodeImport): Slot[] {
  return [actSlot(importTranspose(c.g, c.node, c.act(c.ins[0], 'data'), c.attr<number[]>('perm', []), c.fail, c.transposes))];
}

/** Concat of activations: a chain of two-input CONCATs. */
function importConcat(c: NodeImport): Slot[] {
  const { g, node, ins, fail, attr, act, shapeOf, newAct, sampleAxis } = c;
  const parts = ins.filter((s): s is Slot => !!s);
  if (parts.some((p) => p.kind !== 'act')) fail('concatenating constants with activations is not supported');
  const ids = parts.map((p) => (p as { id: number }).id);
  const axis = sampleAxis(attr('axis', 0), ids[0]!, 'Concat');
  let cur = ids[0]!;
  for (const [i, b] of ids.slice(1).entries()) {
    const sa = shapeOf(cur);
    const sb = shapeOf(b);
    if (sa.length !== sb.length || sa.some((d, k) => k !== axis && d !== sb[k])) {
      fail(`inputs [${sa}] and [${sb}] differ outside axis ${axis + 1}`);
    }
    const outShape = [...sa];
    outShape[axis] = sa[axis]! + sb[axis]!;
    const out = newAct(outShape, i === ids.length - 2 ? '' : `:part${i}`);
    g.nodes.push({ op: 'concat', a: cur, b, axis, out, name: node.name });
    cur = out;
  }
  return [actSlot(cur)];
}

/** Split: one SLICE per output. */
function importSplit(c: NodeImport): Slot[] {
  const { g, node, ins, fail, attr, act, optCst, ints, shapeOf, opset, sampleAxis } = c;
  const a = act(ins[0], 'input');
  const axis = sampleAxis(attr('axis', 0), a, 'Split');
  const dim = shapeOf(a)[axis]!;
  const n = node.outputs.length;
  let sizes = opset >= 13 ? ints(optCst(ins[1], 'split')) : (node.attrs.get('split') as number[] | undefined);
  if (!sizes) {
    const chunk = Math.ceil(dim / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  if (sizes.length !== n || sizes.reduce((s, v) => s + v, 0) !== dim) {
    fail(`split sizes [${sizes}] do not cover dim ${dim} with ${n} outputs`);
  }
  if (sizes.some((s) => s <= 0)) fail('empty split outputs are not supported');
  let start = 0;
  return sizes.map((count, i) => {
    const shape = [...shapeOf(a)];
    shape[axis] = count;
    const out = addValue(g, node.outputs[i] || `${node.name}:${i}`, shape);
    g.nodes.push({ op: 'slice', a, out, axis, start, count, name: node.name });
    start += count;
    return actSlot(out);
  });
}

/** Slice with step 1: one SLICE per sliced axis (the batch axis may only be kept whole). */
function importSlice(c: NodeImport): Slot[] {
  const { g, node, ins, fail, act, cst, optCst, shapeOf, newAct, batch } = c;
  let cur = act(ins[0], 'data');
  const { starts, ends, axes, steps } = sliceOperands(ins, cst, optCst);
  for (let i = 0; i < axes.length; i++) {
    const shape = shapeOf(cur);
    const fr = shape.length + 1;
    const full = normAxis(axes[i]!, fr);
    if (full === 0) {
      const keep = sliceIndices(batch, starts[i]!, ends[i]!, steps[i]!);
      if (steps[i] === 1 && keep.length === batch && keep[0] === 0) continue; // whole batch kept
      fail('slicing the batch axis (0) is not supported');
    }
    if (steps[i] !== 1) fail(`steps other than 1 (got ${steps[i]}) are not supported`);
    const axis = full - 1;
    const picked = sliceIndices(shape[axis]!, starts[i]!, ends[i]!, 1);
    if (picked.length === 0) fail('empty slices are not supported');
    if (picked.length === shape[axis]) continue;
    const outShape = [...shape];
    outShape[axis] = picked.length;
    const out = newAct(outShape, i === axes.length - 1 ? '' : `:axis${full}`);
    g.nodes.push({ op: 'slice', a: cur, out, axis, start: picked[0]!, count: picked.length, name: node.name });
    cur = out;
  }
  return [actSlot(cur)];
}
