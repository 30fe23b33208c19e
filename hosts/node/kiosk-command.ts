// `edgevae kiosk --model m.evae --out DIR`: the offline kiosk page for one model, built from the page the
// package ships in build/kiosk (no bundler needed on the user's machine). DIR gets index.html, app.js,
// edgevae.wasm, model.evae, kiosk.json and standalone.html (opens from disk, e.g. on a Pi's Chromium).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readModel } from '../../runtime/format.js';
import { packageRoot, readInputFile } from '../../runtime/node.js';
import { assembleKiosk, describeKiosk } from '../kiosk/assemble.js';

export const KIOSK_USAGE = `usage: edgevae kiosk --model m.evae [--model-int8 m-int8.evae] --out DIR

Writes the offline kiosk page for the model into DIR:
  standalone.html   page, runtime and model(s) in one file: open it from disk (file://), no server
  index.html, app.js, edgevae.wasm, model.evae, kiosk.json   the same page for any static web server

options:
  --model FILE        the .evae model (float, or any quantization)
  --model-int8 FILE   a second model the page can switch to (e.g. the int8 one)
  --out DIR           output folder (created if missing; other files in it are left alone)
  -h, --help          show this help`;

/** Where the package keeps the bundled page (`npm run build:kiosk` makes it in a checkout). */
export function shippedKioskDir(): string {
  return join(packageRoot(), 'build', 'kiosk');
}

class UsageError extends Error {}

function readValidModel(path: string, flag: string): Uint8Array {
  const bytes = readInputFile(path, `${flag}`);
  try {
    readModel(bytes);
  } catch (e) {
    throw new Error(`${flag} ${path} is not a valid .evae model: ${(e as Error).message.split('\n')[0]}`);
  }
  return bytes;
}

export async function runKiosk(argv: string[]): Promise<number> {
  let values: { model?: string; 'model-int8'?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { model: { type: 'string' }, 'model-int8': { type: 'string' }, out: { type: 'string' },
        help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
    if (values.help) {
      process.stdout.write(KIOSK_USAGE + '\n');
      return 0;
    }
    if (!values.model) throw new UsageError('--model is required (see "edgevae kiosk --help")');
    if (!values.out) throw new UsageError('--out is required (see "edgevae kiosk --help")');
  } catch (e) {
    process.stderr.write(`edgevae kiosk: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  try {
    const dir = shippedKioskDir();
    for (const f of ['index.html', 'app.js']) {
      if (!existsSync(join(dir, f))) throw new Error(`the kiosk page ${join(dir, f)} is missing (in a checkout: npm run build:kiosk)`);
    }
    const files = assembleKiosk({
      html: readFileSync(join(dir, 'index.html'), 'utf8'),
      js: readFileSync(join(dir, 'app.js')),
      wasm: readFileSync(join(packageRoot(), 'build', 'edgevae.wasm')),
      wasmRelaxed: existsSync(join(packageRoot(), 'build', 'edgevae-relaxed.wasm'))
        ? readFileSync(join(packageRoot(), 'build', 'edgevae-relaxed.wasm')) : undefined,
      model: readValidModel(values.model, '--model'),
      modelInt8: values['model-int8'] !== undefined ? readValidModel(values['model-int8'], '--model-int8') : undefined,
    }, resolve(values.out));
    for (const line of describeKiosk(files)) process.stdout.write(line + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`edgevae kiosk: ${(e as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}
