// The package as a user gets it: `npm pack` of a copy of this repository, installed into an empty
// project, and used there like the README says: a missing-peer message, training with the fast kernels
// (at the checkout's speed), convert, sample, parity, the kiosk command, the WASI command under the two
// runners the package ships, and the README's browser snippet bundled by esbuild and by Vite and run in
// Chromium. One install shared by every step.
//
// The copy holds the tracked sources plus what `npm run build` made in this checkout (npm test builds
// first) plus stale kiosk files a model build leaves behind; dist/ is compiled into it, then packed with
// --ignore-scripts (prepack would rebuild the same wasm again, for a minute).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium } from './helpers/browser.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'edgevae-install-'));
const src = join(work, 'src');
const app = join(work, 'app');
const BIN = join(app, 'node_modules', '.bin', 'edgevae');
const HAVE_CHROMIUM = requireChromium('tests/package-install.test.ts');
const HAVE_FASHION = existsSync(process.env.EDGEVAE_FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist');
if (!HAVE_FASHION && process.env.CI === 'true') throw new Error('CI: Fashion-MNIST (apt dataset-fashion-mnist) is required by tests/package-install.test.ts');

/** What `npm run build` writes and the package ships (besides dist/). */
const BUILD_OUTPUTS = ['build/edgevae.wasm', 'build/edgevae-wasi.wasm', 'build/train-kernels.wasm', 'build/kiosk/index.html', 'build/kiosk/app.js', 'build/kiosk/edgevae.wasm'];
const STALE = ['build/kiosk/model.evae', 'build/kiosk/standalone.html', 'build/kiosk/kiosk.json', 'build/kiosk/model-int8.evae', 'build/edgevae.wat'];

const version = (pkg: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const quietEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };

interface Run { status: number | null; stdout: string; stderr: string }

/** A child process, awaited without blocking this worker (vitest's RPC times out on long synchronous waits). */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function npm(args: string[], cwd: string): Promise<string> {
  const r = await run('npm', args, { cwd, env: quietEnv });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** The installed `edgevae` command, as a user runs it in their project. */
function edgevae(args: string[], cwd = app): Promise<Run> {
  return run(BIN, args, { cwd, env: { ...process.env, EDGEVAE_DEBUG: '' } });
}

async function ok(pending: Promise<Run>, what: string): Promise<Run> {
  const r = await pending;
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

let packedFiles: string[] = [];
let tarball = '';

beforeAll(async () => {
  // 1. A copy of the repository: tracked (and new, not ignored) files, this checkout's build outputs, stale kiosk files.
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of files) {
    if (f === 'node_modules' || !existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(src, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(src, f));
  }
  for (const f of BUILD_OUTPUTS) {
    mkdirSync(dirname(join(src, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(src, f));
  }
  for (const f of STALE) writeFileSync(join(src, f), 'left over from an earlier build\n');
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
  // 2. prepack's compile, then the pack itself.
  const tsc = await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: src });
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  const out = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], src);
  const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  packedFiles = info.files.map((f) => f.path);
  tarball = join(work, info.filename);
  // 3. An empty project with only the package (its one dependency, onnx-proto, comes along).
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await npm(['install', '--prefer-offline', tarball], app);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships exactly what a clean build makes: no stale kiosk model, page or manifest, no .wat', () => {
    const outsideDist = packedFiles.filter((f) => !/^(dist|docs|models\/default)\//.test(f)).sort();
    expect(outsideDist).toEqual([
      'README.md', 'bin/edgevae.js', ...BUILD_OUTPUTS,
      'hosts/wasi/run-node-wasi.mjs', 'hosts/wasi/run-wasmtime.py', 'package.json', 'types/wasm.d.ts',
      'models/text/README.md', 'models/text/words.evae',
    ].sort());
    for (const f of STALE) expect(packedFiles).not.toContain(f);
  });
});

