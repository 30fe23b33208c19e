// README's supported-ops table is what the op registry generates, the registry names exactly the ops the
// importer dispatches, and the importer's attribute check reads the registry.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONST_EVAL_OPS } from '../converter/const-eval.js';
import { importGraph } from '../converter/import.js';
import { knownAttrs, OP_REGISTRY } from '../converter/op-registry.js';
import { supportedOpsMarkdown, TABLE_END, TABLE_START, withSupportedOps } from '../converter/op-table.js';
import type { AttrValue, OnnxModel } from '../converter/onnx-load.js';

const source = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');
const byRole = (role: string) => Object.entries(OP_REGISTRY).filter(([, s]) => s.role === role).map(([op]) => op).sort();

/** The op types of the `case '...'` labels in import.ts's importNode switch. */
function importerCases(): string[] {
  const src = source('../converter/import.ts');
  const start = src.indexOf('function importNode(');
  const end = src.indexOf('\nfunction ', start + 1);
  expect(start).toBeGreaterThan(0);
  const body = src.slice(start, end < 0 ? undefined : end);
  return [...new Set([...body.matchAll(/case '([A-Za-z]+)'/g)].map((m) => m[1]!))].sort();
}

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
    expect(readme).toContain(TABLE_START);
    expect(readme).toContain(TABLE_END);
    expect(withSupportedOps(readme, supportedOpsMarkdown())).toBe(readme);
  });

  it('the registry names exactly the ops the importer dispatches', () => {
    expect(byRole('import')).toEqual(importerCases());
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
});
