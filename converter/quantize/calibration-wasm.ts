// Calibration through the wasm runtime's kernels: the same observations as the interpreter (every tensor an op
// reads or writes, every op's result before its fused activation), taken from the arena after a batched run.
// For that, a copy of the model (1) computes fused activations as separate UNARY ops, so each op's
// pre-activation result is a tensor of its own, and (2) gets an arena in which no two storages share bytes.
// The values are the runtime's f32 kernels' (the interpreter accumulates in f64): ranges can differ in the
// last bits of a float. A model the runtime refuses, or one that writes a tensor twice, falls back to the interpreter.
import { Act, DType, EntryKind, Op, TensorKind } from '../../runtime/format-constants.js';
import { Engine } from '../../runtime/engine.js';
import { readDefaultWasm } from '../../runtime/node.js';
import { addActivation, writeEditable, type EditableModel } from './editable-model.js';
import { calibrate, type CalibMethod, type Calibration } from './calibration.js';
import { replanArena } from './replan.js';
import { StreamRange } from './stream-range.js';
import { cloneModel } from './transform.js';

/** Arena bytes one calibration chunk may use (samples per run = this / arena per sample). */
const CHUNK_ARENA_BYTES = 192 * 2 ** 20;
const MAX_CHUNK = 64;

let wasm: Uint8Array | null | undefined;

/** What each original op reads and writes in the calibration copy. */
interface Probe { a: number; b?: number; pre: number; out: number }

export async function calibrateFast(m: EditableModel, kind: number, samples: Float32Array[], method: CalibMethod): Promise<Calibration> {
  if (samples.length === 0) throw new Error('calibration needs at least one sample');
  if (wasm === undefined) { try { wasm = readDefaultWasm(); } catch { wasm = null; } }
  const plan = wasm ? probeModel(m, kind) : undefined;
  if (!plan) return calibrate(m, kind, samples, method);
  const { model, probes } = plan;
  const engine = await Engine.create(wasm!);
  const chunk = Math.max(1, Math.min(MAX_CHUNK, samples.length, Math.floor(CHUNK_ARENA_BYTES / Math.max(16, model.arenaPerSample))));
  try {
    await engine.load(writeEditable(model), chunk);
  } catch {
    return calibrate(m, kind, samples, method); // a runtime build that predates an op of this model
  }
  // Per sample, what the interpreter's observer sees: each tensor once per read or write (one observation
  // weighted by that count), each op's pre-activation result once. Several of these can be one tensor of the
  // calibration copy (an op without activation: its result; a unary op: its input): one pass serves them all.
  const seen = new Map<number, number>(); // tensor -> observations per sample (reads + writes)
  const count = (t: number) => seen.set(t, (seen.get(t) ?? 0) + 1);
  for (const p of probes) { count(p.a); if (p.b !== undefined) count(p.b); count(p.out); }
  const weights = new Map<number, number[]>(); // tensor of the copy -> the weights it is asked for
  const want = (t: number, w: number) => weights.set(t, [...(weights.get(t) ?? []), w]);
  for (const [t, times] of seen) want(t, times);
  for (const p of probes) want(p.pre, 1);
  const size = (t: number) => model.tensors[t]!.dims.reduce((a, d) => a * d, 1);
  const ranges = new Map([...weights].map(([t, w]) => [t, new StreamRange(size(t), samples.length, method, w)]));
  const name = kind === EntryKind.Encode ? 'encode' : 'decode';
  const inputSize = samples[0]!.length;
  for (let start = 0; start < samples.length; start += chunk) {
    const n = Math.min(chunk, samples.length - start);
    const packed = new Float32Array(n * inputSize);
    for (let s = 0; s < n; s++) packed.set(samples[start + s]!, s * inputSize);
    engine.run(name, packed, n);
    for (const [t, r] of ranges) r.add(engine.activationView(t, n), n);
  }
  return {
    method,
    samples: samples.length,
    tensors: new Map([...seen].map(([t, times]) => [t, ranges.get(t)!.range(times)])),
    preActivation: new Map(probes.map((p, i) => [i, ranges.get(p.pre)!.range(1)])),
  };
}

/**
 * The calibration copy of entry `kind` and, per original op, the tensors to read; undefined when the entry
 * is not plain single-assignment f32 (then only the interpreter observes it faithfully).
 */
function probeModel(src: EditableModel, kind: number): { model: EditableModel; probes: Probe[] } | undefined {
  const m = cloneModel(src);
  const e = m.entries.find((x) => x.kind === kind);
  if (!e) return undefined;
  const isAct = (t: number | undefined) => t !== undefined && m.tensors[t]!.kind === TensorKind.Activation;
  const written = new Set<number>([e.input]);
  for (const op of e.ops) {
    if (written.has(op.out)) return undefined;
    written.add(op.out);
    for (const t of [op.a, op.b, op.out]) if (isAct(t) && m.tensors[t!]!.dtype !== DType.F32) return undefined;
  }
  // Other entries are dropped: only this one runs, and their tensors would only take arena space.
  m.entries = [e];
  const probes: Probe[] = [];
  const ops: typeof e.ops = [];
  for (const op of e.ops) {
    const b = isAct(op.b) ? op.b : undefined;
    const act = op.act ?? Act.None;
    if (op.op === Op.Unary) {
      probes.push({ a: op.a, b, pre: op.a, out: op.out }); // a unary op's "result before activation" is its input
      ops.push(op);
    } else if (act !== Act.None) { // any op with a fused activation (dense, conv, binary, ...)
      const pre = addActivation(m, m.tensors[op.out]!, DType.F32);
      probes.push({ a: op.a, b, pre, out: op.out });
      ops.push({ ...op, out: pre, act: Act.None, alpha: 0 });
      ops.push({ op: Op.Unary, a: pre, out: op.out, act, alpha: op.alpha ?? 0, name: op.name });
    } else {
      probes.push({ a: op.a, b, pre: op.out, out: op.out });
      ops.push(op);
    }
  }
  e.ops = ops;
  replanArena(m, { reuse: false });
  return { model: m, probes };
}
