// Loader fuzzing (fuzz/): seeded mutations of valid models through both validators and, when accepted,
// through every entry. CI runs 10,000 cases; `npm run fuzz` runs 1,000,000.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runFuzz } from '../fuzz/run.js';
import { buildCorpus, opZooBytes } from '../fuzz/corpus.js';
import { runCase, WasmHost, type WasmExports } from '../fuzz/check-case.js';
import { mutate, MUTATION_KINDS } from '../fuzz/mutate.js';
import { caseSeed, Rng } from '../fuzz/rng.js';
import { inspectModel } from '../converter/inspect.js';
import { summarize } from '../cli/commands/inspect.js';
import { readModel } from '../runtime/format.js';
import { ModelBuilder } from './helpers/model-builder.js';
import { denseVaeBytes, layoutOf, patched } from './format-fixtures.js';
import { DType, Op, OP_NAME } from '../runtime/format-constants.js';
import { haveRuntimeWasm, RUNTIME_WASM } from './helpers/runtime-wasm.js';

interface Loader { memory: WebAssembly.Memory; alloc(n: number): number; load(p: number, n: number, b: number): number; run(k: number, n: number): number; entryInput(k: number): number }

describe('mutations', () => {
  it('are deterministic per seed and every kind changes the file', () => {
    const src = opZooBytes();
    expect(mutate(src, new Rng(5)).bytes).toEqual(mutate(src, new Rng(5)).bytes);
    for (const kind of MUTATION_KINDS) {
      let changed = 0;
      for (let s = 0; s < 20; s++) {
        const m = mutate(src, new Rng(s), kind);
        if (m.bytes.length !== src.length || m.bytes.some((b, i) => b !== src[i])) changed++;
      }
      expect(changed, kind).toBeGreaterThan(10);
    }
  });
});

