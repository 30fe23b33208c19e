// Validation of the normalisation ops: GROUP_NORM and LAYER_NORM (docs/format.md "Ops"). Used by runtime/format.ts.
import { Op } from '../format/constants.js';
import type { TensorInfo } from './format.js';
import type { OpCheck } from './format-op-check.js';

export const isNormOpcode = (code: number): boolean => code === Op.GroupNorm || code === Op.LayerNorm;

/** Throws ModelFormatError when a norm op breaks a rule; a and out are already checked to exist. */
export function checkNormOp(c: OpCheck, a: TensorInfo, out: TensorInfo): void {
  const group = c.op.opcode === Op.GroupNorm;
  const b = c.tensor('b (scale)', c.op.b);
  const bias = c.tensor('c (bias)', c.op.c);
  c.floatOnly(a, out);
  c.activation('out', out);
  for (const [role, t] of [['b (scale)', b], ['c (bias)', bias]] as const) { c.constant(role, t); c.dtype(role, t, 'f32', 'f16'); }
  const [n, epsBits] = c.op.params;
  const eps = new Float32Array(Uint32Array.of(epsBits).buffer)[0];
  if (n < 1) c.fail(`${group ? 'groups' : 'row size'} ${n} must be >= 1`);
  if (!Number.isFinite(eps) || eps < 0) c.fail(`epsilon ${eps} must be finite and >= 0`);
  if (group) c.rank('a', a, 3);
  const width = group ? a.dims[0] : n;
  if (a.elements % width !== 0 || width % n !== 0) {
    c.fail(group ? `groups ${n} does not divide the ${width} channels` : `row size ${n} does not divide the ${a.elements} elements of a`);
  }
  c.count('out', out, a.elements);
  if (group) {
    c.rank('out', out, 3);
    if (out.dims[0] !== width) c.fail(`out has ${out.dims[0]} channels, expected ${width}`);
  }
  for (const [role, t] of [['b (scale)', b], ['c (bias)', bias]] as const) {
    c.rank(role, t, 1);
    c.count(role, t, width);
  }
}
