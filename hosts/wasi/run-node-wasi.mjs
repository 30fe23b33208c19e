#!/usr/bin/env node
// Runs the edgevae WASI command under Node's built-in WASI (node:wasi): for a device that has Node but
// no wasmtime. The current directory is the module's "." (the only folder it can read and write).
//   node run-node-wasi.mjs edgevae-wasi.wasm sample --model m.evae --n 16 --out grid.png
import { readFile } from 'node:fs/promises';

const [wasmPath, ...args] = process.argv.slice(2);
if (!wasmPath) {
  process.stderr.write('usage: node run-node-wasi.mjs edgevae-wasi.wasm <command> [options]\n');
  process.exit(2);
}
// Node marks WASI experimental and says so on every run; that line is noise for this one use.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => (/WASI/.test(String(warning)) ? undefined : emitWarning.call(process, warning, ...rest));
const { WASI } = await import('node:wasi');
const wasi = new WASI({ version: 'preview1', args: ['edgevae-wasi.wasm', ...args], env: {}, preopens: { '.': process.cwd() }, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
