// Registers WebAssembly SIMD training kernels (assembly/train-kernels/) into tfjs's kernel registry for the
// 'wasm' or 'cpu' backend. Call after tf.setBackend(name):
//   const names = await registerFastKernels('wasm');
// Cases a fast kernel does not cover (NCHW, dilation > 1, non-float32, other reductions) go to the
// backend's original kernel when it has one, and otherwise fail with an error naming the case.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { convKernel } from './conv-kernels.js';
import type { FastKernelImpl, KernelArgs } from './fast-kernel.js';
import { sharedIdentityKernel } from './identity-kernel.js';
import { batchMatMulKernel, fusedMatMulKernel } from './matmul-kernel.js';
import { sumLeadingAxesKernel } from './sum-kernel.js';
import { tensorIO } from './tensor-io.js';
import { defaultThreads, TrainKernelModule } from './train-module.js';

export { defaultThreads, TrainKernelModule } from './train-module.js';
export type { ConvGeometry, MatMulGeometry, LoadOptions } from './train-module.js';

const IMPLEMENTATIONS = {
  Conv2D: convKernel('Conv2D'),
  FusedConv2D: convKernel('FusedConv2D'),
  Conv2DBackpropInput: convKernel('Conv2DBackpropInput'),
  Conv2DBackpropFilter: convKernel('Conv2DBackpropFilter'),
  BatchMatMul: batchMatMulKernel,
  _FusedMatMul: fusedMatMulKernel,
  Sum: sumLeadingAxesKernel,
  Identity: sharedIdentityKernel,
} satisfies Record<string, FastKernelImpl>;

export type FastKernelName = keyof typeof IMPLEMENTATIONS;
export const FAST_KERNEL_NAMES = Object.keys(IMPLEMENTATIONS) as FastKernelName[];

/**
 * Kernels worth replacing per backend, chosen by measurement (bench/train-kernels.ts and per-op
 * timings at batch 128): the wasm backend's Conv2DBackpropInput is ~10x slower than ours, it has no
 * Conv2DBackpropFilter, its XNNPACK Conv2D matches ours on wide layers but is ~2x slower on the
 * 32 -> 1 output conv and single-threaded, its transposed BatchMatMul is ~5x slower and its Sum
 * over leading axes transposes first; the fused variants (tfjs-layers' Conv2D and Dense) follow
 * their plain ones; Identity (identity-kernel.ts) stops the wasm backend copying every tensor the
 * gradient tape saves. The cpu backend's own kernels are plain JS, so all of them pay off there (its
 * element-wise ops stay slow: prefer 'wasm' for training).
 */
export const DEFAULT_KERNELS: Record<string, FastKernelName[]> = {
  wasm: FAST_KERNEL_NAMES,
  cpu: FAST_KERNEL_NAMES.filter((k) => k !== 'Identity'), // the cpu Identity already shares its data
};

let modulePromise: Promise<TrainKernelModule> | undefined;
/** The one module behind every registered kernel, with `threads` threads. */
async function trainModule(threads: number): Promise<TrainKernelModule> {
  modulePromise ??= TrainKernelModule.load();
  const mod = await modulePromise;
  await mod.setThreads(threads);
  return mod;
}

export interface RegisterOptions {
  /**
   * Threads for the convolutions, the caller's included (Node worker_threads). Default:
   * defaultThreads(). One module serves every backend, so the last registration sets it for all.
   */
  threads?: number;
}

interface FastKernelConfig extends KernelConfig {
  /** The backend's own kernel that this one replaced, if any. */
  fastFallback: KernelConfig | undefined;
}

/** Registers the fast kernels for `backendName`; returns the names registered. */
export async function registerFastKernels(
  backendName: string,
  kernels: FastKernelName[] = DEFAULT_KERNELS[backendName] ?? [],
  options: RegisterOptions = {},
): Promise<FastKernelName[]> {
  if (!(backendName in DEFAULT_KERNELS)) {
    throw new Error(`registerFastKernels: backend '${backendName}' is not supported (use 'wasm' or 'cpu')`);
  }
  const unknown = kernels.filter((k) => !(k in IMPLEMENTATIONS));
  if (unknown.length > 0) throw new Error(`registerFastKernels: no fast kernel named ${unknown.join(', ')} (have ${FAST_KERNEL_NAMES.join(', ')})`);
  const mod = await trainModule(options.threads ?? defaultThreads());
  for (const name of kernels) {
    const current = tf.getKernel(name, backendName) as FastKernelConfig | KernelConfig | undefined;
    // Registering twice must not wrap our own kernel as the "original".
    const fallback = current && 'fastFallback' in current ? current.fastFallback : current;
    const config: FastKernelConfig = {
      kernelName: name,
      backendName,
      kernelFunc: wrap(name, backendName, IMPLEMENTATIONS[name], mod, fallback),
      setupFunc: fallback?.setupFunc,
      disposeFunc: fallback?.disposeFunc,
      fastFallback: fallback,
    };
    if (current) tf.unregisterKernel(name, backendName);
    tf.registerKernel(config);
  }
  return [...kernels];
}

/** Whether the kernel registered for (name, backend) is one of ours. */
export function isFastKernel(name: string, backendName: string): boolean {
  const current = tf.getKernel(name, backendName);
  return current !== undefined && 'fastFallback' in current;
}

/** Puts the backend's own kernels back (for comparisons and tests); returns the names restored. */
export function unregisterFastKernels(backendName: string): FastKernelName[] {
  const restored: FastKernelName[] = [];
  for (const name of FAST_KERNEL_NAMES) {
    if (!isFastKernel(name, backendName)) continue;
    const current = tf.getKernel(name, backendName) as FastKernelConfig;
    tf.unregisterKernel(name, backendName);
    if (current.fastFallback) tf.registerKernel(current.fastFallback);
    restored.push(name);
  }
  return restored;
}

function wrap(
  name: string,
  backendName: string,
  impl: FastKernelImpl,
  mod: TrainKernelModule,
  fallback: KernelConfig | undefined,
): KernelFunc {
  const slowPath = (args: KernelArgs, reason: string) => {
    if (fallback) return fallback.kernelFunc(args);
    throw new Error(`${name} on '${backendName}': unsupported case (${reason}) and the backend has no kernel of its own`);
  };
  return (args: KernelArgs) => {
    const notFloat = Object.entries(args.inputs).find(([, t]) => t !== undefined && t.dtype !== 'float32');
    if (notFloat) return slowPath(args, `input ${notFloat[0]} is ${notFloat[1]!.dtype}`);
    const result = impl(args, tensorIO(backendName, args.backend as KernelBackend), mod);
    return 'unsupported' in result ? slowPath(args, result.unsupported) : (result as TensorInfo);
  };
}
