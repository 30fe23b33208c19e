// The published package's shape: what `npm pack` would ship, that every "exports" target is in it, and
// that the runtime entry point (".") pulls in no npm package and no Node builtin, so a browser or a Pi gets
// the wasm plus a small JS file. dist/ is compiled into a temp copy of the package: building it inside
// the work tree would make bin/edgevae.js run the compiled (possibly stale) CLI instead of the sources.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  main: string;
  types: string;
  bin: Record<string, string>;
};

interface PackEntry { path: string; size: number }

/** The file list of `npm pack --dry-run --json` in `dir`, without running prepack (the test builds what it needs). */
function packList(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(out) as [{ files: PackEntry[] }];
  return info.files.map((f) => f.path);
}

/** Module specifiers of static imports/re-exports, side-effect imports and literal dynamic imports in compiled JS. */
function importSpecifiers(code: string): string[] {
  const pattern = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;
  return [...code.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

const exportTargets = () => Object.values(PKG.exports).flatMap((t) => (typeof t === 'string' ? [t] : [t.types, t.default])).map((t) => t.replace(/^\.\//, ''));

describe('npm pack of the work tree', () => {
  const files = packList(ROOT);

  it('ships the runtime modules, the CLI launcher, the docs and the default model folder', () => {
    for (const f of ['package.json', 'build/edgevae.wasm', 'build/edgevae-wasi.wasm', 'bin/edgevae.js', 'docs/format.md', 'docs/architecture.md']) {
      expect(files, f).toContain(f);
    }
    for (const f of ['calib.npy', 'examples.npy', 'labels.json', 'encoder.onnx', 'decoder.onnx']) {
      if (existsSync(join(ROOT, 'models', 'default', f))) expect(files).toContain(`models/default/${f}`);
    }
    expect(files.filter((f) => f.startsWith('models/default/') && /checkpoint|\.evck$/.test(f))).toEqual([]);
    for (const f of ['words.evae', 'README.md']) {
      if (existsSync(join(ROOT, 'models', 'text', f))) expect(files).toContain(`models/text/${f}`);
    }
  });

  it('ships no tests, fixtures, sources of the wasm, benchmarks, build leftovers or node_modules', () => {
    // "files" entries are folders, files or `*` globs within one folder.
    const allowed = PKG.files.map((a) => new RegExp(`^${a.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`));
    for (const f of files) {
      const ok = f === 'package.json' || /^(README|LICENSE)/i.test(f) || allowed.some((a) => a.test(f));
      expect(ok, `${f} is outside the "files" whitelist`).toBe(true);
      expect(f).not.toMatch(/^(tests|node_modules|assembly|bench|fuzz|scripts)\//);
      expect(f).not.toMatch(/fixtures|\.test\.|\.tmp$|\.wat$/);
      expect(f, 'TypeScript sources are compiled to dist/ (declarations may ship)').not.toMatch(/^(?!dist\/).*(?<!\.d)\.ts$/);
    }
  });
});

describe('the compiled package (dist/ built into a temp copy)', () => {
  let pkgDir: string;
  let files: string[];

  beforeAll(() => {
    pkgDir = mkdtempSync(join(tmpdir(), 'edgevae-pack-'));
    // The same compile as "prepack", only into the copy.
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkgDir, 'dist')], { cwd: ROOT, stdio: 'pipe' });
    cpSync(join(ROOT, 'package.json'), join(pkgDir, 'package.json'));
    for (const f of new Set(PKG.files.filter((f) => f !== 'dist').map((f) => (f.includes('*') ? dirname(f) : f)))) {
      if (existsSync(join(ROOT, f))) {
        mkdirSync(dirname(join(pkgDir, f)), { recursive: true });
        cpSync(join(ROOT, f), join(pkgDir, f), { recursive: true });
      }
    }
    files = packList(pkgDir);
  }, 300_000);

  afterAll(() => {
    if (pkgDir) rmSync(pkgDir, { recursive: true, force: true });
  });

  it('every "exports", "main", "types" and "bin" target is in the package', () => {
    for (const t of [...exportTargets(), PKG.main, PKG.types, ...Object.values(PKG.bin)].map((t) => t.replace(/^\.\//, ''))) {
      expect(files, t).toContain(t);
    }
  });

  it('dist/ holds no tests or benchmarks', () => {
    const dist = files.filter((f) => f.startsWith('dist/'));
    expect(dist.length).toBeGreaterThan(20);
    for (const f of dist) expect(f).not.toMatch(/^dist\/(tests|bench|fuzz|scripts)\//);
  });

  it('the compiled runtime entry imports only its own relative files: no npm package, no node: builtin', () => {
    const seen = new Set<string>();
    const outside: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('./') || spec.startsWith('../')) visit(resolve(dirname(file), spec));
        else outside.push(`${file.slice(pkgDir.length + 1)} imports ${spec}`);
      }
    };
    visit(join(pkgDir, PKG.main));
    expect(seen.size).toBeGreaterThan(5); // the scan did follow the imports
    expect(outside).toEqual([]);
    // It may leave dist/runtime only for dist/format, the format's numbers and CRC-32 below it.
    for (const f of seen) expect(f.slice(pkgDir.length + 1)).toMatch(/^dist\/(runtime|format)\//);
  });

  it('no file of dist/runtime/ imports an npm package (Node builtins only in the Node helpers)', () => {
    const bare: string[] = [];
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
    const runtimeFiles = walk(join(pkgDir, 'dist', 'runtime'));
    expect(runtimeFiles.length).toBeGreaterThan(10);
    for (const file of runtimeFiles) {
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.') && !spec.startsWith('node:')) bare.push(`${file.slice(pkgDir.length + 1)} imports ${spec}`);
      }
    }
    expect(bare).toEqual([]);
  });

  it('the packaged `edgevae` command runs from dist/ (no tsx) and finds the packaged wasm', () => {
    symlinkSync(join(ROOT, 'node_modules'), join(pkgDir, 'node_modules'), 'dir'); // what `npm install` would provide
    const bin = join(pkgDir, PKG.bin.edgevae!);
    const run = (args: string[]) => execFileSync(process.execPath, [bin, ...args], { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run(['--version']).trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    // bench/ is not compiled into the package, so its help does not offer it (a checkout's does).
    const help = run(['--help']);
    expect(help).toMatch(/\n {2}serve +/);
    expect(help).not.toMatch(/\n {2}bench +/);
    run(['convert', '--decoder', join(ROOT, 'tests', 'fixtures', 'conv.decoder.op13.onnx'), '-o', join(pkgDir, 'm.evae')]);
    run(['sample', '--model', join(pkgDir, 'm.evae'), '--n', '4', '--out', join(pkgDir, 'g.png')]);
    expect(readFileSync(join(pkgDir, 'g.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(existsSync(join(pkgDir, 'cli')), 'no TypeScript sources in the copy, so dist/ was used').toBe(false);
  });

  it.runIf(existsSync(process.env.EDGEVAE_FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist'))(
    'the packaged trainer finds its SIMD kernels from dist/, and says in one line when they are missing', () => {
      const bin = join(pkgDir, PKG.bin.edgevae!);
      const train = (out: string) => spawnSync(process.execPath, [bin, 'train', '--model', 'mlp', '--widths', '16', '--latent', '2', '--batch', '32',
        '--limit-train', '64', '--limit-test', '32', '--epochs', '1', '--no-export', '--no-report', '--out', join(pkgDir, out)], { cwd: pkgDir, encoding: 'utf8', timeout: 120_000 });
      const fast = train('run-fast');
      expect(fast.status, fast.stderr).toBe(0);
      expect(fast.stderr).toMatch(/^backend: wasm \+ SIMD kernels \(.*Conv2DBackpropFilter/m);
      expect(fast.stderr).not.toMatch(/warning/);
      const kernels = join(pkgDir, 'build', 'train-kernels.wasm');
      renameSync(kernels, kernels + '.away');
      try {
        const slow = train('run-slow');
        expect(slow.status, slow.stderr).toBe(0);
        const warnings = slow.stderr.split('\n').filter((l) => l.includes('warning'));
        expect(warnings).toEqual([expect.stringMatching(/^edgevae train: warning: fast training path unavailable: .*build\/train-kernels\.wasm not found.*; training on plain tfjs 'cpu' at a few dozen images\/s for an MLP VAE instead of thousands of images\/s$/)]);
      } finally {
        renameSync(kernels + '.away', kernels);
      }
    },
  );

  it('the compiled runtime entry loads and runs a model with the packaged wasm', async () => {
    const rt = await import(pathToFileURL(join(pkgDir, PKG.main)).href) as typeof import('../runtime/index.js');
    const { convert } = await import('../converter/index.js');
    const { bytes } = await convert({ decoder: join(ROOT, 'tests', 'fixtures', 'conv.decoder.op13.onnx') });
    const wasm = readFileSync(join(pkgDir, (PKG.exports['./wasm'] as { default: string }).default));
    const vae = await rt.EdgeVae.load(bytes, { wasm });
    const { images } = vae.sample(2, { seed: 3 });
    expect(images.length).toBe(2 * 784);
    expect(images.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('the runtime entry bundled from source', () => {
  it('esbuild with every package external finds no package or builtin to leave out', async () => {
    const result = await esbuild.build({
      entryPoints: [join(ROOT, 'runtime', 'index.ts')], bundle: true, write: false, format: 'esm', platform: 'neutral',
      packages: 'external', metafile: true, logLevel: 'silent',
    });
    const external = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect(external).toEqual([]);
    const size = result.outputFiles[0]!.contents.byteLength;
    expect(size).toBeLessThan(200_000);
  });
});