describe('installed from the tarball into an empty project', () => {
  it('train without TensorFlow.js: one line with the whole npm install command, the fast path\'s package included', async () => {
    const r = await edgevae(['train', '--limit-train', '64']);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/npm install "@tensorflow\/tfjs-core@[^"]+" "@tensorflow\/tfjs-backend-cpu@[^"]+" "@tensorflow\/tfjs-layers@[^"]+" "@tensorflow\/tfjs-backend-wasm@[^"]+"$/);
  });

  describe('with the optional peers installed', () => {
    const runDir = join(app, 'run');
    const model = join(app, 'm.evae');
    // About 200 steps of a small conv VAE: enough to train and to measure a steady speed.
    const TRAIN = ['train', '--data', 'fashion-mnist', '--model', 'conv', '--widths', '8,16', '--latent', '8', '--batch', '16',
      '--limit-train', '3200', '--limit-test', '128', '--epochs', '1', '--no-report'];
    const imagesPerSecond = (dir: string) => (JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as { imagesPerSecond: number }[])[0]!.imagesPerSecond;

    beforeAll(async () => {
      await npm(['install', '--prefer-offline', ...['tfjs-core', 'tfjs-backend-cpu', 'tfjs-layers', 'tfjs-backend-wasm'].map((p) => `@tensorflow/${p}@${version(`@tensorflow/${p}`)}`),
        `onnxruntime-node@${version('onnxruntime-node')}`], app);
    }, 400_000);

    it.runIf(HAVE_FASHION)('trains a conv VAE on the wasm backend with the SIMD kernels, within 2x of the checkout\'s speed', async () => {
      let packaged = 0;
      let checkout = 0;
      // The machine is shared (vitest runs other files meanwhile): a second pair of runs when the first is off.
      for (let attempt = 0; attempt < 2 && !(packaged > 0 && packaged >= checkout / 2); attempt++) {
        rmSync(runDir, { recursive: true, force: true });
        rmSync(join(work, 'checkout-run'), { recursive: true, force: true });
        const r = await ok(edgevae([...TRAIN, '--out', runDir]), 'packaged train');
        expect(r.stderr).toMatch(/^backend: wasm \+ SIMD kernels \(.*Conv2DBackpropFilter/m);
        expect(r.stderr).not.toMatch(/warning|fast training path unavailable/);
        packaged = imagesPerSecond(runDir);
        await ok(run(process.execPath, [join(ROOT, 'bin', 'edgevae.js'), ...TRAIN, '--out', join(work, 'checkout-run')], { cwd: ROOT }), 'checkout train');
        checkout = imagesPerSecond(join(work, 'checkout-run'));
      }
      console.log(`package-install: packaged ${packaged.toFixed(0)} images/s, checkout ${checkout.toFixed(0)} images/s`);
      expect(packaged).toBeGreaterThanOrEqual(checkout / 2);
      for (const f of ['encoder.onnx', 'decoder.onnx', 'checkpoint.evck']) expect(existsSync(join(runDir, f)), f).toBe(true);
    }, 600_000);

    it.runIf(HAVE_FASHION)('converts, samples a PNG, passes parity against onnxruntime and writes the kiosk page', async () => {
      await ok(edgevae(['convert', '--encoder', join(runDir, 'encoder.onnx'), '--decoder', join(runDir, 'decoder.onnx'), '-o', model]), 'convert');
      await ok(edgevae(['sample', '--model', model, '--n', '16', '--seed', '7', '--scale', '1', '--out', join(app, 'grid.png')]), 'sample');
      expect(readFileSync(join(app, 'grid.png')).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      const parity = await ok(edgevae(['parity', '--model', model, '--reference', join(runDir, 'decoder.onnx'), '--encoder', join(runDir, 'encoder.onnx'), '--out', join(app, 'parity')]), 'parity');
      expect(parity.stdout).toMatch(/decoder image\s+max\|err\|[\s\S]*\nPASS: mean PSNR/);
      await ok(edgevae(['kiosk', '--model', model, '--out', join(app, 'kiosk')]), 'kiosk');
      const page = readFileSync(join(app, 'kiosk', 'standalone.html'), 'utf8');
      expect(page).toContain(readFileSync(model).toString('base64').slice(0, 4000));
    }, 300_000);

    it.runIf(HAVE_FASHION)('the shipped WASI runners write the same PNG as `edgevae sample`, and say so', async () => {
      const pkg = join(app, 'node_modules', 'edgevae');
      const dir = join(app, 'wasi');
      mkdirSync(dir, { recursive: true });
      copyFileSync(model, join(dir, 'm.evae'));
      const args = ['sample', '--model', 'm.evae', '--n', '16', '--seed', '7', '--out', 'w.png'];
      const node = await ok(run(process.execPath, [join(pkg, 'hosts', 'wasi', 'run-node-wasi.mjs'), join(pkg, 'build', 'edgevae-wasi.wasm'), ...args], { cwd: dir }), 'run-node-wasi');
      expect(node.stderr).toBe('');
      expect(node.stdout).toMatch(/^wrote w\.png \(\d+ bytes\)\n$/);
      expect(readFileSync(join(dir, 'w.png')).equals(readFileSync(join(app, 'grid.png')))).toBe(true);
      const python = process.env.EDGEVAE_PYTHON ?? 'python3';
      if (spawnSync(python, ['-c', 'import wasmtime']).status === 0) {
        rmSync(join(dir, 'w.png'));
        const py = await ok(run(python, [join(pkg, 'hosts', 'wasi', 'run-wasmtime.py'), join(pkg, 'build', 'edgevae-wasi.wasm'), '.', '-', '-', ...args], { cwd: dir }), 'run-wasmtime.py');
        expect(py.stdout).toBe(node.stdout);
        expect(readFileSync(join(dir, 'w.png')).equals(readFileSync(join(app, 'grid.png')))).toBe(true);
      } else if (process.env.CI === 'true') {
        throw new Error('CI: python package wasmtime is required');
      }
    }, 120_000);
  });
});

// ---- the README's browser snippet ----

/** The three ```ts blocks of README's browser recipe: the Vite import, the esbuild import, the shared code. */
function readmeBrowserBlocks(): { vite: string; esbuild: string; body: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('Browser (no dependencies'), readme.indexOf('Raspberry Pi with wasmtime'));
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(3);
  return { vite: blocks[0]!, esbuild: blocks[1]!, body: blocks[2]! };
}

