// README's supported-ops table is what the op registry generates, the registry names exactly the ops the
// importer dispatches, and the importer's attribute check reads the registry.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONST_EVAL_OPS } from '../converter/const-eval.js';
import { importGraph, IMPORTERS } from '../converter/import.js';
import { knownAttrs, OP_REGISTRY } from '../converter/op-registry.js';
import { supportedOpsMarkdown, TABLE_END, TABLE_START, withSupportedOps } from '../converter/op-table.js';
import type { AttrValue, OnnxModel } from '../converter/onnx-load.js';
import { convertGraph } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { readEditable } from '../converter/quantize/editable-model.js';
import { Act, DType, Op } from '../runtime/format-constants.js';
import { buildModel, randomData } from './helpers/onnx-build.js';

const source = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');
const byRole = (role: string) => Object.entries(OP_REGISTRY).filter(([, s]) => s.role === role).map(([op]) => op).sort();

/** The op types importNode dispatches (its IMPORTERS table). */
const importerOps = (): string[] => [...IMPORTERS.keys()].sort();

/** One node `op(x)` on a [N, 4] input; the attribute check runs before the op looks at its inputs. */
function oneNode(op: string, attrs: Record<string, AttrValue>): OnnxModel {
  return {
    irVersion: 8, opset: 21, producerName: 'test', producerVersion: '', graphName: 'g',
    nodes: [{ name: 'n', opType: op, domain: '', inputs: ['x'], outputs: ['y'], attrs: new Map(Object.entries(attrs)) }],
    inputs: [{ name: 'x', elemType: 1, dims: ['N', 4] }], outputs: [{ name: 'y', elemType: 1, dims: null }],
    initializers: new Map(),
  };
}
const importError = (m: OnnxModel): string => {
  try { importGraph(m); return ''; } catch (e) { return (e as Error).message; }
};

describe('supported ONNX ops', () => {
  it('README holds the table the registry generates (run `npm run supported-ops` after editing the registry)', () => {
    const readme = source('../README.md');
    const a = readme.indexOf(TABLE_START), b = readme.indexOf(TABLE_END);
    expect(a, 'start marker').toBeGreaterThan(0);
    expect(b, 'end marker after the start marker').toBeGreaterThan(a);
    // line by line, so a failure shows the rows that differ
    expect(readme.slice(a + TABLE_START.length, b).trim().split('\n')).toEqual(supportedOpsMarkdown().split('\n'));
    expect(withSupportedOps(readme, supportedOpsMarkdown())).toBe(readme);
  });

  it('the registry names exactly the ops the importer dispatches', () => {
    expect(byRole('import')).toEqual(importerOps());
  });

  it('folded ops are the ones const-eval computes (plus Shape), and pattern-only ops are neither imported nor folded', () => {
    expect(byRole('fold')).toEqual(['Shape', ...[...CONST_EVAL_OPS].filter((op) => OP_REGISTRY[op]?.role === 'fold')].sort());
    for (const op of CONST_EVAL_OPS) expect(OP_REGISTRY[op], op).toBeDefined();
    const patterns = source('../converter/import-patterns.ts') + ['channel-reorder', 'softplus', 'pixel-unshuffle', 'opset10']
      .map((f) => source(`../converter/patterns/${f}.ts`)).join('');
    for (const op of byRole('pattern')) {
      expect(CONST_EVAL_OPS.has(op), op).toBe(false);
      expect(patterns, `${op} is matched by a pattern`).toContain(`'${op}'`);
    }
  });

  it('the importer refuses attributes outside the registry and accepts the ones it lists', () => {
    for (const op of byRole('import')) {
      expect(importError(oneNode(op, { zz_unknown: 1 })), op).toContain(`node "n" (${op}): attribute "zz_unknown" is not supported`);
      for (const a of knownAttrs(op)!) expect(importError(oneNode(op, { [a]: 1 })), `${op}.${a}`).not.toContain(`attribute "${a}" is not supported`);
    }
  });

  it('the int8 column matches what an int8 conversion does (Gemm, Conv, Relu, LeakyRelu, Reshape, Resize, Sigmoid)', async () => {
    const w = (dims: number[], seed: number) => ({ dims, data: randomData(dims.reduce((a, b) => a * b, 1), seed, 0.5) });
    const bytes = buildModel({
      inputs: [{ name: 'z', dims: ['N', 4] }], outputs: [{ name: 'y' }], opset: 13,
      initializers: {
        W1: w([4, 32], 1), B1: w([32], 2), shape: { dims: [4], data: [-1, 2, 4, 4], type: 'int64' },
        W2: w([4, 2, 3, 3], 3), B2: w([4], 4), scales: { dims: [4], data: [1, 1, 2, 2] }, W3: w([2, 4, 3, 3], 5),
      },
      nodes: [
        { op: 'Gemm', inputs: ['z', 'W1', 'B1'], outputs: ['d'] },
        { op: 'Relu', inputs: ['d'], outputs: ['r'] },
        { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['s'] },
        { op: 'Conv', inputs: ['s', 'W2', 'B2'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'LeakyRelu', inputs: ['c'], outputs: ['l'], attrs: { alpha: { float: 0.1 } } },
        { op: 'Resize', inputs: ['l', '', 'scales'], outputs: ['u'], attrs: { mode: 'nearest' } },
        { op: 'Conv', inputs: ['u', 'W3'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Sigmoid', inputs: ['c2'], outputs: ['y'] },
      ],
    });
    const m = readEditable((await quantizeModel(await convertGraph(bytes), { mode: 'int8', latents: 64 })).bytes);
    const ops = m.entries.flatMap((e) => e.ops);
    const dtype = (t: number) => m.tensors[t]!.dtype;
    const mode = (op: string): string => {
      switch (op) {
        case 'Gemm': return ops.some((o) => o.op === Op.Dense && dtype(o.a) === DType.I8) ? 'integer' : 'f32';
        case 'Conv': return ops.filter((o) => o.op === Op.Conv2D && dtype(o.a) === DType.I8).length === 2 ? 'integer' : 'f32';
        case 'Relu': case 'LeakyRelu': {
          const act = op === 'Relu' ? Act.Relu : Act.LeakyRelu;
          return !ops.some((o) => o.op === Op.Unary && o.act === act) && ops.some((o) => o.act === act && dtype(o.out) === DType.I8) ? 'integer' : 'f32';
        }
        case 'Reshape': { // the dense output reshaped to [2, 4, 4] reaches the first conv as the same int8 bytes
          const conv = ops.findIndex((o) => o.op === Op.Conv2D);
          return dtype(ops[conv]!.a) === DType.I8 && !ops.slice(0, conv).some((o) => o.op === Op.Layout || o.op === Op.Dequantize) ? 'bytes' : 'f32';
        }
        case 'Resize': return ops.some((o) => o.op === Op.ResizeNearest && dtype(o.a) === DType.I8 && dtype(o.out) === DType.I8) ? 'bytes' : 'f32';
        default: return ops.some((o) => o.op === Op.Unary && o.act === Act.Sigmoid && dtype(o.a) === DType.F32) ? 'f32' : 'other';
      }
    };
    for (const op of ['Gemm', 'Conv', 'Relu', 'LeakyRelu', 'Reshape', 'Resize', 'Sigmoid']) expect([op, mode(op)]).toEqual([op, OP_REGISTRY[op]!.int8]);
  });
});
