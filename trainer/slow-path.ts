// The one line `edgevae train` prints when it cannot use its fast path (tfjs-backend-wasm + the SIMD
// training kernels): why, and the speed to expect, so a slow run is never a silent surprise.
import type { BackendInfo } from './backend.js';
import type { ModelKind } from './models.js';

/**
 * Rough speeds on a 2-core x86 VM at batch 128 (README's training speed row and runs of
 * bench/train-speed.ts with each backend forced); only the order of magnitude matters here.
 */
const EXPECTED: Record<ModelKind, { fast: string; cpuWithKernels: string; plainCpu: string }> = {
  conv: { fast: 'several hundred images/s', cpuWithKernels: 'a few dozen images/s', plainCpu: 'about 1 image/s' },
  mlp: { fast: 'thousands of images/s', cpuWithKernels: 'about a hundred images/s', plainCpu: 'a few dozen images/s' },
};

/** The notice for this backend and model, or undefined when training runs on the fast path (or native TensorFlow). */
export function slowPathNotice(info: BackendInfo, kind: ModelKind): string | undefined {
  if (info.slowPathReason === undefined) return undefined;
  const speed = EXPECTED[kind];
  const withKernels = info.fastKernels.includes('Conv2DBackpropFilter');
  if (info.name === 'wasm' && withKernels) return undefined;
  const now = withKernels
    ? `training on tfjs '${info.name}' with the SIMD kernels at ${speed.cpuWithKernels}`
    : `training on plain tfjs '${info.name}' at ${speed.plainCpu}`;
  const reason = info.slowPathReason.replace('@tensorflow/tfjs-backend-wasm is not installed', (m) => `${m} (npm install @tensorflow/tfjs-backend-wasm)`);
  return `warning: fast training path unavailable: ${reason}; ${now} for ${kind === 'mlp' ? 'an MLP' : 'a conv'} VAE instead of ${speed.fast}`;
}
