// The one-line notice when training cannot use its fast path (tfjs-backend-wasm + the SIMD kernels).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../trainer/backend.js';
import { defaultTrainKernelsPath } from '../trainer/kernels/train-module.js';
import { packageRoot } from '../runtime/node.js';
import { slowPathNotice } from '../trainer/slow-path.js';

const ALL = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];

describe('slow-path notice', () => {
  it('says nothing on the fast path or native TensorFlow', () => {
    expect(slowPathNotice({ name: 'wasm', description: '', fastKernels: ALL }, 'conv')).toBeUndefined();
    expect(slowPathNotice({ name: 'tensorflow', description: '', fastKernels: [] }, 'conv')).toBeUndefined();
    expect(slowPathNotice({ name: 'cpu', description: '', fastKernels: [] }, 'conv'), 'cpu chosen on purpose (no reason recorded)').toBeUndefined();
  });

  it('kernels missing: one line with the reason and the speed to expect', () => {
    const info: BackendInfo = { name: 'cpu', description: '', fastKernels: [], slowPathReason: 'the SIMD training kernels did not load: /x/build/train-kernels.wasm not found' };
    const line = slowPathNotice(info, 'conv')!;
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('/x/build/train-kernels.wasm not found');
    expect(line).toMatch(/plain tfjs 'cpu' at about 1 image\/s for a conv VAE instead of several hundred images\/s/);
  });

  it('tfjs-backend-wasm missing: cpu with the kernels, and the install line', () => {
    const info: BackendInfo = { name: 'cpu', description: '', fastKernels: ALL, slowPathReason: '@tensorflow/tfjs-backend-wasm is not installed' };
    expect(slowPathNotice(info, 'mlp')).toMatch(/not installed \(npm install @tensorflow\/tfjs-backend-wasm\); training on tfjs 'cpu' with the SIMD kernels at about a hundred images\/s for an MLP VAE/);
  });

  it('the kernels are looked up at the package root, as the runtime looks up edgevae.wasm (also from dist/)', () => {
    expect(defaultTrainKernelsPath()).toBe(join(packageRoot(), 'build', 'train-kernels.wasm'));
  });
});
