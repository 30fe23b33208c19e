// Chooses the tfjs backend for training. Best first: native TensorFlow (@tensorflow/tfjs-node-gpu,
// then @tensorflow/tfjs-node, optional peers loaded only if installed), then WebGPU in headless Chromium
// when it offers a hardware adapter (trainer/webgpu), then the pure backends with the project's
// WebAssembly SIMD convolution kernels (trainer/kernels) when they load, else plain 'cpu'.
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients.js';
import '@tensorflow/tfjs-backend-cpu';

import type { ChromiumSession } from './webgpu/chromium-session.js';

export type BackendChoice = 'auto' | 'cpu' | 'wasm' | 'tensorflow' | 'webgpu';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'cpu', 'wasm', 'tensorflow', 'webgpu'];

export interface BackendInfo {
  /** tfjs backend name now active */
  name: string;
  /** human-readable description (package, fast kernels) */
  description: string;
  fastKernels: string[];
  /** Why the fast path (wasm backend + SIMD kernels) is not in use, when it was wanted; see slow-path.ts. */
  slowPathReason?: string;
  /** why this backend runs (auto: what was tried before it) */
  why?: string;
  /** WebGPU: the Chromium page that runs the steps; the trainer must useEngine() it and close() it at the end */
  session?: ChromiumSession;
}

/** The one line `edgevae train` prints about its backend. */
export function backendLine(info: BackendInfo): string {
  return `backend: ${info.description}${info.why ? ` - ${info.why}` : ''}`;
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
 * WebGPU in headless Chromium. The Node side keeps a mirror of the model (checkpoints, export, report) on
 * wasm + kernels or cpu. `allowSoftware` = accept SwiftShader; otherwise a software adapter is refused.
 */
async function useWebGpu(allowSoftware: boolean): Promise<BackendInfo> {
  const { ChromiumSession } = await import('./webgpu/chromium-session.js');
  const { describeAdapter, isSoftwareAdapter } = await import('./webgpu/adapter.js');
  const session = await ChromiumSession.open({ allowSoftware });
  if (!allowSoftware && isSoftwareAdapter(session.adapter)) {
    await session.close();
    throw new Error(`Chromium's WebGPU adapter is software (${describeAdapter(session.adapter)})`);
  }
  let mirror: BackendInfo;
  try {
    mirror = await usePure('wasm', true);
  } catch {
    mirror = await usePure('cpu', true);
  }
  return {
    name: 'webgpu',
    description: `webgpu in Chromium on ${describeAdapter(session.adapter)} (checkpoints, export and report on ${mirror.name})`,
    fastKernels: [],
    session,
  };
}

/** Whether auto may try WebGPU: needs playwright-core and a Chromium binary (checked without starting it). */
async function webGpuCandidate(): Promise<string | null> {
  if (process.env.EDGEVAE_WEBGPU === '0') return 'EDGEVAE_WEBGPU=0';
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed';
  }
  const { CHROMIUM_PATH } = await import('./webgpu/chromium-session.js');
  const { existsSync } = await import('node:fs');
  return existsSync(CHROMIUM_PATH) ? null : `no Chromium at ${CHROMIUM_PATH}`;
}

/**
 * Activates a backend. 'auto' = native TensorFlow if installed, else WebGPU on a hardware adapter, else
 * wasm with the fast kernels, else cpu. Set `fastKernels: false` to keep the backends' own kernels (tests
 * use this to compare); `webgpu: false` keeps auto from trying WebGPU (models it cannot run).
 */
export async function selectBackend(choice: BackendChoice, opts: { fastKernels?: boolean; webgpu?: boolean } = {}): Promise<BackendInfo> {
  const fast = opts.fastKernels ?? true;
  switch (choice) {
    case 'webgpu':
      return { ...(await useWebGpu(true)), why: 'asked for (any adapter, software included)' };
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
      if (native) return { ...native, why: 'native TensorFlow is installed' };
      const skipped = [`no ${NATIVE_PACKAGES[0]}`];
      if (opts.webgpu !== false) {
        const absent = await webGpuCandidate();
        if (absent) skipped.push(`no WebGPU (${absent})`);
        else {
          try {
            return { ...(await useWebGpu(false)), why: `${skipped[0]}; Chromium offers a hardware WebGPU adapter` };
          } catch (e) {
            skipped.push(`no WebGPU: ${(e as Error).message}`);
          }
        }
      }
      const why = `${skipped.join('; ')}`;
      let reason: string | undefined;
      if (fast) {
        try {
          const wasm = await usePure('wasm', true);
          // Without our kernels the wasm backend has no Conv2DBackpropFilter, so it cannot train conv models.
          if (wasm.fastKernels.includes('Conv2DBackpropFilter')) return { ...wasm, why };
          reason = wasm.slowPathReason;
        } catch (e) {
          reason = (e as Error).message;
        }
      }
      const cpu = await usePure('cpu', fast);
      return { ...cpu, why, slowPathReason: [reason, cpu.slowPathReason].filter((r, i, all) => r && all.indexOf(r) === i).join('; ') || undefined };
    }
    default:
      throw new Error(`unknown backend '${String(choice)}' (choose ${BACKEND_CHOICES.join(', ')})`);
  }
}
