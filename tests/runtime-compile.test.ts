// How the runtime module is compiled and instantiated on the load path (runtime/engine.ts compileRuntime,
// runtime/index.ts): synchronously where allowed, asynchronously when the host refuses with a RangeError
// (browsers' main-thread size limits), and without touching the global Response for byte sources (in Node 20
// the first access loads the fetch implementation, ~35 ms of a cold load).
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { EdgeVae, Engine } from '../runtime/index.js';
import { compileRuntime } from '../runtime/engine.js';
import { denseVaeBytes, DENSE_VAE } from './format-fixtures.js';
import { WASM_PATH } from './kernels/harness.js';

const haveWasm = existsSync(WASM_PATH);
if (!haveWasm && process.env.CI) throw new Error(`${WASM_PATH} is missing; npm test builds it first`);

const realModule = WebAssembly.Module;
const realInstance = WebAssembly.Instance;
const wa = WebAssembly as unknown as Record<'Module' | 'Instance', unknown>;

/** A stand-in for a constructor the host refuses to run synchronously, counting the attempts. */
function refusing(what: string, calls: { n: number }): unknown {
  return function refused() {
    calls.n++;
    throw new RangeError(`${what} is disallowed on the main thread (test stand-in)`);
  };
}

afterEach(() => {
  wa.Module = realModule;
  wa.Instance = realInstance;
});

describe.skipIf(!haveWasm)('compiling the runtime module', () => {
  const wasm = haveWasm ? new Uint8Array(readFileSync(WASM_PATH)) : new Uint8Array();

  it('compiles synchronously when allowed', async () => {
    const m = await compileRuntime(wasm);
    expect(m).toBeInstanceOf(WebAssembly.Module);
    expect(WebAssembly.Module.exports(m).map((e) => e.name)).toContain('load');
  });

  it('falls back to the async compile and instantiate when the host refuses synchronous ones', async () => {
    const refusals = { n: 0 };
    wa.Module = refusing('WebAssembly.Module', refusals);
    const m = await compileRuntime(wasm);
    wa.Module = realModule;
    expect(refusals.n).toBe(1);
    expect(m).toBeInstanceOf(WebAssembly.Module);
    wa.Instance = refusing('WebAssembly.Instance', refusals);
    const engine = await Engine.create(m);
    await engine.load(denseVaeBytes(), 2);
    expect(refusals.n).toBe(2);
    const [x] = engine.run('decode', new Float32Array(DENSE_VAE.latentSize).fill(0.5), 1);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it('passes other compile errors through', async () => {
    await expect(compileRuntime(new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 0, 0, 0]))).rejects.toThrow(WebAssembly.CompileError);
  });

  it('EdgeVae.load from bytes does not touch the global Response', async () => {
    // Resolve Node's lazy global first: its getter replaces itself on first use, which would remove the probe.
    const ResponseClass = globalThis.Response;
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'Response')!;
    let reads = 0;
    Object.defineProperty(globalThis, 'Response', { configurable: true, get: () => { reads++; return ResponseClass; } });
    try {
      const vae = await EdgeVae.load(denseVaeBytes(), { wasm });
      expect(vae.decode(new Float32Array(DENSE_VAE.latentSize), 1).length).toBeGreaterThan(0);
      expect(reads).toBe(0);
      // The probe works: a Response source is recognised through it.
      await EdgeVae.load(denseVaeBytes(), { wasm: new ResponseClass(wasm) });
      expect(reads).toBeGreaterThan(0);
    } finally {
      Object.defineProperty(globalThis, 'Response', descriptor);
    }
  });
});
