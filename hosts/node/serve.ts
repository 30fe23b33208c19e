// `edgevae serve`: a tiny static server for the offline kiosk page and one chosen model.
// It serves an explicit allow-list of files (never a directory), so path tricks have nothing to reach.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/node.js';
import { readModel } from '../../runtime/format.js';
import { kioskManifest } from '../kiosk/manifest.js';
import { DEADLINE_CHECK_MS, DEFAULT_LIMITS, guardServer } from './serve-guard.js';

/** A bad command line (exit 2); any other failure exits 1. The host keeps to its own errors, below the CLI. */
class ServeUsageError extends Error {}
const usageError = (message: string): ServeUsageError => new ServeUsageError(message);

export const MAX_URL_LENGTH = 1024;
export const MAX_HEADER_BYTES = 8 * 1024;

export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.evae': 'application/octet-stream',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
};

export interface ServeOptions {
  model: string;
  modelInt8?: string;
  port: number;
  host: string;
  kioskDir: string;
  /** Concurrent connections before load is shed (default DEFAULT_LIMITS.maxConnections). */
  maxConnections?: number;
}

/** Where `npm run build:kiosk` puts the page (found from the package root, so it also works from dist/). */
export const DEFAULT_KIOSK_DIR = join(packageRoot(), 'build', 'kiosk');

export const SERVE_USAGE = `Usage: edgevae serve --model m.evae [--model-int8 m-int8.evae] [--port 8080] [--host 127.0.0.1] [--kiosk-dir build/kiosk]
Serves the offline kiosk page (build it with \`npm run build:kiosk\`) and the chosen model on http://HOST:PORT/.
Binds 127.0.0.1 unless --host says otherwise.`;

export function parseServeArgs(argv: string[]): ServeOptions {
  const opts: Partial<ServeOptions> = { port: 8080, host: '127.0.0.1', kioskDir: DEFAULT_KIOSK_DIR };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw usageError(`serve: ${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--model': opts.model = value(); break;
      case '--model-int8': opts.modelInt8 = value(); break;
      case '--host': opts.host = value(); break;
      case '--kiosk-dir': opts.kioskDir = value(); break;
      case '--max-connections': {
        const raw = value();
        if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1_000_000) throw usageError(`serve: --max-connections must be an integer 1..1000000, got "${raw}"`);
        opts.maxConnections = Number(raw);
        break;
      }
      case '--port': {
        const raw = value();
        const port = Number(raw);
        if (!/^\d+$/.test(raw) || port > 65535) throw usageError(`serve: --port must be an integer 0..65535, got '${raw}'`);
        opts.port = port;
        break;
      }
      default: throw usageError(`serve: unknown flag '${flag}' (see "edgevae serve --help")`);
    }
  }
  if (!opts.model) throw usageError('serve: missing --model (see "edgevae serve --help")');
  return opts as ServeOptions;
}

interface ServedFile { body: Buffer; type: string }

/** Reads every servable file once; the request handler only ever looks names up in this map. */
export function collectFiles(opts: ServeOptions): Map<string, ServedFile> {
  const files = new Map<string, ServedFile>();
  const add = (urlPath: string, filePath: string, what: string, check?: (body: Buffer) => void): void => {
    if (!existsSync(filePath) || !statSync(filePath).isFile()) throw new Error(`serve: ${what} not found: ${filePath}`);
    const ext = urlPath.slice(urlPath.lastIndexOf('.'));
    const body = readFileSync(filePath);
    check?.(body);
    files.set(urlPath, { body, type: MIME_TYPES[ext] ?? 'application/octet-stream' });
  };
  // The page can only show black canvases for a file that is not a model: refuse it before listening.
  const isModel = (flag: string, path: string) => (body: Buffer): void => {
    try {
      readModel(body);
    } catch (e) {
      throw new Error(`serve: ${flag} ${path} is not a valid edgevae model: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  const kiosk = (name: string): string => join(opts.kioskDir, name);
  if (!existsSync(kiosk('index.html'))) {
    throw new Error(`serve: no kiosk build in ${opts.kioskDir} (run \`npm run build:kiosk\` first)`);
  }
  add('/index.html', kiosk('index.html'), 'kiosk page');
  add('/app.js', kiosk('app.js'), 'kiosk script');
  add('/edgevae.wasm', kiosk('edgevae.wasm'), 'runtime module');
  if (existsSync(kiosk('edgevae-relaxed.wasm'))) add('/edgevae-relaxed.wasm', kiosk('edgevae-relaxed.wasm'), 'relaxed-SIMD runtime module');
  add('/model.evae', opts.model, 'model', isModel('--model', opts.model));
  if (opts.modelInt8) add('/model-int8.evae', opts.modelInt8, 'int8 model', isModel('--model-int8', opts.modelInt8));
  files.set('/kiosk.json', { body: Buffer.from(kioskManifest(opts.modelInt8 !== undefined)), type: MIME_TYPES['.json'] });
  files.set('/', files.get('/index.html')!);
  return files;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
  // The page may only talk to its own origin; wasm compilation needs 'wasm-unsafe-eval'.
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'",
  // Cross-origin isolation: the page gets SharedArrayBuffer, which intra-op threads need (docs/threads.md).
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

function reply(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra, connection: 'close' });
  res.end(`${status} ${message}\n`);
}

