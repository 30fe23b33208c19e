// npm runs quietly here: no project config npm does not know (it warns about those on every npm/npx
// call), every dependency with an install script is reviewed in package.json's "allowScripts", and
// onnxruntime-node's script (a CUDA download from NuGet) is denied, so an install works offline.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
const LOCK = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; hasInstallScript?: boolean }> };
/** name -> version of every locked package with an install script (top-level copy when there are several). */
const withScripts = new Map<string, string>();
for (const [path, p] of Object.entries(LOCK.packages)) {
  if (!p.hasInstallScript) continue;
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  if (!withScripts.has(name) || path === `node_modules/${name}`) withScripts.set(name, p.version!);
}
const work = mkdtempSync(join(tmpdir(), 'edgevae-npm-scripts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm install scripts and config', () => {
  it('npm reads the project config without a warning', () => {
    const r = spawnSync('npm', ['config', 'list'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/npm warn/i);
  });

  it('every locked package with an install script is reviewed in "allowScripts"; onnxruntime-node is denied', () => {
    expect(withScripts.size).toBeGreaterThan(0);
    for (const name of withScripts.keys()) expect(Object.keys(PKG.allowScripts), name).toContain(name);
    expect(PKG.allowScripts['onnxruntime-node']).toBe(false);
  });

  it('a project with these packages and this policy installs without warnings and without running the NuGet download', () => {
    const deps = Object.fromEntries(withScripts);
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'probe', private: true, dependencies: deps, allowScripts: PKG.allowScripts }));
    const env = { ...process.env };
    delete env.ONNXRUNTIME_NODE_INSTALL; // the policy alone must do it
    const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: work, encoding: 'utf8', env, timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/npm warn/i);
    // The script, had it run, would have fetched the CUDA provider next to the binding (or failed offline).
    const bin = join(work, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(existsSync(join(bin, 'onnxruntime_binding.node'))).toBe(true);
      expect(existsSync(join(bin, 'libonnxruntime_providers_cuda.so'))).toBe(false);
    }
    expect(execFileSync(process.execPath, ['-e', 'require("onnxruntime-node"); console.log("ok")'], { cwd: work, encoding: 'utf8' }).trim()).toBe('ok');
  }, 200_000);
});
