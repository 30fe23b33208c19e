// Bundles a browser entry of the trainer with esbuild (Node only). The trainer's modules are shared as they
// are; only register-gradients.js is swapped for its browser twin, because in Node tfjs gradients come from
// the tfjs-layers Node bundle while in the browser tfjs-core's ESM registers them itself.
import { build, type Plugin } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TRAINER = dirname(dirname(fileURLToPath(import.meta.url)));

const browserGradients: Plugin = {
  name: 'browser-gradients',
  setup(b) {
    b.onResolve({ filter: /register-gradients\.js$/ }, () => ({ path: join(TRAINER, 'register-gradients.browser.ts') }));
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
  enginePage ??= bundleForBrowser(join(TRAINER, 'webgpu', 'page-entry.ts'));
  return enginePage;
}
