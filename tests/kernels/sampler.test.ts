import { describe, it, expect, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { compactLog, sinCos2Pi } from '../../reference/compact-math.js';
import { WasmRuntime, rng } from './harness.js';

/** The algorithm of docs/format.md "Sampler", written independently in TypeScript with JS Math. */
function referenceNormals(count: number, seed: number, temperature: number): Float64Array {
  let mix = seed >>> 0;
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) >>> 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [splitmix32(), splitmix32(), splitmix32(), splitmix32()];
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3] >>> 0, 11);
    return result;
  };
  const uniform = (): number => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1)) * temperature;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

describe('sampleNormal', () => {
  it('is deterministic across instances and prefix-stable; seeds differ', () => {
    const a = new WasmRuntime().sampleNormal(1001, 42, 1);
    const b = new WasmRuntime().sampleNormal(1001, 42, 1);
    const prefix = new WasmRuntime().sampleNormal(7, 42, 1);
    const other = new WasmRuntime().sampleNormal(1001, 43, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(prefix)).toEqual(Array.from(a.subarray(0, 7)));
    expect(other.filter((v, i) => v === a[i]).length).toBeLessThan(5);
  });

  it('matches the documented algorithm (TypeScript re-implementation, 1e-6 relative)', () => {
    for (const seed of [0, 1, 0xdeadbeef, 2 ** 32 - 1]) {
      const got = new WasmRuntime().sampleNormal(513, seed, 0.8);
      const ref = referenceNormals(513, seed, 0.8);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-6 * Math.abs(ref[i]) + 1e-12);
    }
  });

  it('has mean ~0, std ~1 and Gaussian mass within one sigma', () => {
    const n = 200_000;
    const v = new WasmRuntime().sampleNormal(n, 7, 1);
    let sum = 0, sq = 0, within = 0;
    for (const x of v) { sum += x; sq += x * x; if (Math.abs(x) < 1) within++; }
    const mean = sum / n;
    const std = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.01); // 4.5 standard errors
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    expect(Math.abs(within / n - 0.682689)).toBeLessThan(0.005);
  });

  it('temperature scales the values', () => {
    const rt = new WasmRuntime();
    const one = rt.sampleNormal(999, 5, 1);
    const half = rt.sampleNormal(999, 5, 0.5);
    const warm = rt.sampleNormal(999, 5, 1.7);
    const zero = rt.sampleNormal(999, 5, 0);
    for (let i = 0; i < one.length; i++) {
      expect(half[i]).toBe(one[i] / 2); // scaling by a power of two is exact
      expect(Math.abs(warm[i] - 1.7 * one[i])).toBeLessThanOrEqual(1e-6 * Math.abs(warm[i]) + 1e-12);
      expect(zero[i] === 0).toBe(true);
    }
  });
});

/** Random 53-bit uniforms in [0, 1) like the sampler's, plus the edges of the reductions. */
function uniforms(count: number, seed: number): number[] {
  const rand = rng(seed);
  const edges = [0, 2 ** -53, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1 - 2 ** -53, Math.SQRT1_2, 1 - Math.SQRT1_2];
  const near = edges.flatMap((e) => [e - 2 ** -40, e + 2 ** -40, e - 2 ** -52, e + 2 ** -52]).filter((u) => u >= 0 && u < 1);
  const random = Array.from({ length: count }, () => (Math.floor(rand() * 2 ** 27) * 2 ** 26 + Math.floor(rand() * 2 ** 26)) / 2 ** 53);
  return [...edges, ...near, ...random];
}

/** Spacing of doubles at v (one unit in the last place). */
const ulp = (v: number): number => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52);

/** Collects the first few failed checks of a dense sweep (one expect per point would dominate the run time). */
function failures(): { check(ok: boolean, what: () => string): void; list: string[] } {
  const list: string[] = [];
  return { list, check: (ok, what) => { if (!ok && list.length < 5) list.push(what()); } };
}

