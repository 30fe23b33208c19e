// The docs name both module sizes, the 28 KB runtime and the ~105 KB WASI command, and they match the builds.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const size = (f: string) => statSync(join(ROOT, 'build', f)).size;

describe('module sizes in the docs', () => {
  it('README and docs/deploy.md give the runtime and the WASI command each its own size', () => {
    const runtimeKb = Math.round(size('edgevae.wasm') / 1024);
    const wasiKb = size('edgevae-wasi.wasm') / 1000;
    for (const doc of ['README.md', 'docs/deploy.md']) {
      const text = read(doc);
      expect(text, doc).toContain(`${runtimeKb} KB`);
      const stated = /(\d+) KB WASI command|WASI command `build\/edgevae-wasi\.wasm` is about (\d+) KB/.exec(text);
      expect(stated, `${doc} states the WASI command's size`).not.toBeNull();
      expect(Math.abs(Number(stated![1] ?? stated![2]) - wasiKb), doc).toBeLessThan(3);
    }
  });

  it("README's line count of the reference forward pass is the count of its files, within 10 %", () => {
    const files = ['interpreter', 'kernels', 'spatial', 'erf', 'softplus', 'quant-arithmetic', 'tensor-data'];
    const lines = files.reduce((n, f) => n + read(`reference/${f}.ts`).split('\n').length - 1, 0);
    const stated = /the forward pass in (\d+) lines/.exec(read('README.md'));
    expect(stated, 'README states the forward pass line count').not.toBeNull();
    expect(Math.abs(Number(stated![1]) - lines) / lines).toBeLessThan(0.1);
  });

  it('deploy.md names the three Pi routes and the runners the package ships', () => {
    const deploy = read('docs/deploy.md');
    expect(deploy).toMatch(/wasmtime-vVERSION-aarch64-linux\.tar\.xz/);
    expect(deploy).toContain('run-node-wasi.mjs');
    expect(deploy).toContain('pip install wasmtime');
    expect(deploy).toContain('edgevae kiosk --model');
    const files = (JSON.parse(read('package.json')) as { files: string[] }).files;
    expect(files).toEqual(expect.arrayContaining(['hosts/wasi/run-wasmtime.py', 'hosts/wasi/run-node-wasi.mjs']));
  });
});
