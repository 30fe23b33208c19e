// Builds the offline kiosk: build/kiosk/{index.html, app.js, edgevae.wasm} for `edgevae serve` or any
// static server, plus, when a model is given, model.evae and standalone.html (script, runtime and model
// inlined as base64) which works straight from disk (file://), where fetch() of local files is blocked.
// A build without a model removes the model files an earlier build left in the folder.
//   tsx hosts/kiosk/build.ts [--model m.evae] [--model-int8 m8.evae] [--out build/kiosk]
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleKiosk, describeKiosk, SIZE_BUDGET, type KioskFiles } from './assemble.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
export const DEFAULT_OUT = join(ROOT, 'build', 'kiosk');
export { SIZE_BUDGET } from './assemble.js';

export interface KioskBuildOptions {
  outDir?: string;
  model?: string;
  modelInt8?: string;
  wasm?: string;
}

export type KioskBuildResult = KioskFiles;

export async function buildKiosk(opts: KioskBuildOptions = {}): Promise<KioskBuildResult> {
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT);
  const wasmPath = resolve(opts.wasm ?? join(ROOT, 'build', 'edgevae.wasm'));
  if (!existsSync(wasmPath)) throw new Error(`kiosk build: runtime module ${wasmPath} not found (run \`npm run build:wasm\` first)`);
  for (const [flag, path] of [['--model', opts.model], ['--model-int8', opts.modelInt8]] as const) {
    if (path !== undefined && !existsSync(path)) throw new Error(`kiosk build: ${flag} ${path} not found`);
  }
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
  return assembleKiosk({
    html: readFileSync(join(HERE, 'index.html'), 'utf8'),
    js: bundle.outputFiles[0].contents,
    wasm: readFileSync(wasmPath),
    // the relaxed build beside the fixed one (npm run build:wasm makes both)
    wasmRelaxed: existsSync(join(dirname(wasmPath), 'edgevae-relaxed.wasm'))
      ? readFileSync(join(dirname(wasmPath), 'edgevae-relaxed.wasm')) : undefined,
    model: opts.model ? readFileSync(opts.model) : undefined,
    modelInt8: opts.modelInt8 ? readFileSync(opts.modelInt8) : undefined,
  }, outDir);
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
    for (const line of describeKiosk(r, SIZE_BUDGET)) console.log(line);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
