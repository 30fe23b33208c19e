// Replays an entry's op stream over the arena's 16-byte blocks to check a converter's memory plan
// independently of the planner: no op clobbers a tensor that is still to be read, no op's output
// overlaps its inputs, and entry outputs survive to the end.
import type { ModelInfo } from '../../runtime/format.js';

/**
 * Every op reads tensors whose bytes were last written by their producer (or the host, for the input),
 * and writes bytes that overlap none of its inputs; entry outputs survive to the end.
 */
export function checkArenaReplay(info: ModelInfo): void {
  for (const e of info.entries) {
    const owner = new Map<number, string>(); // 16-byte block -> storage key
    const key = (t: number) => `${info.tensors[t]!.offset}:${info.tensors[t]!.byteLength}`;
    const blocks = (t: number) => {
      const ti = info.tensors[t]!;
      return Array.from({ length: Math.ceil(ti.byteLength / 16) }, (_, i) => ti.offset / 16 + i);
    };
    const write = (t: number) => { for (const b of blocks(t)) owner.set(b, key(t)); };
    const intact = (t: number, what: string) => {
      for (const b of blocks(t)) if (owner.get(b) !== key(t)) throw new Error(`${what}: tensor ${t} was overwritten`);
    };
    write(e.input);
    for (const op of info.ops.slice(e.opStart, e.opStart + e.opCount)) {
      const reads = [op.a, op.b].filter((t) => t !== 0xffffffff && info.tensors[t]!.kind === 'activation');
      for (const r of reads) {
        intact(r, `op ${op.index} (${op.name})`);
        const out = new Set(blocks(op.output));
        if (blocks(r).some((b) => out.has(b))) throw new Error(`op ${op.index} output aliases its input ${r}`);
      }
      write(op.output);
    }
    for (const o of e.outputs) intact(o, `${e.kind} output`);
  }
}

/**
 * Lower bound for any valid plan: the largest total size of storage that must coexist at one op
 * (its inputs, its output, and everything written earlier that is still to be read).
 */
export function peakLiveBytes(info: ModelInfo): number {
  let peak = 0;
  for (const e of info.entries) {
    const ops = info.ops.slice(e.opStart, e.opStart + e.opCount);
    const key = (t: number) => `${info.tensors[t]!.offset}:${info.tensors[t]!.byteLength}`;
    const bytes = new Map<string, number>();
    const born = new Map<string, number>();
    const dies = new Map<string, number>();
    const use = (t: number, step: number, write: boolean) => {
      const k = key(t);
      bytes.set(k, Math.ceil(info.tensors[t]!.byteLength / 16) * 16);
      if (write && !born.has(k)) born.set(k, step);
      dies.set(k, Math.max(dies.get(k) ?? step, step));
    };
    use(e.input, -1, true);
    ops.forEach((op, i) => {
      for (const t of [op.a, op.b]) if (t !== 0xffffffff && info.tensors[t]!.kind === 'activation') use(t, i, false);
      use(op.output, i, true);
    });
    for (const o of e.outputs) use(o, ops.length, false);
    for (let i = -1; i <= ops.length; i++) {
      let live = 0;
      for (const [k, b] of bytes) if (born.get(k)! <= i && dies.get(k)! >= i) live += b;
      peak = Math.max(peak, live);
    }
  }
  return peak;
}
