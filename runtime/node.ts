// Node helpers around the browser-safe API: find build/edgevae.wasm inside the package and load
// model files from disk.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { EdgeVae, type LoadOptions } from './index.js';
import { InputError } from './errors.js';
import { nodeMemberSpawner } from './threads/node.js';

export * from './index.js';
export { writeFileAtomic } from './atomic-write.js';

/** The package root: the nearest parent directory whose package.json is named "edgevae". */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'edgevae') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('could not find the edgevae package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Path of the release runtime module (built by `npm run build:wasm`). */
export function defaultWasmPath(): string {
  return join(packageRoot(), 'build', 'edgevae.wasm');
}

/** Path of the relaxed-SIMD runtime module (built beside it by `npm run build:wasm`). */
export function relaxedWasmPath(): string {
  return join(packageRoot(), 'build', 'edgevae-relaxed.wasm');
}

/** Path of the threaded runtime module (docs/threads.md; built by `npm run build:wasm-threads`). */
export function threadsWasmPath(): string {
  return join(packageRoot(), 'build', 'edgevae-threads.wasm');
}

export function readDefaultWasm(): Uint8Array {
  const path = defaultWasmPath();
  if (!existsSync(path)) throw new InputError(`runtime module ${path} not found; build it with "npm run build:wasm"`);
  return readFileSync(path);
}

/** Reads a file with a clear error for missing files and directories. */
export function readInputFile(path: string, what: string): Uint8Array {
  const full = resolve(path);
  if (!existsSync(full)) throw new InputError(`${what} ${path} does not exist`);
  try {
    return readFileSync(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${what} ${path}: ${code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

export type NodeLoadOptions = Partial<LoadOptions>;

/**
 * EdgeVae.load with the package's runtime module unless options.wasm is given; with threads (> 1 or 'auto':
 * min(cores, 4)) also its threaded build and worker threads unless options.threadsWasm / spawnThread are given.
 */
export async function loadModel(modelBytes: Uint8Array, options: NodeLoadOptions = {}): Promise<EdgeVae> {
  const threads = options.threads === 'auto' ? Math.max(1, Math.min(availableParallelism(), 4)) : options.threads;
  const extra: Partial<LoadOptions> = {};
  if (typeof threads === 'number' && threads > 1) {
    if (options.threadsWasm === undefined) {
      const path = threadsWasmPath();
      if (!existsSync(path)) throw new InputError(`threaded runtime module ${path} not found; build it with "npm run build:wasm-threads"`);
      extra.threadsWasm = readFileSync(path);
    }
    extra.spawnThread = options.spawnThread ?? nodeMemberSpawner();
  }
  // the packaged relaxed module too, unless the caller brought its own fixed one, forces fixed SIMD or asks for threads
  const relaxed = options.wasmRelaxed ?? (options.wasm === undefined && options.simd !== 'fixed' && extra.threadsWasm === undefined &&
    existsSync(relaxedWasmPath()) ? readFileSync(relaxedWasmPath()) : undefined);
  return EdgeVae.load(modelBytes,
    { ...options, ...extra, threads, wasm: options.wasm ?? readDefaultWasm(), ...(relaxed ? { wasmRelaxed: relaxed } : {}) });
}

/** Loads an .evae file with the package's runtime module (or options.wasm). */
export async function loadModelFile(path: string, options: NodeLoadOptions = {}): Promise<EdgeVae> {
  return loadModel(readInputFile(path, 'model file'), options);
}

/** The package version from package.json. */
export function packageVersion(): string {
  return String(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version);
}
