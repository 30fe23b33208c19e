// The slicing-by-16 CRC-32 in TypeScript (format/crc32.ts) and in the wasm loader (assembly/crc32.ts),
// against node:zlib and a plain byte-at-a-time twin; and Engine.load, which leaves the checksum to the wasm
// loader, still naming a checksum problem exactly as readModel does.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '../format/crc32.js';
import { Engine } from '../runtime/engine.js';
import { ModelFormatError } from '../runtime/errors.js';
import { readModel } from '../runtime/format.js';
import { opZooBytes } from '../fuzz/corpus.js';
import { mutate } from '../fuzz/mutate.js';
import { Rng } from '../fuzz/rng.js';
import { convVaeBytes, denseVaeBytes, refreshChecksum } from './format-fixtures.js';
import { rng, WASM_PATH, WasmRuntime } from './kernels/harness.js';

const haveWasm = existsSync(WASM_PATH);
if (!haveWasm && process.env.CI) throw new Error(`${WASM_PATH} is missing; npm test builds it first`);
const BAD_CHECKSUM = -5;

/** Reference twin: the textbook one-byte-per-step table loop. */
function referenceCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

function randomBytes(n: number, rand: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

describe('crc32 (TypeScript)', () => {
  const rand = rng(11);

  it('equals zlib and the byte-wise twin for every length 0..80 at every alignment of the view', () => {
    const backing = randomBytes(100, rand);
    for (let shift = 0; shift < 4; shift++) {
      for (let n = 0; n <= 80; n++) {
        const view = backing.subarray(shift, shift + n);
        const want = referenceCrc32(view);
        expect(zlibCrc32(view)).toBe(want);
        expect(crc32(view)).toBe(want);
      }
    }
  });

  it('honours start/end and continues a running checksum on a large buffer', () => {
    const big = randomBytes(300_007, rand);
    expect(crc32(big)).toBe(zlibCrc32(big));
    for (const [start, end] of [[16, big.length], [1, 70_001], [3, 3], [5, 21], [123_456, 123_470]]) {
      expect(crc32(big, start, end)).toBe(referenceCrc32(big.subarray(start, end)));
    }
    for (const cut of [0, 1, 15, 16, 17, 150_000, big.length]) {
      expect(crc32(big, cut, big.length, crc32(big, 0, cut))).toBe(zlibCrc32(big));
    }
  });
});

describe.skipIf(!haveWasm)('crc32 (wasm loader)', () => {
  /** A valid model followed by `extra` trailing bytes (outside every section), header size and checksum fixed. */
  function withTrailer(extra: Uint8Array): Uint8Array {
    const base = denseVaeBytes();
    const b = new Uint8Array(base.length + extra.length);
    b.set(base);
    b.set(extra, base.length);
    new DataView(b.buffer).setUint32(8, b.length, true);
    refreshChecksum(b);
    return b;
  }

  it('accepts exactly the zlib checksum for file lengths covering every remainder mod 16', () => {
    const rand = rng(12);
    for (let extra = 0; extra < 40; extra++) {
      const b = withTrailer(randomBytes(extra, rand));
      expect(new DataView(b.buffer).getUint32(12, true)).toBe(zlibCrc32(b.subarray(16)));
      expect(new WasmRuntime().load(b)).toBe(0);
      for (const bit of [0, 13, 31]) {
        const wrong = b.slice();
        new DataView(wrong.buffer).setUint32(12, (zlibCrc32(b.subarray(16)) ^ (1 << bit)) >>> 0, true);
        expect(new WasmRuntime().load(wrong)).toBe(BAD_CHECKSUM);
      }
    }
  });

  it('refuses a stale checksum after any single-byte change, in every lane of a 16-byte block and in the tail', () => {
    const b = withTrailer(randomBytes(7, rng(13)));
    const positions = [16, 17, 18, 19, 20, 23, 24, 27, 28, 31, 32, 47, b.length - 8, b.length - 7, b.length - 1];
    for (let i = 16; i < b.length; i += 97) positions.push(i);
    for (const at of positions) {
      const bad = b.slice();
      bad[at] ^= 1 << (at % 8);
      expect(new WasmRuntime().load(bad), `byte ${at}`).toBe(BAD_CHECKSUM);
    }
  });
});

describe.skipIf(!haveWasm)('Engine.load and the checksum', () => {
  const wasm = haveWasm ? readFileSync(WASM_PATH) : new Uint8Array();

  async function loadError(bytes: Uint8Array, maxBatch = 4): Promise<Error> {
    const engine = await Engine.create(wasm);
    try {
      await engine.load(bytes, maxBatch);
    } catch (e) {
      return e as Error;
    }
    throw new Error('the load was expected to fail');
  }

  function readError(bytes: Uint8Array): Error {
    try {
      readModel(bytes);
    } catch (e) {
      return e as Error;
    }
    throw new Error('readModel was expected to fail');
  }

  it('readModel skips the CRC only when asked to', () => {
    const b = denseVaeBytes();
    b[b.length - 2] ^= 0x40; // a weight byte: only the checksum notices
    expect(() => readModel(b)).toThrow(/^checksum mismatch: header says 0x[0-9a-f]{8}, bytes \[16, \d+\) have CRC-32/);
    expect(readModel(b, { skipChecksum: true }).fileSize).toBe(b.length);
  });

  it('a corrupted weight (found by the wasm loader) gives readModel\'s checksum message', async () => {
    const b = denseVaeBytes();
    b[b.length - 2] ^= 0x40;
    const e = await loadError(b);
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toBe(readError(b).message);
  });

  it('a corruption that also breaks the structure is still reported as a checksum mismatch first', async () => {
    const b = denseVaeBytes();
    new DataView(b.buffer).setUint32(16, 7, true); // header flags must be 0
    expect(() => readModel(b, { skipChecksum: true })).toThrow('header flags are 7');
    const e = await loadError(b);
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/^checksum mismatch/);
    expect(e.message).toBe(readError(b).message);
    // With the checksum fixed up, the structural problem is what remains.
    refreshChecksum(b);
    expect((await loadError(b)).message).toBe('model file: header flags are 7, expected 0 or 1 (7-bit relu activations)');
  });

  it('a corrupted file whose arena would be too large for maxBatch is reported as corrupted', async () => {
    const b = denseVaeBytes();
    new DataView(b.buffer).setUint32(60, 0x7fff_0000, true); // arenaPerSample, checksum left stale
    expect(readModel(b, { skipChecksum: true }).arenaPerSample).toBe(0x7fff_0000);
    expect((await loadError(b, 2)).message).toBe(readError(b).message);
    refreshChecksum(b);
    expect((await loadError(b, 2)).message).toMatch(/^maxBatch 2 needs a \d+-byte arena/);
  });

  it('on mutated files (checksum fixed or stale), every file readModel refuses fails to load with its exact message', async () => {
    const sources = [denseVaeBytes(), convVaeBytes(), opZooBytes()];
    let refused = 0, stale = 0;
    for (let i = 0; i < 600; i++) {
      const m = mutate(sources[i % sources.length], new Rng(9000 + i));
      let expected: string | undefined;
      try { readModel(m.bytes); } catch (e) { expected = (e as Error).message; }
      if (expected === undefined) continue; // accepted by TypeScript: the wasm loader's own verdict is tested elsewhere
      refused++;
      if (expected.startsWith('checksum mismatch')) stale++;
      const e = await loadError(m.bytes);
      expect(e, `case ${i}: ${m.steps.join('; ')}`).toBeInstanceOf(ModelFormatError);
      expect(e.message, `case ${i}: ${m.steps.join('; ')}`).toBe(expected);
    }
    // Both paths were exercised: checksum refusals and refusals past the checksum.
    expect(stale).toBeGreaterThan(30);
    expect(refused - stale).toBeGreaterThan(100);
  });

  it('a valid model still loads and its info equals readModel\'s', async () => {
    const b = denseVaeBytes();
    const engine = await Engine.create(wasm);
    expect(await engine.load(b, 2)).toEqual(readModel(b));
  });
});
