// Bundles a browser entry of the trainer with esbuild (Node only). The trainer's and converter's modules are
// shared as they are, with three substitutions: register-gradients.js becomes its browser twin (in Node tfjs
// gradients come from the tfjs-layers Node bundle, in the browser tfjs-core's ESM registers them); the
// runtime's Node loader (runtime/node.js, which reads build/edgevae.wasm from disk) becomes
// runtime-wasm.browser.ts, which returns the bytes the page fetched; and node:* modules, reached only on
// file-path code paths the pages never take (ONNX from a path, calibration from a folder), become stubs
// that throw when called.
import { build, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TRAINER = dirname(dirname(fileURLToPath(import.meta.url)));

/** A trainer module by its name: the TypeScript source in a checkout, the compiled .js in the npm package. */
function trainerFile(relative: string): string {
  const ts = join(TRAINER, `${relative}.ts`);
  return existsSync(ts) ? ts : join(TRAINER, `${relative}.js`);
}

const browserGradients: Plugin = {
  name: 'browser-gradients',
  setup(b) {
    b.onResolve({ filter: /register-gradients\.js$/ }, () => ({ path: trainerFile('register-gradients.browser') }));
    b.onResolve({ filter: /runtime\/node\.js$/ }, () => ({ path: trainerFile('ui/runtime-wasm.browser') }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, name) => name === '__esModule' ? false : () => { ` +
        `throw new Error(${JSON.stringify(args.path)} + '.' + String(name) + ' is not available in the browser'); } });`,
      loader: 'js',
    }));
  },
};

export async function bundleForBrowser(entry: string, opts: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: opts.minify ?? true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [browserGradients],
  });
  return result.outputFiles[0].text;
}

let enginePage: Promise<string> | null = null;

/** The script of the Chromium page that hosts the training engine (built once per process). */
export function engineScript(): Promise<string> {
  enginePage ??= bundleForBrowser(trainerFile('webgpu/page-entry'));
  return enginePage;
}
