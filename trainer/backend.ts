// Chooses the tfjs backend for training. Best first: native TensorFlow (@tensorflow/tfjs-node-gpu,
// then @tensorflow/tfjs-node, optional peers loaded only if installed), then the pure backends with
// the project's WebAssembly SIMD convolution kernels (trainer/kernels) when they load, else plain 'cpu'.
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients.js';
import '@tensorflow/tfjs-backend-cpu';

export type BackendChoice = 'auto' | 'cpu' | 'wasm' | 'tensorflow';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'cpu', 'wasm', 'tensorflow'];

export interface BackendInfo {
  /** tfjs backend name now active */
  name: string;
  /** human-readable description (package, fast kernels) */
  description: string;
  fastKernels: string[];
  /** Why the fast path (wasm backend + SIMD kernels) is not in use, when it was wanted; see slow-path.ts. */
  slowPathReason?: string;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

async function tryNative(): Promise<BackendInfo | null> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(pkg);
    } catch {
      continue;
    }
    if (await tf.setBackend('tensorflow')) {
      await tf.ready();
      return { name: 'tensorflow', description: `tensorflow (${pkg})`, fastKernels: [] };
    }
  }
  return null;
}

async function tryFastKernels(backend: string): Promise<{ names: string[]; error?: string }> {
  try {
    const kernels = await import('./kernels/index.js');
    return { names: await kernels.registerFastKernels(backend) };
  } catch (e) {
    if (process.env.EDGEVAE_DEBUG) process.stderr.write(`fast kernels unavailable for ${backend}: ${(e as Error).stack}\n`);
    return { names: [], error: `the SIMD training kernels did not load: ${(e as Error).message.split('\n')[0]}` };
  }
}

async function usePure(name: 'cpu' | 'wasm', withFastKernels: boolean): Promise<BackendInfo> {
  if (name === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
      throw new Error(missing ? '@tensorflow/tfjs-backend-wasm is not installed' : `@tensorflow/tfjs-backend-wasm did not load: ${(e as Error).message}`);
    }
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialize`);
  await tf.ready();
  // The cpu backend prints a banner about tfjs-node on first use; our own backend line says it instead.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const fast = withFastKernels ? await tryFastKernels(name) : { names: [] };
  const fastKernels = fast.names;
  const extra = (fastKernels.length ? ` + SIMD kernels (${fastKernels.join(', ')})` : '') +
    ' (install @tensorflow/tfjs-node for native TensorFlow)';
  return { name, description: `${name}${extra}`, fastKernels, slowPathReason: fast.error };
}

/**
 * Activates a backend. 'auto' = native TensorFlow if installed, else wasm with the fast kernels,
 * else cpu. Set `fastKernels: false` to keep the backends' own kernels (tests use this to compare).
 */
export async function selectBackend(choice: BackendChoice, opts: { fastKernels?: boolean } = {}): Promise<BackendInfo> {
  const fast = opts.fastKernels ?? true;
  switch (choice) {
    case 'tensorflow': {
      const native = await tryNative();
      if (!native) throw new Error(`--backend tensorflow: neither ${NATIVE_PACKAGES.join(' nor ')} is installed`);
      return native;
    }
    case 'cpu':
    case 'wasm':
      return usePure(choice, fast);
    case 'auto': {
      const native = await tryNative();
      if (native) return native;
      let reason: string | undefined;
      if (fast) {
        try {
          const wasm = await usePure('wasm', true);
          // Without our kernels the wasm backend has no Conv2DBackpropFilter, so it cannot train conv models.
          if (wasm.fastKernels.includes('Conv2DBackpropFilter')) return wasm;
          reason = wasm.slowPathReason;
        } catch (e) {
          reason = (e as Error).message;
        }
      }
      const cpu = await usePure('cpu', fast);
      return { ...cpu, slowPathReason: [reason, cpu.slowPathReason].filter((r, i, all) => r && all.indexOf(r) === i).join('; ') || undefined };
    }
    default:
      throw new Error(`unknown backend '${String(choice)}' (choose ${BACKEND_CHOICES.join(', ')})`);
  }
}