describe.skipIf(!haveRuntimeWasm)('loader fuzzing', () => {
  it('10,000 seeded cases: no crash, trap, hang, disagreement or memory damage', async () => {
    const { tally, line } = await runFuzz({ cases: 10_000, seed: 20261126, chunk: 10_000, hangMs: 30_000, slowMs: 5_000 });
    console.log(line);
    const shown = tally.failures.slice(0, 10).map((f) => `case ${f.index} (${f.corpus}; ${f.steps.join('; ')}): ${f.failure!.kind}: ${f.failure!.message}`);
    expect(shown).toEqual([]);
    expect(tally.failed).toBe(0);
    expect(tally.cases).toBe(10_000);
    // The mix must reach both outcomes and many distinct validator rules past the checksum.
    expect(tally.ran).toBeGreaterThan(1000);
    expect(tally.rejectedPastChecksum).toBeGreaterThan(3000);
    expect(Object.keys(tally.byCode).length).toBeGreaterThan(15);
  }, 180_000);

  it('2,000 paired-field cases (self-consistent two-field edits that reach deeper rules)', async () => {
    const { tally, line } = await runFuzz({ cases: 2_000, seed: 4242, forceKind: 'paired-fields' });
    console.log(line);
    const shown = tally.failures.slice(0, 10).map((f) => `case ${f.index} (${f.corpus}; ${f.steps.join('; ')}): ${f.failure!.kind}: ${f.failure!.message}`);
    expect(shown).toEqual([]);
    expect(tally.ran).toBeGreaterThan(100);
    expect(tally.rejectedPastChecksum).toBeGreaterThan(500);
  }, 120_000);

  it('the watchdog reports a hanging case, kills its worker and goes on with the next case', async () => {
    const corpus = [{ name: 'op-zoo', bytes: opZooBytes() }];
    const { tally } = await runFuzz({ cases: 30, seed: 9, corpus, hangMs: 1500, simulateHangAt: 12 });
    expect(tally.cases).toBe(30);
    expect(tally.failuresByKind).toEqual({ hang: 1 });
    expect(tally.failures[0]!.index).toBe(12);
    expect(tally.failures[0]!.steps[0]).toContain('--start 12 --cases 1');
  }, 60_000);

  it('the harness itself reports disagreements and traps (stand-in wasm exports)', async () => {
    const corpus = [{ name: 'op-zoo', bytes: opZooBytes() }];
    const real = new WebAssembly.Module(readFileSync(RUNTIME_WASM));
    // A loader that accepts everything: every file TS refuses becomes a disagreement.
    const acceptAll = (): WasmExports => {
      const e = new WebAssembly.Instance(real, {}).exports as unknown as WasmExports;
      return { ...e, load: () => 0, errorDetail: () => -1, memory: e.memory, alloc: e.alloc };
    };
    const kinds = new Set<string>();
    const host = new WasmHost(acceptAll, 8);
    for (let i = 0; i < 200; i++) {
      const r = runCase(i, { runSeed: 3, corpus, host, freshEvery: 0 });
      if (r.failure) kinds.add(r.failure.kind);
    }
    expect(kinds).toContain('disagreement');
    // A runtime whose run() traps.
    const trapping = (): WasmExports => {
      const e = new WebAssembly.Instance(real, {}).exports as unknown as WasmExports;
      return { ...e, memory: e.memory, alloc: e.alloc, run: () => { throw new WebAssembly.RuntimeError('memory access out of bounds'); } };
    };
    const trapHost = new WasmHost(trapping, 8);
    const trapKinds = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const r = runCase(i, { runSeed: 3, corpus, host: trapHost, freshEvery: 0 });
      if (r.failure) trapKinds.add(r.failure.kind);
    }
    expect(trapKinds).toEqual(new Set(['wasm-trap']));
  });

  // Regressions: the TS reader refused parameters docs/format.md and the wasm loader allow.
  describe('validators agree on parameter limits', () => {
    const module = haveRuntimeWasm ? new WebAssembly.Module(readFileSync(RUNTIME_WASM)) : undefined;
    const wasmLoad = (bytes: Uint8Array) => {
      const w = new WebAssembly.Instance(module!, {}).exports as unknown as Loader;
      const ptr = w.alloc(bytes.length);
      new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
      const rc = w.load(ptr, bytes.length, 1);
      return { rc, run: rc === 0 ? w.run(1, 1) : rc };
    };
    const tsAccepts = (bytes: Uint8Array) => { readModel(bytes); return true; };
    /** Builds the model from input `x` with a copy of `last` (`shape`) as its output: both readers accept it and it runs. */
    const expectBothRun = (b: ModelBuilder, x: number, last: number, shape: number[]) => {
      const out = b.activation(shape);
      b.op({ op: Op.Copy, out, a: last });
      const bytes = b.build(x, [out]);
      expect(tsAccepts(bytes)).toBe(true);
      expect(wasmLoad(bytes)).toEqual({ rc: 0, run: 0 });
    };

    it('dilation 65536 (the documented maximum)', () => {
      const b = new ModelBuilder();
      const x = b.activation([65537]);
      const xs = b.activation([1, 1, 65537]);
      b.op({ op: Op.Copy, out: xs, a: x });
      const w = b.constF32([1, 2], [1, 2, 1, 1]);
      const y = b.activation([1, 1, 1]);
      b.op({ op: Op.Conv2D, out: y, a: xs, b: w, params: [1, 2, 1, 1, 0, 0, 1, 65536, 1] });
      expectBothRun(b, x, y, [1]);
    });

    it('groups above 65535 and resize scales above 65535', () => {
      const G = 65536 * 2;
      const b = new ModelBuilder();
      const x = b.activation([G]);
      const xs = b.activation([G, 1, 1]);
      b.op({ op: Op.Copy, out: xs, a: x });
      const w = b.constF32(new Float32Array(G).fill(0.5), [G, 1, 1, 1]);
      const y = b.activation([G, 1, 1]);
      b.op({ op: Op.Conv2D, out: y, a: xs, b: w, params: [1, 1, 1, 1, 0, 0, 1, 1, G] });
      const r = b.activation([1, 70000, 1]);
      const one = b.activation([1, 1, 1]);
      b.op({ op: Op.Slice, out: one, a: y, params: [G, 0, 1, 1] });
      b.op({ op: Op.ResizeNearest, out: r, a: one, params: [70000, 1] });
      expectBothRun(b, x, r, [70000]);
    });

    it('per-channel scales on a non-i8 tensor, and an encode entry with one output, are refused by both', () => {
      const f = denseVaeBytes();
      const L = layoutOf(f);
      const info = readModel(f);
      const v = new DataView(f.buffer, f.byteOffset);
      let positive = L.data; // a valid-looking scale: a positive float inside the data section
      while (!(v.getFloat32(positive, true) > 0)) positive += 16;
      const weights = info.tensors.find((t) => t.kind === 'constant' && t.dtype === 'f32')!;
      const act = info.tensors.find((t) => t.kind === 'activation')!;
      for (const t of [weights, act]) {
        const bad = patched(f, [[L.tensor(t.index) + 40, positive], [L.tensor(t.index) + 44, 1]]);
        expect(() => readModel(bad)).toThrow(/per-channel scales \(qCount 1\) are only allowed on constant i8 tensors/);
        expect(wasmLoad(bad).rc).toBe(-12);
      }
      const e0 = L.entry(0);
      const oneOutput = patched(f, [[e0 + 16, 1], [e0 + 24, 0xffffffff]]);
      expect(() => readModel(oneOutput)).toThrow('entry 0 (encode): outputCount 1, expected 2');
      expect(wasmLoad(oneOutput).rc).toBe(-13);
    });

    it('a dilated kernel wider than 2^24 is refused by both', () => {
      const b = new ModelBuilder();
      // kernel width 257 at dilation 65536 spans 65536 * 256 + 1 = 2^24 + 1 input columns.
      const W = (1 << 24) + 1;
      const x = b.activation([W], DType.F32);
      const xs = b.activation([1, 1, W]);
      b.op({ op: Op.Copy, out: xs, a: x });
      const w = b.constF32(new Float32Array(257), [1, 257, 1, 1]);
      const y = b.activation([1, 1, 1]);
      b.op({ op: Op.Conv2D, out: y, a: xs, b: w, params: [1, 257, 1, 1, 0, 0, 1, 65536, 1] });
      const out = b.activation([1]);
      b.op({ op: Op.Copy, out, a: y });
      const bytes = b.build(x, [out]);
      expect(() => readModel(bytes)).toThrow(/dilated kernel .* exceeds 2\^24/);
      expect(wasmLoad(bytes).rc).toBe(-18);
    });
  });
});

