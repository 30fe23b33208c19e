// Commands that need optional peer packages name every missing one in a single `npm install` line.
import { describe, expect, it } from 'vitest';
import { COMMAND_PACKAGES, installSpec, isInstalled, missingPackagesMessage } from '../cli/optional-packages.js';

describe('missing optional packages', () => {
  it('train with no TensorFlow.js at all: one line naming all four packages, wasm backend included', () => {
    const msg = missingPackagesMessage('train', () => false)!;
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toContain('npm install "@tensorflow/tfjs-core@^4.22.0" "@tensorflow/tfjs-backend-cpu@^4.22.0" "@tensorflow/tfjs-layers@^4.22.0" "@tensorflow/tfjs-backend-wasm@^4.22.0"');
  });

  it('names only what is missing; the fast path\'s package rides along only when something required is missing', () => {
    const have = (names: string[]) => (n: string) => names.includes(n);
    const msg = missingPackagesMessage('train', have(['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm']))!;
    expect(msg).toMatch(/npm install "@tensorflow\/tfjs-backend-cpu@[^"]+" "@tensorflow\/tfjs-layers@[^"]+"$/);
    expect(missingPackagesMessage('train', have(COMMAND_PACKAGES.train!.required))).toBeUndefined();
    expect(missingPackagesMessage('parity', () => false)).toBe('parity: needs the npm package onnxruntime-node, not installed; install with: npm install "onnxruntime-node@^1.30.0"');
    expect(missingPackagesMessage('sample', () => false)).toBeUndefined();
  });

  it('finds the packages installed in this checkout, and not a made-up one', () => {
    for (const p of [...COMMAND_PACKAGES.train!.required, ...COMMAND_PACKAGES.train!.recommended, 'onnxruntime-node']) expect(isInstalled(p), p).toBe(true);
    expect(isInstalled('@tensorflow/no-such-package')).toBe(false);
    expect(missingPackagesMessage('train')).toBeUndefined();
    expect(installSpec('not-a-peer')).toBe('not-a-peer');
  });
});
