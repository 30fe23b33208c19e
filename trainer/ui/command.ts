// `edgevae train-ui`: serves the training page (build/train-ui) on 127.0.0.1 and prints its address.
// The page only fetches its own files; training, conversion and downloads happen inside the browser.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { usageError } from '../../cli/errors.js';
import { packageRoot } from '../../runtime/node.js';

export const TRAIN_UI_USAGE = `usage: edgevae train-ui [--port 8091] [--host 127.0.0.1] [--dir build/train-ui]

Serves the training page: pick PNGs (a folder or a zip) or the bundled Fashion-MNIST sample, train a
conv or MLP VAE in the browser (WebGPU when available), download encoder.onnx, decoder.onnx and .evae files.`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.bin': 'application/octet-stream',
};

export function trainUiServer(dir: string): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const name = path === '/' ? 'index.html' : path.slice(1);
    const file = join(dir, name);
    if (name.includes('/') || name.includes('..') || !TYPES[extname(name)] || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(name)], 'cache-control': 'no-store' }).end(readFileSync(file));
  });
}

export async function runTrainUi(argv: string[]): Promise<number> {
  let port = 8091;
  let host = '127.0.0.1';
  let dir: string | undefined;
  try {
    for (let i = 0; i < argv.length; i++) {
      const flag = argv[i];
      if (flag === '-h' || flag === '--help') {
        console.log(TRAIN_UI_USAGE);
        return 0;
      }
      const value = argv[++i];
      if (value === undefined) throw usageError(`${flag} needs a value`);
      if (flag === '--port') {
        port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port: expected 0..65535, got '${value}'`);
      } else if (flag === '--host') host = value;
      else if (flag === '--dir') dir = resolve(value);
      else throw usageError(`unknown option '${flag}' (see --help)`);
    }
    if (!dir) {
      dir = join(packageRoot(), 'build', 'train-ui');
      // A source checkout that has not built the page yet builds it now (the npm package ships it).
      if (!existsSync(join(dir, 'app.js')) && existsSync(join(packageRoot(), 'trainer', 'ui', 'app.ts'))) {
        const { buildTrainUi } = await import('./build.js');
        await buildTrainUi(dir);
      }
    }
    if (!existsSync(join(dir, 'app.js'))) throw new Error(`${dir} has no app.js (build it with \`npm run build:train-ui\`)`);
  } catch (e) {
    process.stderr.write(`edgevae train-ui: ${(e as Error).message}\n`);
    return (e as { exitCode?: number }).exitCode ?? 1;
  }
  const server = trainUiServer(dir);
  await new Promise<void>((done, fail) => server.once('error', fail).listen(port, host, done));
  const address = server.address() as { port: number };
  process.stdout.write(`training page: http://${host}:${address.port}/  (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => process.once('SIGINT', () => server.close(() => done())));
  return 0;
}
