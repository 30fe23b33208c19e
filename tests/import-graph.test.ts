// The layers of the code base (docs/architecture.md "Dependency layers"): a module may import its own layer and the ones
// below it, never one above. format/ is at the bottom and imports nothing; runtime/ only format/; the readable
// forward pass (reference/) and data loading (data/) sit below the converter, which the trainer, parity and
// the Node hosts use; the CLI is on top. A command module that cli/edgevae.ts loads as a plugin (the `train`,
// `quantize`, `parity`, `serve`, ... front-ends that live beside what they drive) belongs to the CLI layer.
// Type-only imports are erased at run time, so they do not count.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../cli/edgevae.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Folder -> layer; higher layers may import lower ones. */
const LAYERS: Array<[folder: string, layer: number]> = [
  ['format', 0], ['runtime', 1], ['reference', 2], ['data', 3], ['converter', 4],
  ['trainer', 5], ['parity', 5], ['hosts/node', 5], ['hosts/kiosk', 5], ['cli', 6],
];
const CLI_LAYER = 6;

/**
 * Command front-ends: the plugins cli/edgevae.ts loads, trainer/main.ts (`tsx trainer/main.ts` runs `train`), and the
 * parts of `train` that only its front-end uses (`--model seq`'s flags, the --resume agreement check).
 */
const pluginSources = new Set(['trainer/main.ts', 'trainer/seq-cli.ts', 'trainer/run-definition.ts']);
for (const c of Object.values(COMMANDS)) if ('source' in c && c.source) pluginSources.add(c.source);

function layerOf(file: string): number | undefined {
  if (pluginSources.has(file)) return CLI_LAYER;
  return LAYERS.find(([folder]) => file === folder || file.startsWith(folder + '/'))?.[1];
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Module specifiers a file loads at run time: static imports and re-exports that are not type-only, and import(). */
export function runtimeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/gms)) {
    const [, , typeOnly, clause, spec] = m;
    if (typeOnly) continue;
    const named = /^\{([^}]*)\}$/.exec(clause!.trim());
    if (named && named[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '))) continue;
    out.push(spec!);
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** [importer, imported] pairs of files in the layered folders, imported resolved to a repository path. */
function edges(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [folder] of LAYERS) {
    for (const file of sources(folder)) {
      for (const spec of runtimeImports(readFileSync(join(ROOT, file), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        out.push([file, relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts')]);
      }
    }
  }
  return out;
}

describe('import graph', () => {
  const all = edges();

  it('reads the imports of every layer', () => {
    for (const folder of ['runtime', 'reference', 'data', 'converter', 'trainer', 'cli']) {
      expect(all.some(([from]) => from.startsWith(folder + '/')), folder).toBe(true);
    }
    expect(pluginSources.has('converter/quantize/cli.ts')).toBe(true);
    const sample = "import type { A } from './a.js';\nimport { type B } from './b.js';\nimport { c } from './c.js';";
    expect(runtimeImports(sample)).toEqual(['./c.js']);
  });

  it('no module imports a layer above its own', () => {
    const upward = all.filter(([from, to]) => {
      const target = layerOf(to);
      return target !== undefined && target > layerOf(from)!;
    }).map(([from, to]) => `${from} -> ${to}`);
    expect(upward).toEqual([]);
  });

  it('format/ imports only format/, and runtime/ only format/ and runtime/', () => {
    const stray = all.filter(([from, to]) => (from.startsWith('format/') && !to.startsWith('format/')) ||
      (from.startsWith('runtime/') && !/^(format|runtime)\//.test(to)));
    expect(stray).toEqual([]);
  });

  it('format/ uses no npm package and no Node builtin (the browser runtime is built on it)', () => {
    const external = sources('format').flatMap((f) =>
      runtimeImports(readFileSync(join(ROOT, f), 'utf8')).filter((s) => !s.startsWith('.')).map((s) => `${f}: ${s}`));
    expect(external).toEqual([]);
  });
});
