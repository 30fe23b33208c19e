// Load test for `edgevae serve` on 127.0.0.1, with our own client (no external tool):
// N concurrent connections of mixed kinds for a fixed time, against the real CLI in a child process.
//
//   npx tsx bench/serve-load.ts                       # 1,000 connections for 10 minutes (the README figures)
//   npx tsx bench/serve-load.ts --connections 200 --seconds 20 --json out.json
//
// Connection kinds (by slot): most are keep-alive clients fetching allow-listed files and timing each request;
// the rest are slow clients that trickle header bytes, clients that disconnect mid-response, oversized headers,
// malformed request lines and path-traversal attempts. The server's RSS and open descriptors are read from
// /proc at the start and the end; a file that is not on the allow-list must never come back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from '../converter/index.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const SECRET = 'edgevae-load-test-secret-4f1c';

export interface LoadOptions {
  connections: number;
  seconds: number;
  /** The server's --max-connections (default: its own default). */
  maxConnections?: number;
  /** A valid client waits thinkMs..2*thinkMs between its requests (default 200). */
  thinkMs?: number;
  log?: (line: string) => void;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  validRequests: number;
  validFailures: number;
  /** What the failed valid requests saw, counted by kind. */
  failureReasons: Record<string, number>;
  /** Requests resent on a new connection because the server closed a keep-alive socket as they went out. */
  retries: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests of each hostile kind sent, and how many got the expected treatment. */
  hostile: Record<string, { sent: number; handled: number }>;
  leaks: number;
  server: { rssStartMiB: number; rssPeakMiB: number; rssEndMiB: number; fdsStart: number; fdsPeak: number; fdsEnd: number };
  /** Server RSS (MiB) at each tenth of the run: flat after warm-up means no leak. */
  rssTimeline: number[];
  serverStderr: string;
}

type Kind = 'valid' | 'slow' | 'abort' | 'oversized' | 'malformed' | 'traversal';

/** Slot i's kind: 75 % valid clients, 5 % each hostile kind. */
export function kindOf(slot: number): Kind {
  const k = slot % 20;
  if (k < 15) return 'valid';
  return (['slow', 'abort', 'oversized', 'malformed', 'traversal'] as const)[k - 15];
}

const VALID_PATHS = ['/', '/index.html', '/app.js', '/edgevae.wasm', '/model.evae', '/kiosk.json'];
const TRAVERSALS = ['/../secret.txt', '/%2e%2e/secret.txt', '/secret.txt', '/..%2fsecret.txt', '//etc/passwd', '/index.html/../secret.txt'];

/** A kiosk folder and a real model in a temp dir, plus a secret file beside both that must never be served. */
export async function prepare(dir: string): Promise<{ model: string; kiosk: string; sizes: Map<string, number> }> {
  const kiosk = join(dir, 'kiosk');
  mkdirSync(kiosk);
  const built = join(ROOT, 'build', 'kiosk');
  for (const f of ['index.html', 'app.js', 'edgevae.wasm']) copyFileSync(join(built, f), join(kiosk, f));
  writeFileSync(join(kiosk, 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  const { bytes } = await convert({ decoder: join(ROOT, 'models', 'default', 'decoder.onnx') });
  const model = join(dir, 'model.evae');
  writeFileAtomic(model, bytes);
  const sizes = new Map<string, number>([
    ['/', readFileSync(join(kiosk, 'index.html')).length],
    ['/index.html', readFileSync(join(kiosk, 'index.html')).length],
    ['/app.js', readFileSync(join(kiosk, 'app.js')).length],
    ['/edgevae.wasm', readFileSync(join(kiosk, 'edgevae.wasm')).length],
    ['/model.evae', bytes.length],
  ]);
  return { model, kiosk, sizes };
}

/** Starts `edgevae serve` (the CLI users run) and resolves with its port once it prints its URL. */
export function startServer(model: string, kiosk: string, maxConnections: number | undefined, stderr: string[]): Promise<{ child: ChildProcess; port: number }> {
  const args = [join(ROOT, 'bin', 'edgevae.js'), 'serve', '--model', model, '--port', '0', '--kiosk-dir', kiosk];
  if (maxConnections !== undefined) args.push('--max-connections', String(maxConnections));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out} ${stderr.join('')}`)), 60_000);
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.stderr!.on('data', (c) => stderr.push(String(c)));
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${stderr.join('')}`)); });
  });
}

