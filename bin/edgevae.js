#!/usr/bin/env node
// Launcher of the edgevae CLI: runs the compiled dist/cli/edgevae.js when present, otherwise the
// TypeScript source through tsx's ESM loader (registered in-process, no second Node process).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'edgevae.js');
let entry = built;
if (!existsSync(built)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'cli', 'edgevae.ts');
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
