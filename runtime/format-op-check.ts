// The operand checks every op family's validator uses (tensor exists, is a constant or an activation, has a dtype,
// count or rank), each failing with a message that names the op and the tensor. Used by runtime/format*.ts.
import { NONE } from '../format/constants.js';
import { ModelFormatError } from './errors.js';
import type { DTypeName, OpInfo, TensorInfo } from './format.js';

export const fail = (message: string): never => {
  throw new ModelFormatError(message);
};

/** Operand checks for one op; `where` starts every message ("model file: op 3 (CONV2D)"). */
export class OpCheck {
  readonly where: string;

  constructor(readonly op: OpInfo, readonly tensors: TensorInfo[]) {
    this.where = `model file: op ${op.index} (${op.name})`;
  }

  fail(message: string): never {
    return fail(`${this.where}: ${message}`);
  }

  tensor(role: string, index: number): TensorInfo {
    if (index === NONE) return this.fail(`tensor ${role} is missing`);
    if (index >= this.tensors.length) return this.fail(`tensor ${role} index ${index} does not exist (${this.tensors.length} tensors)`);
    return this.tensors[index];
  }

  optional(role: string, index: number): TensorInfo | undefined {
    return index === NONE ? undefined : this.tensor(role, index);
  }

  activation(role: string, t: TensorInfo): void {
    if (t.kind !== 'activation') this.fail(`${role} tensor ${t.index} is a constant, expected an activation`);
  }

  constant(role: string, t: TensorInfo): void {
    if (t.kind !== 'constant') this.fail(`${role} tensor ${t.index} is an activation, expected a constant`);
  }

  dtype(role: string, t: TensorInfo, ...allowed: DTypeName[]): void {
    if (!allowed.includes(t.dtype)) this.fail(`${role} tensor ${t.index} has dtype ${t.dtype}, expected ${allowed.join(' or ')}`);
  }

  count(role: string, t: TensorInfo, expected: number): void {
    if (t.elements !== expected) this.fail(`${role} tensor ${t.index} has ${t.elements} elements, expected ${expected}`);
  }

  rank(role: string, t: TensorInfo, r: number): void {
    if (t.rank !== r) this.fail(`${role} tensor ${t.index} has rank ${t.rank}, expected ${r}`);
  }

  sameDtype(x: TensorInfo, y: TensorInfo): void {
    if (x.dtype !== y.dtype) this.fail(`input dtype ${x.dtype} differs from output dtype ${y.dtype}`);
  }

  floatOnly(...ts: TensorInfo[]): void {
    for (const t of ts) if (t.dtype !== 'f32') this.fail(`tensor ${t.index} has dtype ${t.dtype}, this op works on f32 only`);
  }
}