describe('tools that read accepted files', () => {
  it('inspect (text and JSON) never crashes on a mutated file the validators accept', async () => {
    const corpus = await buildCorpus();
    let accepted = 0;
    const crashes: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const rng = new Rng(caseSeed(77, i));
      const src = corpus[rng.int(corpus.length)]!;
      const { bytes, steps } = mutate(src.bytes, rng);
      let info;
      try { info = readModel(bytes); } catch { continue; }
      accepted++;
      try {
        inspectModel(bytes);
        summarize('m.evae', info);
        JSON.stringify(info);
      } catch (e) {
        crashes.push(`case ${i} (${src.name}; ${steps.join('; ')}): ${(e as Error).message}`);
      }
    }
    expect(crashes.slice(0, 5)).toEqual([]);
    expect(accepted).toBeGreaterThan(500);
  }, 120_000);
});

describe('corpus', () => {
  it('every corpus model is valid in the TS reader and covers every op code', async () => {
    const corpus = await buildCorpus();
    const ops = new Set<number>();
    for (const m of corpus) for (const op of readModel(m.bytes).ops) ops.add(op.opcode);
    expect([...ops].sort((a, b) => a - b)).toEqual(Object.keys(OP_NAME).map(Number).sort((a, b) => a - b));
    // Seeded cases replay only if the corpus is byte-identical (the converter's timestamp is pinned).
    await new Promise((r) => setTimeout(r, 5));
    const again = await buildCorpus();
    corpus.forEach((m, i) => expect(Buffer.from(again[i]!.bytes).equals(Buffer.from(m.bytes)), m.name).toBe(true));
  });
});
