// The int8 mode of sequence files on the shipped word model (models/text/words.evae, int8-weights): the same i8
// weights with the recurrent layers' rows quantized to int8 per step (RECURRENT_INT8_ACTIVATIONS). Greedy decoding of
// 200 prior latents may change at most 1 % of the token positions, and the int8 file must pass both validators.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quantizeModel } from '../converter/quantize/index.js';
import { Rng } from '../reference/random.js';
import { Engine } from '../runtime/engine.js';
import { readModel } from '../runtime/format.js';
import { Op, RECURRENT_INT8_ACTIVATIONS } from '../runtime/format-constants.js';
import { EOS } from '../trainer/vocab.js';

const shipped = new Uint8Array(readFileSync(new URL('../models/text/words.evae', import.meta.url)));
const wasm = readFileSync(new URL('../build/edgevae.wasm', import.meta.url));

describe('int8 activations on the shipped word model', () => {
  it('change at most 1 % of greedy token positions of 200 latents against the shipped int8-weights file', async () => {
    const { bytes } = await quantizeModel(shipped, { mode: 'int8' });
    const info = readModel(bytes);
    const recurrent = info.ops.filter((o) => o.opcode === Op.Lstm || o.opcode === Op.Gru);
    expect(recurrent.length).toBeGreaterThan(0);
    for (const o of recurrent) expect(o.params[7]).toBe(RECURRENT_INT8_ACTIVATIONS);
    const L = readModel(shipped).sequence!.latentSize;
    const rng = new Rng(11);
    const n = 200;
    const z = Float32Array.from({ length: n * L }, () => rng.normal());
    const decode = async (b: Uint8Array) => {
      const e = await Engine.create(wasm);
      await e.load(b, 64); // the assembly loader validates the file too
      return e.decodeSequences(z, n, {});
    };
    const base = await decode(shipped);
    const int8 = await decode(bytes);
    let changed = 0, total = 0, words = 0;
    base.forEach((r, i) => {
      const q = int8[i]!;
      const len = Math.max(r.length, q.length) + 1; // the stop token's position counts too
      total += len;
      for (let t = 0; t < len; t++) if ((r[t] ?? EOS) !== (q[t] ?? EOS)) changed++;
      if (r.join() !== q.join()) words++;
    });
    console.log(`words.evae int8: ${changed} of ${total} greedy token positions changed (${(100 * changed / total).toFixed(2)} %), ` +
      `${words} of ${n} words`);
    expect(new Set(base.map((r) => r.join())).size).toBeGreaterThan(50); // the latents decode to many different words
    expect(changed / total).toBeLessThanOrEqual(0.01);
  });
});
