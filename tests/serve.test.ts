// `edgevae serve` (hosts/node/serve.ts): only the allow-listed kiosk files and the chosen model
// are reachable; traversal attempts, odd methods and oversized requests are refused.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { MAX_URL_LENGTH, parseServeArgs, startServe } from '../hosts/node/serve.js';
import { denseVaeBytes } from './format-fixtures.js';

let dir: string;
let server: Server;
let port: number;
const MODEL = Buffer.from(denseVaeBytes());
const SECRET = 'secret-file-contents';

/** Sends raw bytes and returns the raw response (so nothing normalizes the path on the way). */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(request);
  });
}

const get = (path: string, method = 'GET', extraHeaders = ''): Promise<string> =>
  raw(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extraHeaders}Connection: close\r\n\r\n`);

const status = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
const header = (response: string, name: string): string | undefined =>
  new RegExp(`\r\n${name}: ([^\r]*)`, 'i').exec(response.split('\r\n\r\n')[0] + '\r\n')?.[1];
const body = (response: string): string => response.slice(response.indexOf('\r\n\r\n') + 4);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgevae-serve-'));
  const kiosk = join(dir, 'kiosk');
  mkdirSync(kiosk);
  writeFileSync(join(kiosk, 'index.html'), '<!doctype html><title>kiosk</title>');
  writeFileSync(join(kiosk, 'app.js'), 'console.log("app")');
  writeFileSync(join(kiosk, 'edgevae.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  writeFileSync(join(kiosk, 'secret.txt'), SECRET); // in the kiosk dir but not on the allow-list
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'm.evae'), MODEL);
  ({ server } = await startServe({ model: join(dir, 'm.evae'), port: 0, host: '127.0.0.1', kioskDir: kiosk }));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('edgevae serve: files and MIME types', () => {
  it('binds 127.0.0.1 by default', () => {
    expect(parseServeArgs(['--model', 'm.evae']).host).toBe('127.0.0.1');
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it.each([
    ['/', 'text/html; charset=utf-8'],
    ['/index.html', 'text/html; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/edgevae.wasm', 'application/wasm'],
    ['/model.evae', 'application/octet-stream'],
    ['/kiosk.json', 'application/json; charset=utf-8'],
  ])('%s is served as %s', async (path, type) => {
    const r = await get(path);
    expect(status(r)).toBe(200);
    expect(header(r, 'content-type')).toBe(type);
    expect(header(r, 'x-content-type-options')).toBe('nosniff');
    expect(header(r, 'cross-origin-opener-policy')).toBe('same-origin'); // cross-origin isolated: threads (docs/threads.md)
    expect(header(r, 'cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('serves the chosen model byte for byte; HEAD has the headers but no body', async () => {
    const r = await get('/model.evae');
    expect(Buffer.from(body(r), 'latin1').equals(MODEL)).toBe(true);
    const h = await get('/model.evae', 'HEAD');
    expect(status(h)).toBe(200);
    expect(header(h, 'content-length')).toBe(String(MODEL.length));
    expect(body(h)).toBe('');
  });

  it('kiosk.json lists exactly the models given', async () => {
    expect(JSON.parse(body(await get('/kiosk.json')))).toEqual({ models: { float: 'model.evae' } });
  });

  it('the page may only talk to its own origin (CSP)', async () => {
    expect(header(await get('/'), 'content-security-policy')).toMatch(/default-src 'self'.*connect-src 'self'/);
  });

  it('files outside the allow-list are 404, even inside the kiosk folder; no int8 model was given', async () => {
    for (const path of ['/secret.txt', '/model-int8.evae', '/etc/passwd', '/index.htm', '/app.js.map']) {
      const r = await get(path);
      expect(status(r), path).toBe(404);
      expect(r).not.toContain(SECRET);
    }
  });
});

describe('edgevae serve: hostile requests', () => {
  it.each([
    '/../secret.txt', '/../../etc/passwd', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%2fsecret.txt',
    '/index.html/../secret.txt', '/./app.js', '/..', '/..\\secret.txt', '//etc/passwd', '/%00', 'secret.txt',
    'http://127.0.0.1/secret.txt', '/etc/../secret.txt?x=1',
  ])('%s is refused without leaking anything', async (path) => {
    const r = await get(path);
    expect([400, 404]).toContain(status(r));
    expect(r).not.toContain(SECRET);
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'])('%s is 405 with Allow: GET, HEAD', async (method) => {
    const r = await get('/index.html', method);
    expect(status(r)).toBe(405);
    expect(header(r, 'allow')).toBe('GET, HEAD');
  });

  it('an overlong URL is 414', async () => {
    expect(status(await get('/' + 'a'.repeat(MAX_URL_LENGTH + 10)))).toBe(414);
  });

  it('oversized headers are 431', async () => {
    expect(status(await get('/', 'GET', `X-Padding: ${'b'.repeat(20_000)}\r\n`))).toBe(431);
  });

  it('a malformed request line is 400', async () => {
    expect(status(await raw('THIS IS NOT HTTP\r\n\r\n'))).toBe(400);
  });

  it('a GET with a body is 413', async () => {
    const r = await raw('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    expect(status(r)).toBe(413);
  });
});

describe('edgevae serve: arguments', () => {
  it('rejects bad flags with a clear message', () => {
    expect(() => parseServeArgs([])).toThrow(/missing --model/);
    expect(() => parseServeArgs(['--model', 'm', '--port', '99999'])).toThrow(/--port must be an integer 0\.\.65535/);
    expect(() => parseServeArgs(['--model', 'm', '--port', '80x'])).toThrow(/--port must be an integer/);
    expect(() => parseServeArgs(['--model', 'm', '--verbose'])).toThrow(/unknown flag '--verbose'/);
    expect(() => parseServeArgs(['--model'])).toThrow(/--model needs a value/);
  });

  it('refuses to start without a kiosk build or with a missing model', async () => {
    await expect(startServe({ model: join(dir, 'm.evae'), port: 0, host: '127.0.0.1', kioskDir: join(dir, 'nowhere') }))
      .rejects.toThrow(/no kiosk build in .*nowhere.*build:kiosk/);
    await expect(startServe({ model: join(dir, 'missing.evae'), port: 0, host: '127.0.0.1', kioskDir: join(dir, 'kiosk') }))
      .rejects.toThrow(/model not found: .*missing\.evae/);
  });
});

describe('edgevae serve: one-line errors, usage exit 2, before listening', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'edgevae.js');
  const serve = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, 'serve', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, EDGEVAE_DEBUG: '' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const oneLine = (r: ReturnType<typeof serve>, code: number, text: string) => {
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr.startsWith(`edgevae serve: ${text}`), r.stderr).toBe(true);
  };

  it('bad flags and values are usage errors (exit 2)', () => {
    oneLine(serve(), 2, 'missing --model');
    oneLine(serve('--model', join(dir, 'm.evae'), '--port', '99999'), 2, "--port must be an integer 0..65535, got '99999'");
    oneLine(serve('--model', join(dir, 'm.evae'), '--verbose'), 2, "unknown flag '--verbose'");
  });

  it('a file that is not a model is refused before the server listens (exit 1)', () => {
    writeFileSync(join(dir, 'notes.txt'), 'just some text, not a model\n');
    const r = serve('--model', join(dir, 'notes.txt'), '--port', '0', '--kiosk-dir', join(dir, 'kiosk'));
    oneLine(r, 1, `--model ${join(dir, 'notes.txt')} is not a valid edgevae model`);
    expect(r.stdout).not.toContain('http://');
  });

  it('a port in use says so and how to pick another', () => {
    const r = serve('--model', join(dir, 'm.evae'), '--port', String(port), '--kiosk-dir', join(dir, 'kiosk'));
    oneLine(r, 1, `port ${port} is in use; pick another with --port`);
  });
});

describe('edgevae serve: the CLI', () => {
  it('`edgevae serve` starts the server, prints its URL and serves the model', async () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'edgevae.js');
    const child = spawn(process.execPath, [bin, 'serve', '--model', join(dir, 'm.evae'), '--port', '0', '--kiosk-dir', join(dir, 'kiosk')],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`no URL printed; stdout: ${out} stderr: ${err}`)), 30_000);
        child.stdout.on('data', (c) => {
          out += c;
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) { clearTimeout(timer); resolve(m[1]); }
        });
        child.stderr.on('data', (c) => { err += c; });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
      });
      const res = await fetch(`${url}model.evae`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(MODEL)).toBe(true);
    } finally {
      child.kill();
    }
  });
});
