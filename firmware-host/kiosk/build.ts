// Builds the offline kiosk: build/kiosk/{index.html, app.js, edgevae.wasm} for `edgevae serve` or any
// static server, plus, when a model is given, model.evae and standalone.html (script, runtime and model
// inlined as base64) which works straight from disk (file://), where fetch() of local files is blocked.
//   tsx firmware-host/kiosk/build.ts [--model m.evae] [--model-int8 m8.evae] [--out build/kiosk]
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { kioskManifest } from './manifest.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
export const DEFAULT_OUT = join(ROOT, 'build', 'kiosk');
/** Budget for what the page needs besides the model: app.js + edgevae.wasm, gzip-compressed. */
export const SIZE_BUDGET = 64 * 1024;

export interface KioskBuildOptions {
  outDir?: string;
  model?: string;
  modelInt8?: string;
  wasm?: string;
}

export interface KioskBuildResult {
  outDir: string;
  jsBytes: number;
  jsGzip: number;
  wasmBytes: number;
  wasmGzip: number;
  standalone?: string;
}

const SCRIPT_TAG = '<script defer src="app.js"></script>';

function dataBlock(id: string, bytes: Uint8Array): string {
  return `<script type="application/octet-stream" id="${id}">${Buffer.from(bytes).toString('base64')}</script>\n`;
}

export async function buildKiosk(opts: KioskBuildOptions = {}): Promise<KioskBuildResult> {
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT);
  const wasmPath = resolve(opts.wasm ?? join(ROOT, 'build', 'edgevae.wasm'));
  if (!existsSync(wasmPath)) throw new Error(`kiosk build: runtime module ${wasmPath} not found (run \`npm run build:wasm\` first)`);
  for (const [flag, path] of [['--model', opts.model], ['--model-int8', opts.modelInt8]] as const) {
    if (path !== undefined && !existsSync(path)) throw new Error(`kiosk build: ${flag} ${path} not found`);
  }
  mkdirSync(outDir, { recursive: true });

  const bundle = await build({
    entryPoints: [join(HERE, 'app.ts')],
    bundle: true,
    format: 'iife', // a classic script: module scripts do not load from file://
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    legalComments: 'none',
  });
  const js = bundle.outputFiles[0].contents;
  const html = readFileSync(join(HERE, 'index.html'), 'utf8');
  if (!html.includes(SCRIPT_TAG)) throw new Error(`kiosk build: index.html must load the bundle with ${SCRIPT_TAG}`);
  const wasm = readFileSync(wasmPath);

  writeFileSync(join(outDir, 'app.js'), js);
  writeFileSync(join(outDir, 'index.html'), html);
  copyFileSync(wasmPath, join(outDir, 'edgevae.wasm'));

  const result: KioskBuildResult = {
    outDir,
    jsBytes: js.length,
    jsGzip: gzipSync(js, { level: 9 }).length,
    wasmBytes: wasm.length,
    wasmGzip: gzipSync(wasm, { level: 9 }).length,
  };
  if (opts.model) {
    const model = readFileSync(opts.model);
    copyFileSync(opts.model, join(outDir, 'model.evae'));
    let blocks = dataBlock('edgevae-wasm', wasm) + dataBlock('edgevae-model', model);
    writeFileSync(join(outDir, 'kiosk.json'), kioskManifest(opts.modelInt8 !== undefined));
    if (opts.modelInt8) {
      copyFileSync(opts.modelInt8, join(outDir, 'model-int8.evae'));
      blocks += dataBlock('edgevae-model-int8', readFileSync(opts.modelInt8));
    }
    // Inline script last, so the data blocks above it are already parsed when it runs.
    const inlineJs = Buffer.from(js).toString('utf8').replace(/<\/script/gi, '<\\/script');
    // A function replacer: a string one would expand `$'`, `$&`... that minified JS may contain.
    const standalone = html.replace(SCRIPT_TAG, '').replace('</body>', () => `${blocks}<script>${inlineJs}</script>\n</body>`);
    result.standalone = join(outDir, 'standalone.html');
    writeFileSync(result.standalone, standalone);
  }
  return result;
}

function parseArgs(argv: string[]): KioskBuildOptions {
  const opts: KioskBuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`kiosk build: ${argv[i]} needs a value`);
    if (argv[i] === '--model') opts.model = value;
    else if (argv[i] === '--model-int8') opts.modelInt8 = value;
    else if (argv[i] === '--out') opts.outDir = value;
    else if (argv[i] === '--wasm') opts.wasm = value;
    else throw new Error(`kiosk build: unknown flag ${argv[i]} (accepted: --model, --model-int8, --out, --wasm)`);
    i++;
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = await buildKiosk(parseArgs(process.argv.slice(2)));
    const total = r.jsGzip + r.wasmGzip;
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    console.log(`kiosk: ${r.outDir}`);
    console.log(`  app.js        ${kb(r.jsBytes)} (gzip ${kb(r.jsGzip)})`);
    console.log(`  edgevae.wasm  ${kb(r.wasmBytes)} (gzip ${kb(r.wasmGzip)})`);
    console.log(`  total gzip    ${kb(total)} of the ${kb(SIZE_BUDGET)} budget${total > SIZE_BUDGET ? '  OVER BUDGET' : ''}`);
    if (r.standalone) console.log(`  standalone    ${r.standalone} (open from disk)`);
    else console.log('  no --model given: serve it with `edgevae serve --model m.evae`');
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