export function handleRequest(files: Map<string, ServedFile>, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
  if (url.length > MAX_URL_LENGTH) return reply(res, 414, 'URL too long');
  // Only origin-form paths; no absolute-form (`http://...`), no escapes, no dot segments.
  if (!url.startsWith('/') || url.startsWith('//') || /[%\\]|\/\.\.?(\/|$|\?)/.test(url)) return reply(res, 400, 'bad path');
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) return reply(res, 413, 'request bodies are not accepted');
  const path = url.split('?')[0];
  const file = files.get(path);
  if (!file) return reply(res, 404, 'not found');
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, 'content-length': String(file.body.length) });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

export function createKioskServer(opts: ServeOptions): Server {
  const files = collectFiles(opts);
  const limits = { ...DEFAULT_LIMITS, maxConnections: opts.maxConnections ?? DEFAULT_LIMITS.maxConnections };
  const server = createServer({
    maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: limits.requestMs, headersTimeout: limits.headersMs,
    connectionsCheckingInterval: DEADLINE_CHECK_MS,
  }, (req, res) => {
    try {
      handleRequest(files, req, res);
    } catch {
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.destroy();
    }
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed request lines and oversized headers end here (node's parser rejects them).
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  guardServer(server, limits);
  return server;
}

/** Starts the server; resolves with the bound address once it listens. */
export async function startServe(opts: ServeOptions): Promise<{ server: Server; url: string }> {
  const server = createKioskServer(opts);
  return new Promise((resolvePromise, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Error(`serve: port ${opts.port} is in use; pick another with --port`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new Error(`serve: cannot listen on host ${opts.host} (${err.code}); pick another with --host`));
      else if (err.code === 'EACCES') reject(new Error(`serve: no permission to listen on port ${opts.port}; pick a port above 1023 with --port`));
      else reject(err);
    });
    // A backlog at least as large as the connection cap: a burst of new connections waits instead of being reset.
    server.listen({ port: opts.port, host: opts.host, backlog: Math.max(511, opts.maxConnections ?? DEFAULT_LIMITS.maxConnections) }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolvePromise({ server, url: `http://${host}:${port}/` });
    });
  });
}

/** CLI entry: `edgevae serve ...`. Returns the exit code (the server keeps the process alive). */
export async function runServe(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  let opts: ServeOptions;
  try {
    opts = parseServeArgs(argv);
    const { url } = await startServe(opts);
    console.log(`edgevae serve: kiosk at ${url} (model ${opts.model}${opts.modelInt8 ? `, int8 ${opts.modelInt8}` : ''})`);
    return 0;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0].replace(/^serve: /, '');
    process.stderr.write(`edgevae serve: ${message}\n`);
    return err instanceof ServeUsageError ? 2 : 1;
  }
}