function processStats(pid: number): { rssMiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMiB: rssKiB / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One HTTP/1.1 response read off a keep-alive socket: status and body length (by content-length). */
class ResponseReader {
  private buf = Buffer.alloc(0);
  /** Bytes of an unfinished response are waiting (a close now is a real failure, not a keep-alive race). */
  get partial(): boolean { return this.buf.length > 0; }
  private waiter: ((r: { status: number; body: Buffer } | Error) => void) | undefined;
  constructor(private socket: Socket) {
    socket.on('data', (c: Buffer) => { this.buf = Buffer.concat([this.buf, c]); this.pump(); });
    socket.on('close', () => this.fail(new Error('closed')));
    socket.on('error', (e) => this.fail(e));
  }
  next(): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      this.waiter = (r) => (r instanceof Error ? reject(r) : resolve(r));
      this.pump();
    });
  }
  private fail(e: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(e);
  }
  private pump(): void {
    if (!this.waiter) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buf.length < end + 4 + length) return;
    const body = this.buf.subarray(end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    const w = this.waiter;
    this.waiter = undefined;
    w({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body });
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Whole raw exchange on a fresh connection: what the server sent until it closed (or the deadline). */
function exchange(port: number, request: string, deadlineMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { s.destroy(); resolve(Buffer.concat(chunks).toString('latin1')); }, deadlineMs);
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')); });
    s.on('error', () => undefined);
    s.write(request);
  });
}

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = mkdtempSync(join(tmpdir(), 'edgevae-load-'));
  const stderr: string[] = [];
  let child: ChildProcess | undefined;
  try {
    const { model, kiosk, sizes } = await prepare(dir);
    const started = await startServer(model, kiosk, opts.maxConnections, stderr);
    child = started.child;
    const port = started.port;
    const pid = child.pid!;
    const latencies: number[] = [];
    const hostile: LoadResult['hostile'] = {};
    for (const k of ['slow', 'abort', 'oversized', 'malformed', 'traversal']) hostile[k] = { sent: 0, handled: 0 };
    let validFailures = 0;
    let retries = 0;
    const failureReasons: Record<string, number> = {};
    const failed = (reason: string): void => { validFailures++; failureReasons[reason] = (failureReasons[reason] ?? 0) + 1; };
    let leaks = 0;
    const count = (kind: string, ok: boolean): void => { hostile[kind].sent++; if (ok) hostile[kind].handled++; };

    const start = processStats(pid);
    let peak = { ...start };
    const sampler = setInterval(() => {
      try {
        const s = processStats(pid);
        peak = { rssMiB: Math.max(peak.rssMiB, s.rssMiB), fds: Math.max(peak.fds, s.fds) };
      } catch { /* exited */ }
    }, 250);
    const t0 = Date.now();
    const until = t0 + opts.seconds * 1000;
    const rssTimeline: number[] = [];
    const tenths = setInterval(() => {
      try { rssTimeline.push(Math.round(processStats(pid).rssMiB * 10) / 10); } catch { /* exited */ }
    }, opts.seconds * 100);

    const think = opts.thinkMs ?? 200;
    const validClient = async (slot: number): Promise<void> => {
      let i = slot;
      while (Date.now() < until) {
        let socket: Socket;
        try { socket = await open(port); } catch (e) { failed(`connect: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); await sleep(100); continue; }
        const reader = new ResponseReader(socket);
        // Up to 50 requests per connection (keep-alive), then a fresh one, as browsers do.
        for (let r = 0; r < 50 && Date.now() < until; r++) {
          const path = VALID_PATHS[i++ % VALID_PATHS.length];
          const t0 = performance.now();
          socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
          try {
            const res = await reader.next();
            latencies.push(performance.now() - t0);
            const expected = sizes.get(path);
            if (res.status !== 200) failed(`status ${res.status}`);
            else if (expected !== undefined && res.body.length !== expected) failed('short body');
            if (res.body.includes(SECRET)) leaks++;
          } catch (e) {
            // The server may close an idle keep-alive socket just as a request goes out; browsers resend such
            // a request on a new connection, and so do we (once: the same path again, counted as a retry).
            // (RFC 9112 9.3.1: an idempotent request on a reused connection may be retried; a reset is the same race.)
            const raced = (e as Error).message === 'closed' || (e as NodeJS.ErrnoException).code === 'ECONNRESET';
            if (raced && !reader.partial && r > 0) { retries++; i--; break; }
            failed(`${(e as Error).message}${reader.partial ? ' mid-response' : r === 0 ? ' before the first response' : ''}`);
            break;
          }
          await sleep(think + (slot % think)); // a person at a kiosk, not a tight loop
        }
        socket.destroy();
      }
    };

    const hostileClient = async (kind: Kind, slot: number): Promise<void> => {
      let i = slot;
      while (Date.now() < until) {
        switch (kind) {
          case 'slow': {
            // One header byte every 400 ms: the header deadline must end it well before it completes.
            const t0 = Date.now();
            const closed = await new Promise<boolean>((resolve) => {
              const s = connect(port, '127.0.0.1');
              const req = 'GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'x'.repeat(200) + '\r\n\r\n';
              let k = 0;
              const drip = setInterval(() => { if (k < req.length && s.writable) s.write(req[k++]); }, 400);
              const give = setTimeout(() => { clearInterval(drip); s.destroy(); resolve(false); }, 30_000);
              s.on('close', () => { clearInterval(drip); clearTimeout(give); resolve(true); });
              s.on('data', () => undefined); // read the server's 408 so its close reaches us
              s.on('error', () => undefined);
            });
            count('slow', closed && Date.now() - t0 < 30_000);
            break;
          }
          case 'abort': {
            const ok = await new Promise<boolean>((resolve) => {
              const s = connect(port, '127.0.0.1');
              s.on('data', () => { s.destroy(); resolve(true); });
              s.on('error', () => resolve(false));
              s.on('close', () => resolve(false));
              s.write('GET /model.evae HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
            });
            count('abort', ok);
            break;
          }
          case 'oversized': {
            const raw = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${'b'.repeat(20_000)}\r\n\r\n`, 10_000);
            count('oversized', statusOf(raw) === 431);
            break;
          }
          case 'malformed': {
            const raw = await exchange(port, 'THIS IS NOT HTTP\r\n\r\n', 10_000);
            count('malformed', statusOf(raw) === 400);
            break;
          }
          case 'traversal': {
            const path = TRAVERSALS[i++ % TRAVERSALS.length];
            const raw = await exchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 10_000);
            if (raw.includes(SECRET)) leaks++;
            count('traversal', [400, 404].includes(statusOf(raw)));
            break;
          }
          default: break;
        }
        await sleep(50);
      }
    };

    log(`serve-load: ${opts.connections} connections for ${opts.seconds} s against pid ${pid} (rss ${start.rssMiB.toFixed(1)} MiB, ${start.fds} fds)`);
    const progress = setInterval(() => log(`  ${latencies.length} valid requests, ${validFailures} failed`), 30_000);
    const clients: Promise<void>[] = [];
    for (let slot = 0; slot < opts.connections; slot++) {
      const kind = kindOf(slot);
      clients.push(kind === 'valid' ? validClient(slot) : hostileClient(kind, slot));
    }
    await Promise.all(clients);
    clearInterval(progress);
    clearInterval(tenths);
    // Let the server notice the closed sockets, then read its final state.
    await sleep(1500);
    clearInterval(sampler);
    const end = processStats(pid);
    latencies.sort((a, b) => a - b);
    const q = (p: number): number => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN;
    return {
      connections: opts.connections,
      seconds: opts.seconds,
      validRequests: latencies.length,
      validFailures,
      failureReasons,
      retries,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      maxMs: latencies.at(-1) ?? NaN,
      hostile,
      leaks,
      server: {
        rssStartMiB: start.rssMiB, rssPeakMiB: peak.rssMiB, rssEndMiB: end.rssMiB,
        fdsStart: start.fds, fdsPeak: peak.fds, fdsEnd: end.fds,
      },
      rssTimeline,
      serverStderr: stderr.join(''),
    };
  } finally {
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatResult(r: LoadResult): string {
  const h = Object.entries(r.hostile).map(([k, v]) => `${k} ${v.handled}/${v.sent}`).join(', ');
  return [
    `connections ${r.connections}, ${r.seconds} s: ${r.validRequests} valid requests, ${r.validFailures} failed (${r.retries} resent after a keep-alive close); ` +
      `latency p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(1)} ms`,
    ...(r.validFailures ? [`failures: ${Object.entries(r.failureReasons).map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
    `hostile (handled/sent): ${h}; files outside the allow-list served: ${r.leaks}`,
    `server rss ${r.server.rssStartMiB.toFixed(1)} -> ${r.server.rssEndMiB.toFixed(1)} MiB (peak ${r.server.rssPeakMiB.toFixed(1)}), ` +
      `fds ${r.server.fdsStart} -> ${r.server.fdsEnd} (peak ${r.server.fdsPeak}); rss by tenths of the run: ${r.rssTimeline.join(' ')}`,
  ].join('\n');
}

function parseArgs(argv: string[]): LoadOptions & { json?: string } {
  const opts: LoadOptions & { json?: string } = { connections: 1000, seconds: 600 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`serve-load: ${flag} needs a value`);
      return v;
    };
    const int = (lo: number, hi: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < lo || n > hi) throw new Error(`serve-load: ${flag} must be an integer ${lo}..${hi}, got "${raw}"`);
      return n;
    };
    switch (flag) {
      case '--connections': opts.connections = int(1, 5000); break;
      case '--seconds': opts.seconds = int(1, 3600); break;
      case '--max-connections': opts.maxConnections = int(1, 1_000_000); break;
      case '--think-ms': opts.thinkMs = int(1, 60_000); break;
      case '--json': opts.json = value(); break;
      case '--help': case '-h':
        console.log('usage: npx tsx bench/serve-load.ts [--connections 1000] [--seconds 600] [--max-connections N] [--think-ms 200] [--json out.json]');
        process.exit(0);
        break;
      default: throw new Error(`serve-load: unknown option "${flag}" (see --help)`);
    }
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const result = await runLoad(opts);
    console.log(formatResult(result));
    if (result.serverStderr) console.log(`server stderr:\n${result.serverStderr.trim()}`);
    if (opts.json) writeFileAtomic(opts.json, JSON.stringify(result, null, 2) + '\n');
    process.exitCode = result.validFailures === 0 && result.leaks === 0 ? 0 : 1;
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
  }
}
