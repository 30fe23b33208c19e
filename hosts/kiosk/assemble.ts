// Writes a kiosk folder from its parts: index.html + app.js (the bundle) + edgevae.wasm, and, with a
// model, model.evae (+ model-int8.evae), kiosk.json and standalone.html (script, runtime and models
// inlined as base64, for file:// where fetch() of local files is blocked). No bundler here: both
// `npm run build:kiosk` (which bundles app.ts first) and `edgevae kiosk` (which takes the bundle the
// package ships in build/kiosk) end here.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { kioskManifest } from './manifest.js';

/** Budget for what the page needs besides the model: app.js + edgevae.wasm + edgevae-relaxed.wasm, gzip-compressed. */
export const SIZE_BUDGET = 64 * 1024;
export const SCRIPT_TAG = '<script defer src="app.js"></script>';
/** Files only a build with a model writes: removed first, so a folder never mixes two builds' files. */
export const MODEL_OUTPUTS = ['model.evae', 'model-int8.evae', 'kiosk.json', 'standalone.html'];

export interface KioskParts {
  html: string;
  js: Uint8Array;
  wasm: Uint8Array;
  /** the relaxed-SIMD runtime; the page uses it when the browser runs it correctly (runtime/simd-probe.ts) */
  wasmRelaxed?: Uint8Array;
  model?: Uint8Array;
  modelInt8?: Uint8Array;
}

export interface KioskFiles {
  outDir: string;
  jsBytes: number;
  jsGzip: number;
  wasmBytes: number;
  wasmGzip: number;
  relaxedBytes: number;
  relaxedGzip: number;
  standalone?: string;
}

function dataBlock(id: string, bytes: Uint8Array): string {
  return `<script type="application/octet-stream" id="${id}">${Buffer.from(bytes).toString('base64')}</script>\n`;
}

export function assembleKiosk(parts: KioskParts, outDir: string): KioskFiles {
  if (!parts.html.includes(SCRIPT_TAG)) throw new Error(`kiosk: index.html must load the bundle with ${SCRIPT_TAG}`);
  if (parts.modelInt8 && !parts.model) throw new Error('kiosk: --model-int8 needs --model too');
  mkdirSync(outDir, { recursive: true });
  for (const name of MODEL_OUTPUTS) {
    if (existsSync(join(outDir, name))) rmSync(join(outDir, name));
  }
  writeFileAtomic(join(outDir, 'app.js'), parts.js);
  writeFileAtomic(join(outDir, 'index.html'), parts.html);
  writeFileAtomic(join(outDir, 'edgevae.wasm'), parts.wasm);
  if (parts.wasmRelaxed) writeFileAtomic(join(outDir, 'edgevae-relaxed.wasm'), parts.wasmRelaxed);
  else if (existsSync(join(outDir, 'edgevae-relaxed.wasm'))) rmSync(join(outDir, 'edgevae-relaxed.wasm'));
  const result: KioskFiles = {
    outDir,
    jsBytes: parts.js.length,
    jsGzip: gzipSync(parts.js, { level: 9 }).length,
    wasmBytes: parts.wasm.length,
    wasmGzip: gzipSync(parts.wasm, { level: 9 }).length,
    relaxedBytes: parts.wasmRelaxed?.length ?? 0,
    relaxedGzip: parts.wasmRelaxed ? gzipSync(parts.wasmRelaxed, { level: 9 }).length : 0,
  };
  if (parts.model) {
    writeFileAtomic(join(outDir, 'model.evae'), parts.model);
    let blocks = dataBlock('edgevae-wasm', parts.wasm) + (parts.wasmRelaxed ? dataBlock('edgevae-wasm-relaxed', parts.wasmRelaxed) : '') +
      dataBlock('edgevae-model', parts.model);
    if (parts.modelInt8) {
      writeFileAtomic(join(outDir, 'model-int8.evae'), parts.modelInt8);
      blocks += dataBlock('edgevae-model-int8', parts.modelInt8);
    }
    writeFileAtomic(join(outDir, 'kiosk.json'), kioskManifest(parts.modelInt8 !== undefined));
    // Inline script last, so the data blocks above it are already parsed when it runs.
    const inlineJs = Buffer.from(parts.js).toString('utf8').replace(/<\/script/gi, '<\\/script');
    // A function replacer: a string one would expand `$'`, `$&`... that minified JS may contain.
    const standalone = parts.html.replace(SCRIPT_TAG, '').replace('</body>', () => `${blocks}<script>${inlineJs}</script>\n</body>`);
    result.standalone = join(outDir, 'standalone.html');
    writeFileAtomic(result.standalone, standalone);
  }
  return result;
}

/** The size lines `build:kiosk` and `edgevae kiosk` print. */
export function describeKiosk(r: KioskFiles, budget = SIZE_BUDGET): string[] {
  const total = r.jsGzip + r.wasmGzip + r.relaxedGzip;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return [
    `kiosk: ${r.outDir}`,
    `  app.js        ${kb(r.jsBytes)} (gzip ${kb(r.jsGzip)})`,
    `  edgevae.wasm  ${kb(r.wasmBytes)} (gzip ${kb(r.wasmGzip)})`,
    ...(r.relaxedBytes ? [`  edgevae-relaxed.wasm  ${kb(r.relaxedBytes)} (gzip ${kb(r.relaxedGzip)})`] : []),
    `  total gzip    ${kb(total)} of the ${kb(budget)} budget${total > budget ? '  OVER BUDGET' : ''}`,
    r.standalone ? `  standalone    ${r.standalone} (open from disk)` : '  no --model given: serve it with `edgevae serve --model m.evae`',
  ];
}
