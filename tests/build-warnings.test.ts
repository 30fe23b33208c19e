// The wasm builds print no known-harmless AssemblyScript warnings, and still print errors.
// Silenced in every asconfig (options.disableWarning): AS112 "exchange of v128 values is not supported by
// all embeddings" (v128 parameters of internal kernel helpers; no export of the modules takes or returns
// a v128, and the tests call every export from JS) and AS201 "usize to i32 needs a cast when switching
// between 32/64-bit" (the modules are wasm32 only).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIGS = ['asconfig.json', 'assembly/train-kernels/asconfig.json', 'hosts/wasi/asconfig.json'];
const work = mkdtempSync(join(tmpdir(), 'edgevae-asc-'));
/** asc colours its messages when it thinks a terminal (or CI) is watching; compare the text. */
const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function compile(source: string, config: string | null): Promise<{ stderr: string; failed: boolean }> {
  const file = join(work, `m${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, source);
  let stderr = '';
  const sink = { write: (s: string | Uint8Array) => { stderr += typeof s === 'string' ? s : Buffer.from(s).toString(); return true; } };
  const args = [file, '--noEmit', '--optimizeLevel', '0', '--shrinkLevel', '0', '--enable', 'simd', ...(config ? ['--config', config] : ['--config', join(work, 'none.json')])];
  // Relative to ROOT (the tests' working directory), as the npm scripts pass it: the WASI shim's config
  // resolves its entries that way.
  const { error } = await asc.main(args, { stdout: sink as never, stderr: sink as never });
  return { stderr, failed: error !== null };
}

const V128_HELPER = 'export function lanes(a: v128): v128 { return a; }\n';

describe('AssemblyScript build output', () => {
  it('the snippet does warn AS112 without our settings (so the check below can fail)', async () => {
    const r = await compile(V128_HELPER, null);
    expect(r.stderr).toContain('AS112');
  }, 60_000);

  for (const config of CONFIGS) {
    it(`${config}: no AS112/AS201 warning, and errors still print`, async () => {
      const quiet = await compile(V128_HELPER, config);
      expect(quiet.stderr).not.toMatch(/WARNING/);
      expect(quiet.failed, quiet.stderr).toBe(false);
      const broken = await compile('export function broken(): i32 { return undefinedName; }\n', config);
      expect(broken.failed).toBe(true);
      expect(plain(broken.stderr)).toMatch(/ERROR TS2304: Cannot find name 'undefinedName'/);
    }, 60_000);
  }

  it('the build scripts run asc through scripts/asc-quiet.mjs, which keeps errors and the exit code', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['build:wasm', 'build:train-wasm', 'build:wasi']) expect(scripts[name], name).toMatch(/^node scripts\/asc-quiet\.mjs /);
    const good = join(work, 'good.ts');
    writeFileSync(good, 'export function f(x: i32): i32 { return x + 1; }\n');
    const ok = spawnSync(process.execPath, [join(ROOT, 'scripts', 'asc-quiet.mjs'), good, '--noEmit', '--converge', '-O3'], { cwd: ROOT, encoding: 'utf8' });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, '', '']);
    const bad = join(work, 'bad.ts');
    writeFileSync(bad, 'export function f(): i32 { return nope; }\n');
    const failed = spawnSync(process.execPath, [join(ROOT, 'scripts', 'asc-quiet.mjs'), bad, '--noEmit'], { cwd: ROOT, encoding: 'utf8' });
    expect(failed.status).toBe(1);
    expect(plain(failed.stderr)).toMatch(/ERROR TS2304: Cannot find name 'nope'/);
  }, 60_000);
});
