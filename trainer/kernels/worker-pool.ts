// Runs batches of train-kernel calls on several threads that share one WebAssembly memory.
// Node worker_threads; each worker instantiates the module on the shared memory and sleeps in
// Atomics.wait. tfjs kernels are synchronous, so the caller's thread runs the first share of the
// work itself and then blocks (Atomics.wait) until every worker has flagged its share done.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** One exported function call: [export name, ...integer arguments]. */
export type Call = [string, ...number[]];

const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const FAILED = 3;
const QUIT = 4;
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
port.postMessage('ready');
for (;;) {
  // Sleep until a job is posted (every post notifies), whatever the state says meanwhile.
  let state = Atomics.load(ctl, base);
  while (state !== ${POSTED} && state !== ${QUIT}) {
    Atomics.wait(ctl, base, state);
    state = Atomics.load(ctl, base);
  }
  if (state === ${QUIT}) break;
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

export class WorkerPool {
  private constructor(
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
    private readonly control: Int32Array,
    private readonly fnIndex: Map<string, number>,
  ) {}

  /** Starts `count` workers (threads besides the caller's). */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, names: string[], count: number): Promise<WorkerPool> {
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
        }),
      );
      workers.push(worker);
      ports.push(port1);
    }
    await Promise.all(ready);
    // Idle workers must not keep the process alive (only after 'ready': the await needs them).
    for (const w of workers) w.unref();
    for (const p of ports) p.unref();
    return new WorkerPool(workers, ports, control, new Map(names.map((n, i) => [n, i])));
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs shares[0] with `runHere` on this thread and shares[i] on worker i-1, concurrently;
   * returns when all are done. At most size + 1 shares.
   */
  run(shares: Call[][], runHere: (calls: Call[]) => void): void {
    if (shares.length > this.workers.length + 1) throw new Error(`worker pool: ${shares.length} shares for ${this.workers.length + 1} threads`);
    const ctl = this.control;
    for (let w = 1; w < shares.length; w++) {
      const base = (w - 1) * SLOT;
      let at = base + 1;
      const calls = shares[w]!;
      ctl[at++] = calls.length;
      for (const [name, ...args] of calls) {
        const fn = this.fnIndex.get(name);
        if (fn === undefined) throw new Error(`worker pool: unknown function ${name}`);
        if (at + 2 + args.length > base + SLOT) throw new Error('worker pool: too many call arguments for one share');
        ctl[at++] = fn;
        ctl[at++] = args.length;
        for (const a of args) ctl[at++] = a | 0; // wasm i32 arguments: offsets above 2 GiB wrap to the same bits
      }
      Atomics.store(ctl, base, POSTED);
      Atomics.notify(ctl, base);
    }
    let failure: unknown;
    try {
      runHere(shares[0] ?? []);
    } catch (e) {
      failure = e;
    }
    const errors: string[] = [];
    for (let w = 1; w < shares.length; w++) {
      const base = (w - 1) * SLOT;
      while (Atomics.load(ctl, base) === POSTED) Atomics.wait(ctl, base, POSTED);
      if (Atomics.load(ctl, base) === FAILED) {
        const message = receiveMessageOnPort(this.ports[w - 1]!)?.message;
        errors.push(`worker ${w}: ${String(message ?? 'unknown error')}`);
      }
      Atomics.store(ctl, base, IDLE);
    }
    if (failure !== undefined) throw failure;
    if (errors.length > 0) throw new Error(`train kernels: ${errors.join('; ')}`);
  }

  async terminate(): Promise<void> {
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.control, w * SLOT, QUIT);
      Atomics.notify(this.control, w * SLOT);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
  }
}