// The JavaScript twin is bit-identical to the wasm code (tests/quant-math.test.ts), so these checks cover both.
describe('compact log and sinCos2Pi of the sampler vs JS Math', () => {
  it('log is within 3 ulp of Math.log on (0, 1] and (1, 2]', () => {
    const f = failures();
    for (const u of uniforms(100_000, 11)) {
      for (const x of [1 - u, 1 + u]) {
        const want = Math.log(x), got = compactLog(x);
        f.check(want === 0 ? got === 0 : Math.abs(got - want) <= 3 * ulp(want), () => `log(${x}) = ${got}, Math.log ${want}`);
      }
    }
    expect(f.list).toEqual([]);
    expect(compactLog(2 ** -53)).toBeCloseTo(-53 * Math.LN2, 14);
  });

  it('sin and cos of 2 pi u are within 1e-15 of Math.sin/Math.cos(2 pi u)', () => {
    // Math.sin(2 * Math.PI * u) itself carries the rounding of 2 pi u (up to 4.4e-16 at u ~ 1): compare absolutely.
    const f = failures();
    for (const u of uniforms(100_000, 12)) {
      const [s, c] = sinCos2Pi(u);
      f.check(Math.abs(s - Math.sin(2 * Math.PI * u)) <= 1e-15, () => `sin(2 pi ${u}) = ${s}`);
      f.check(Math.abs(c - Math.cos(2 * Math.PI * u)) <= 1e-15, () => `cos(2 pi ${u}) = ${c}`);
    }
    expect(f.list).toEqual([]);
  });

  it('stays relatively accurate next to the zeros (reference on the exactly reduced angle)', () => {
    const rand = rng(13);
    const f = failures();
    for (let i = 0; i < 20_000; i++) {
      const offset = rand() * 2 ** -(3 + 40 * rand()); // from 2^-43 to 1/8
      for (const [zero, sign, which] of [[0, 1, 0], [0.5, -1, 0], [0.25, -1, 1], [0.75, 1, 1]] as const) {
        // sin(2 pi (1/2 + d)) = -sin(2 pi d), cos(2 pi (1/4 + d)) = -sin(2 pi d), cos(2 pi (3/4 + d)) = sin(2 pi d);
        // d = u - zero is exact, and Math.sin(2 pi d) is relatively accurate for small d.
        const u = zero + offset;
        const d = u - zero;
        const got = sinCos2Pi(u)[which];
        const want = sign * Math.sin(2 * Math.PI * d);
        f.check(Math.abs(got - want) <= 3 * ulp(want), () => `u = ${zero} + ${d}: ${got}, expected ${want}`);
      }
    }
    expect(f.list).toEqual([]);
  });

  it('sin^2 + cos^2 = 1 within 2 ulp and the signs follow the quadrant', () => {
    const f = failures();
    for (const u of uniforms(100_000, 14)) {
      const [s, c] = sinCos2Pi(u);
      f.check(Math.abs(s * s + c * c - 1) <= 2 ** -51, () => `sin^2 + cos^2 - 1 = ${s * s + c * c - 1} at u = ${u}`);
      const q = Math.floor(u * 4);
      if (u !== q / 4) {
        f.check(Math.sign(s) === (q < 2 ? 1 : -1), () => `sin sign at ${u}: ${s}`);
        f.check(Math.sign(c) === (q === 0 || q === 3 ? 1 : -1), () => `cos sign at ${u}: ${c}`);
      }
    }
    expect(f.list).toEqual([]);
  });
});

interface CompactMathExports {
  exp(x: number): number;
  log(x: number): number;
  sinCos2Pi(u: number): void;
  sin2PiResult: WebAssembly.Global;
  cos2PiResult: WebAssembly.Global;
}

// The runtime exports only sampleNormal (f32), which cannot show the f64 results; compiling compact_math.ts alone
// exposes its functions, so the wasm f64 values can be compared bit for bit with the JavaScript twin.
describe('assembly/kernels/compact_math.ts compiled alone', () => {
  let wasm: CompactMathExports;
  beforeAll(async () => {
    const { default: asc } = await import('assemblyscript/asc');
    let binary: Uint8Array<ArrayBuffer> | undefined;
    const source = fileURLToPath(new URL('../../assembly/kernels/compact_math.ts', import.meta.url));
    const { error } = await asc.main([source, '--outFile', 'compact_math.wasm', '-O3', '--runtime', 'stub', '--use', 'abort=', '--noAssert'], {
      writeFile: (name: string, contents: string | Uint8Array) => {
        if (name.endsWith('.wasm') && typeof contents !== 'string') binary = new Uint8Array(contents);
      },
    });
    if (error || !binary) throw new Error(`compiling compact_math.ts failed: ${error?.message ?? 'no output'}`);
    wasm = new WebAssembly.Instance(new WebAssembly.Module(binary), {}).exports as unknown as CompactMathExports;
  }, 60_000);

  it('log and sinCos2Pi give the same doubles as the JavaScript twin', () => {
    const f = failures();
    for (const u of uniforms(100_000, 15)) {
      for (const x of [1 - u, 1 + u]) f.check(Object.is(wasm.log(x), compactLog(x)), () => `log(${x}): wasm ${wasm.log(x)}, JS ${compactLog(x)}`);
      wasm.sinCos2Pi(u);
      const [s, c] = sinCos2Pi(u);
      f.check(Object.is(wasm.sin2PiResult.value, s) && Object.is(wasm.cos2PiResult.value, c), () => `sinCos2Pi(${u}) differs`);
    }
    expect(f.list).toEqual([]);
  });

  it('exp (scalar activations) is within 3e-13 relative of Math.exp on [-700, 700], saturating beyond', () => {
    const rand = rng(16);
    const f = failures();
    for (let i = 0; i < 200_000; i++) {
      const x = i < 100_000 ? (rand() - 0.5) * 1400 : (rand() - 0.5) * 2 ** -(40 * rand()); // wide, and near 0
      const want = Math.exp(x), got = wasm.exp(x);
      f.check(Math.abs(got - want) <= 3e-13 * want, () => `exp(${x}) = ${got}, Math.exp ${want}`);
    }
    expect(f.list).toEqual([]);
    expect(wasm.exp(0)).toBe(1);
    expect(wasm.exp(1e6)).toBe(wasm.exp(700));
    expect(wasm.exp(-Infinity)).toBe(wasm.exp(-700));
    expect(Number.isNaN(wasm.exp(NaN))).toBe(true);
  });
});