/** The snippet plus a few lines that put its result on the page for the test to read. */
function pageScript(importLine: string, body: string): string {
  return `${importLine}${body}
const canvas = document.createElement('canvas');
canvas.width = 28; canvas.height = 28;
const rgba = new Uint8ClampedArray(28 * 28 * 4);
for (let i = 0; i < 784; i++) { rgba.set([images[i] * 255, images[i] * 255, images[i] * 255, 255], i * 4); }
canvas.getContext('2d').putImageData(new ImageData(rgba, 28, 28), 0, 0);
document.body.append(canvas);
document.title = 'rendered ' + images.length;
`;
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.evae': 'application/octet-stream' };

/** A static server for one folder; unknown paths get an HTML 404 page, as real servers send. */
async function serveFolder(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/$/, '/index.html'));
    if (!path.startsWith(dir) || !existsSync(path)) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/` };
}

/** Opens the page; returns its title once rendered, or the page's uncaught error. */
async function renderInChromium(dir: string): Promise<{ title: string; errors: string[] }> {
  const { server, url } = await serveFolder(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const failed = new Promise<void>((resolve) => page.on('pageerror', (e) => { errors.push(e.message); resolve(); }));
    await page.goto(url);
    await Promise.race([page.waitForFunction(() => document.title.startsWith('rendered'), null, { timeout: 20_000 }), failed]).catch(() => undefined);
    return { title: await page.title(), errors };
  } finally {
    await browser.close();
    server.close();
  }
}

describe.runIf(HAVE_CHROMIUM && HAVE_FASHION)('README browser recipe, bundled from the installed package', () => {
  const html = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>loading</title></head><body><script type="module" src="./main.js"></script></body></html>';

  it('esbuild (--loader:.wasm=file): the page renders samples; a missing model shows HTTP 404, not bad magic', async () => {
    const { esbuild: importLine, body } = readmeBrowserBlocks();
    const dir = join(app, 'web-esbuild');
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(join(dir, 'main.js'), pageScript(importLine, body));
    // The README's code is TypeScript: it type-checks against the installed package's declarations.
    writeFileSync(join(dir, 'snippet.ts'), `${importLine}${body}export {};\n`);
    const tsc = await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext',
      '--moduleResolution', 'bundler', '--lib', 'es2022,dom', '--skipLibCheck', 'snippet.ts'], { cwd: dir });
    expect(tsc.stdout + tsc.stderr).toBe('');
    await esbuild.build({
      // The README's command line: esbuild app.ts --bundle --format=esm --loader:.wasm=file --outdir=dist
      entryPoints: [join(dir, 'main.js')], bundle: true, format: 'esm', outdir: join(dir, 'out'),
      loader: { '.wasm': 'file' }, absWorkingDir: dir, logLevel: 'silent',
    });
    writeFileSync(join(dir, 'out', 'index.html'), html);
    const missing = await renderInChromium(join(dir, 'out'));
    expect(missing.title).toBe('loading');
    expect(missing.errors.join('\n')).toMatch(/vae\.evae: HTTP 404/);
    copyFileSync(join(app, 'm.evae'), join(dir, 'out', 'vae.evae'));
    const shown = await renderInChromium(join(dir, 'out'));
    expect(shown.errors).toEqual([]);
    expect(shown.title).toBe(`rendered ${16 * 784}`);
  }, 120_000);

  it('Vite (edgevae/wasm?url): the built page renders samples', async () => {
    const { vite: importLine, body } = readmeBrowserBlocks();
    const dir = join(app, 'web-vite');
    mkdirSync(join(dir, 'public'), { recursive: true });
    writeFileSync(join(dir, 'main.js'), pageScript(importLine, body));
    writeFileSync(join(dir, 'index.html'), html);
    copyFileSync(join(app, 'm.evae'), join(dir, 'public', 'vae.evae')); // Vite copies public/ as is
    const { build } = await import('vite');
    await build({ root: dir, logLevel: 'silent', configFile: false, build: { outDir: join(dir, 'dist'), emptyOutDir: true } }); // Vite's default target
    const shown = await renderInChromium(join(dir, 'dist'));
    expect(shown.errors).toEqual([]);
    expect(shown.title).toBe(`rendered ${16 * 784}`);
  }, 120_000);
});
