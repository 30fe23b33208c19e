// A team of threads computing one run together (intra-op threads, docs/threads.md): the threaded build
// (build/edgevae-threads.wasm) instantiated once per thread on one shared memory. This thread is member 0: it
// loads the model and calls run as usual; the other members sit in threadServe on their own threads and compute
// their share of each heavy op. Results are identical to one thread, bit for bit. Browser-safe.
import { Engine } from '../engine.js';
import { RuntimeError } from '../errors.js';
import type { MemberReport, MemberThread, TeamExports } from './protocol.js';

export type { MemberThread, MemberStart, MemberReport } from './protocol.js';

/** Largest team the threaded build accepts (assembly/threads/index.ts). */
export const MAX_THREADS = 64;
/** Pages of the shared memory's maximum: wasm32's 4 GiB, or 1 GiB where the host cannot reserve that much. */
const MAX_PAGES = [65536, 16384];

/** Why threads cannot be used on this host, or undefined when they can. */
export function threadsUnavailable(): string | undefined {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (serve it with COOP/COEP headers)';
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is unavailable';
  return undefined;
}

/** False on a browser's main thread, where Atomics.wait is forbidden: member 0 then spins at barriers. */
export function mayBlock(): boolean {
  const g = globalThis as { document?: unknown; process?: { versions?: { node?: string } } };
  return g.process?.versions?.node !== undefined || g.document === undefined;
}

export class Team {
  private stopped = false;

  private constructor(readonly engine: Engine, readonly size: number, private readonly threads: MemberThread[],
    private readonly reports: Promise<MemberReport>[]) {}

  /**
   * Loads `model` into a fresh engine of the threaded module on a new shared memory, with `size` - 1 member
   * threads; resolves once every member is ready. The members instantiate before the load (protocol.ts).
   */
  static async start(module: WebAssembly.Module, model: Uint8Array, maxBatch: number, size: number,
    spawn: () => MemberThread): Promise<Team> {
    const memory = sharedMemory();
    const engine = await Engine.create(module, { env: { memory } });
    const threads: MemberThread[] = [];
    const waits = new Map<MemberThread, { type: MemberReport['type']; resolve: () => void }>();
    const failures: Promise<never>[] = [];
    const stopped: Promise<MemberReport>[] = [];
    /** Resolves when every member sent `type` (rejects when one failed). */
    const all = (type: MemberReport['type']) => Promise.race([
      Promise.all(threads.map((t) => new Promise<void>((resolve) => waits.set(t, { type, resolve })))),
      ...failures,
    ]);
    let control = 0;
    try {
      for (let index = 1; index < size; index++) {
        const thread = spawn();
        threads.push(thread);
        let onFail!: (e: Error) => void, onStop!: (r: MemberReport) => void;
        failures.push(new Promise<never>((_, reject) => { onFail = reject; }));
        stopped.push(new Promise<MemberReport>((resolve) => { onStop = resolve; }));
        failures[failures.length - 1]!.catch(() => {}); // observed through `all`
        thread.listen((r) => {
          const w = waits.get(thread);
          if (w && w.type === r.type) w.resolve();
          if (r.type === 'failed') onFail(new RuntimeError(`thread ${index} failed: ${r.message}`, 0));
          if (r.type === 'failed' || r.type === 'stopped') onStop(r);
        });
      }
      const instantiated = all('instantiated');
      for (const t of threads) t.send({ type: 'instantiate', module: engine.wasmModule, memory });
      await instantiated;
      await engine.load(model, maxBatch);
      const exports = engine.exports as unknown as TeamExports;
      control = exports.threadSetup(size, mayBlock() ? 1 : 0) >>> 0;
      if (control === 0) throw new RuntimeError(
        `could not set up a team of ${size} threads (out of memory, or not the threaded build)`, -21);
      const ready = all('ready');
      threads.forEach((t, k) => t.send({ type: 'serve', control, members: size, index: k + 1 }));
      await ready;
    } catch (e) {
      if (control !== 0) (engine.exports as unknown as TeamExports).threadStop();
      await Promise.allSettled(threads.map((t) => t.terminate()));
      throw e;
    }
    return new Team(engine, size, threads, stopped);
  }

  /** Iterations members spin at a barrier before sleeping (default 20000; 0 sleeps at once: for busy machines). */
  setSpin(iterations: number): void {
    (this.engine.exports as unknown as TeamExports).threadSpin(iterations);
  }

  /** Releases the member threads (later runs use this thread alone) and ends them. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    (this.engine.exports as unknown as TeamExports).threadStop();
    await Promise.all(this.reports);
    await Promise.allSettled(this.threads.map((t) => t.terminate()));
  }
}

function sharedMemory(): WebAssembly.Memory {
  for (const maximum of MAX_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: 1, maximum, shared: true });
    } catch (e) {
      if (!(e instanceof RangeError) || maximum === MAX_PAGES[MAX_PAGES.length - 1]) throw e;
    }
  }
  throw new Error('unreachable');
}
