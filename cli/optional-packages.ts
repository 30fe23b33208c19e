// The optional peer packages some commands need (TensorFlow.js for `train`, onnxruntime-node for `parity`).
// A runtime-only install (a Pi, a kiosk) leaves them out, so before such a command starts we look for all
// of them at once and print one `npm install ...` line naming every missing one, instead of failing on the
// first import and making the user install and retry once per package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../runtime/node.js';

export interface CommandPackages {
  /** the command cannot start without these */
  required: string[];
  /** its fast path needs these; they are named in the same install line when anything is missing */
  recommended: string[];
}

export const COMMAND_PACKAGES: Record<string, CommandPackages> = {
  train: {
    required: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-layers'],
    recommended: ['@tensorflow/tfjs-backend-wasm'],
  },
  parity: { required: ['onnxruntime-node'], recommended: [] },
};

/**
 * Whether `name` resolves from this package's files: Node's lookup of a bare specifier walks up the
 * node_modules folders above the importing file, and so does this.
 */
export function isInstalled(name: string, from = dirname(fileURLToPath(import.meta.url))): boolean {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** `name@range` with the range edgevae's package.json declares for that peer (so npm picks a compatible version). */
export function installSpec(name: string): string {
  let range: string | undefined;
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
    range = pkg.peerDependencies?.[name];
  } catch {
    // no range: the bare name still installs
  }
  // Quoted: some shells (zsh) treat ^ specially.
  return range ? `"${name}@${range}"` : name;
}

/**
 * The one-line complaint when packages `command` needs are missing, else undefined. Names every missing
 * package of the command, required and recommended, in a single install line.
 */
export function missingPackagesMessage(command: string, installed: (name: string) => boolean = (n) => isInstalled(n)): string | undefined {
  const needs = COMMAND_PACKAGES[command];
  if (!needs) return undefined;
  const missingRequired = needs.required.filter((p) => !installed(p));
  if (missingRequired.length === 0) return undefined;
  const missing = [...missingRequired, ...needs.recommended.filter((p) => !installed(p))];
  const which = missing.length === 1 ? 'the npm package' : 'npm packages';
  return `${command}: needs ${which} ${missing.join(', ')}, not installed; install with: npm install ${missing.map(installSpec).join(' ')}`;
}
