// Runs batches of train-kernel calls on several threads that share one WebAssembly memory.
// Node worker_threads; each worker instantiates the module on the shared memory and sleeps in
// Atomics.wait. tfjs kernels are synchronous, so the caller's thread runs the first share of the
// work itself and then blocks (Atomics.wait) until every worker has flagged its share done.
// A worker that dies (uncaught error, process.exit, terminate(), out of memory) must not hang the
// caller: its slot is marked DEAD (by the thread's own exit hook when JS still runs there, else by
// the 'exit' event), the caller's wait is bounded by callTimeoutMs, and from then on the dead
// worker's shares run on the caller's thread.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** One exported function call: [export name, ...integer arguments]. */
export type Call = [string, ...number[]];

const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const FAILED = 3;
const QUIT = 4;
const DEAD = 5;
/** Int32 slots per worker: state, then the encoded calls. */
const SLOT = 256;

// The worker is an eval'd CommonJS script so it runs the same under tsx, vitest and compiled JS.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names, index, port } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const fns = names.map((n) => instance.exports[n]);
const ctl = new Int32Array(control);
const base = index * ${SLOT};
// Runs on process.exit and uncaught errors (not on terminate() or out of memory): wake the caller.
process.on('exit', () => {
  Atomics.store(ctl, base, ${DEAD});
  Atomics.notify(ctl, base);
});
port.postMessage('ready');
for (;;) {
  // Sleep until a job is posted (every post notifies), whatever the state says meanwhile.
  let state = Atomics.load(ctl, base);
  while (state !== ${POSTED} && state !== ${QUIT} && state !== ${DEAD}) {
    Atomics.wait(ctl, base, state);
    state = Atomics.load(ctl, base);
  }
  if (state === ${QUIT} || state === ${DEAD}) break;
  try {
    let at = base + 1;
    const calls = ctl[at++];
    for (let c = 0; c < calls; c++) {
      const fn = fns[ctl[at++]];
      const argc = ctl[at++];
      const args = [];
      for (let a = 0; a < argc; a++) args.push(ctl[at++]);
      fn(...args);
    }
    Atomics.store(ctl, base, ${DONE});
  } catch (e) {
    port.postMessage(String(e && e.stack || e));
    Atomics.store(ctl, base, ${FAILED});
  }
  Atomics.notify(ctl, base);
}
`;

/** How long the caller waits for a worker's share by default before declaring the worker dead. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

export interface WorkerPoolOptions {
  /** Longest wait for one worker's share in one run() call; default DEFAULT_CALL_TIMEOUT_MS. */
  callTimeoutMs?: number;
}

export class WorkerPool {
  /** Whether worker i still takes shares; false once it died or missed a deadline. */
  private readonly alive: boolean[];
  private stopping = false;

  private constructor(
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
    private readonly control: Int32Array,
    private readonly fnIndex: Map<string, number>,
    private readonly callTimeoutMs: number,
  ) {
    this.alive = workers.map(() => true);
    workers.forEach((worker, i) => {
      // Without an 'error' listener a thread-level error in a worker would crash this process.
      worker.on('error', (e) => this.markDead(i, `error: ${String(e)}`));
      worker.on('exit', (code) => this.markDead(i, `exited with code ${code}`));
    });
  }

  /** Starts `count` workers (threads besides the caller's). */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    names: string[],
    count: number,
    options: WorkerPoolOptions = {},
  ): Promise<WorkerPool> {
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (!(callTimeoutMs > 0)) throw new Error(`worker pool: callTimeoutMs must be positive, got ${callTimeoutMs}`);
    const control = new Int32Array(new SharedArrayBuffer(count * SLOT * 4));
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control: control.buffer, names, index, port: port2 },
        transferList: [port2],
      });
      ready.push(
        new Promise((resolve, reject) => {
          port1.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`worker pool: worker ${index + 1} exited with code ${code} while starting`)));
        }),
      );
      workers.push(worker);
      ports.push(port1);
    }
    await Promise.all(ready);
    // Idle workers must not keep the process alive (only after 'ready': the await needs them).
    for (const w of workers) w.unref();
    for (const p of ports) p.unref();
    return new WorkerPool(workers, ports, control, new Map(names.map((n, i) => [n, i])), callTimeoutMs);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Workers still taking shares (the others' shares run on the calling thread). */
  get liveWorkers(): number {
    return this.alive.filter(Boolean).length;
  }

  /**
   * Runs shares[0] with `runHere` on this thread and shares[i] on worker i-1, concurrently;
   * returns when all are done. At most size + 1 shares. A dead worker's share runs here too.
   */
  run(shares: Call[][], runHere: (calls: Call[]) => void): void {
    if (shares.length > this.workers.length + 1) throw new Error(`worker pool: ${shares.length} shares for ${this.workers.length + 1} threads`);
    const ctl = this.control;
    const posted: number[] = [];
    const orphans: Call[][] = [];
    // Post only to idle slots of live workers (an exited worker's own hook leaves DEAD there).
    // Encode every share before posting any, so a bad call throws with no worker busy.
    const takers = Array.from({ length: shares.length }, (_, w) => w > 0 && this.alive[w - 1]! && Atomics.load(ctl, (w - 1) * SLOT) === IDLE);
    for (let w = 1; w < shares.length; w++) if (takers[w]) this.encode((w - 1) * SLOT, shares[w]!);
    for (let w = 1; w < shares.length; w++) {
      const base = (w - 1) * SLOT;
      if (takers[w] && Atomics.compareExchange(ctl, base, IDLE, POSTED) === IDLE) {
        Atomics.notify(ctl, base);
        posted.push(w);
      } else {
        this.markDead(w - 1, 'exited');
        orphans.push(shares[w]!);
      }
    }
    let failure: unknown;
    try {
      runHere(shares[0] ?? []);
      for (const calls of orphans) runHere(calls);
    } catch (e) {
      failure = e;
    }
    const errors: string[] = [];
    const deadline = performance.now() + this.callTimeoutMs;
    for (const w of posted) {
      const base = (w - 1) * SLOT;
      let state = Atomics.load(ctl, base);
      while (state === POSTED) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        Atomics.wait(ctl, base, POSTED, left);
        state = Atomics.load(ctl, base);
      }
      if (state === POSTED || state === DEAD) {
        // The share may be half done: fail this call rather than guess; later calls skip the worker.
        const why = state === DEAD ? 'exited' : `did not finish within ${this.callTimeoutMs} ms (died or hangs)`;
        this.markDead(w - 1, why);
        errors.push(`worker ${w} ${why} during this call`);
        continue;
      }
      if (state === FAILED) {
        const message = receiveMessageOnPort(this.ports[w - 1]!)?.message;
        errors.push(`worker ${w}: ${String(message ?? 'unknown error')}`);
      }
      Atomics.store(ctl, base, IDLE);
    }
    if (failure !== undefined) throw failure;
    if (errors.length > 0) throw new Error(`train kernels: ${errors.join('; ')}`);
  }

  /** Test hook: terminates worker `index` (0-based) as an outside crash would, without telling the pool. */
  killWorkerForTest(index: number): Promise<number> {
    const worker = this.workers[index];
    if (!worker) throw new Error(`worker pool: no worker ${index}`);
    return worker.terminate();
  }

  async terminate(): Promise<void> {
    this.stopping = true;
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.control, w * SLOT, QUIT);
      Atomics.notify(this.control, w * SLOT);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
  }

  /** Writes a share's calls into slot `base` (after the state word). */
  private encode(base: number, calls: Call[]): void {
    const ctl = this.control;
    let at = base + 1;
    ctl[at++] = calls.length;
    for (const [name, ...args] of calls) {
      const fn = this.fnIndex.get(name);
      if (fn === undefined) throw new Error(`worker pool: unknown function ${name}`);
      if (at + 2 + args.length > base + SLOT) throw new Error('worker pool: too many call arguments for one share');
      ctl[at++] = fn;
      ctl[at++] = args.length;
      for (const a of args) ctl[at++] = a | 0; // wasm i32 arguments: offsets above 2 GiB wrap to the same bits
    }
  }

  /** Stops giving worker i shares, tells stderr once, and makes sure the thread is gone. */
  private markDead(i: number, why: string): void {
    if (this.stopping || !this.alive[i]) return;
    this.alive[i] = false;
    Atomics.store(this.control, i * SLOT, DEAD); // a hung worker that wakes up leaves its loop
    Atomics.notify(this.control, i * SLOT);
    process.stderr.write(`train kernels: worker ${i + 1} ${why}; its shares run on the calling thread from now on\n`);
    void this.workers[i]!.terminate().catch(() => {});
  }
}
