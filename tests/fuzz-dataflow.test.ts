// fuzz/dataflow.ts decides when batch-1 and batch-N outputs must agree: only when every activation an op reads
// was written earlier in the run. MATMUL reads its b operand from the arena like BINARY and CONCAT do.
import { describe, expect, it } from 'vitest';
import type { EntryInfo, ModelInfo } from '../runtime/format.js';
import { hasDefinedDataflow } from '../fuzz/dataflow.js';

const act = (offset: number) => ({ kind: 'activation', offset, byteLength: 64 });
function model(opcode: number, b: number): { info: ModelInfo; entry: EntryInfo } {
  const tensors = [act(0), act(64), act(128), act(192)];
  const ops = [{ opcode, output: 3, a: 0, b }];
  const entry = { kind: 'decode', opStart: 0, opCount: 1, input: 0, outputs: [3] };
  return { info: { tensors, ops, entries: [entry] } as unknown as ModelInfo, entry: entry as unknown as EntryInfo };
}

describe('fuzz dataflow', () => {
  it.each([[5, 'BINARY'], [7, 'CONCAT'], [23, 'MATMUL']])('opcode %i (%s) reading a never-written b is undefined', (opcode) => {
    const never = model(opcode, 2);
    expect(hasDefinedDataflow(never.info, never.entry)).toBe(false);
    const input = model(opcode, 0);
    expect(hasDefinedDataflow(input.info, input.entry)).toBe(true);
  });

  it('an op that ignores b (UNARY) stays defined whatever b says', () => {
    const m = model(4, 2);
    expect(hasDefinedDataflow(m.info, m.entry)).toBe(true);
  });
});
