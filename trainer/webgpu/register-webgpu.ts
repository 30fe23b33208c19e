// Registers tfjs's WebGPU backend on the adapter Chromium offers: the default (a hardware GPU when there is
// one), else the fallback adapter (SwiftShader, when Chromium runs with --enable-unsafe-swiftshader).
// tfjs's own registration asks only for the default adapter and gives no way to learn which one it got.
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { AdapterSummary } from './adapter.js';

interface GpuAdapterLike {
  info: Partial<AdapterSummary>;
  limits: Record<string, number>;
  features: Set<string>;
  requestDevice(desc: object): Promise<unknown>;
}

export async function registerWebGpuBackend(): Promise<AdapterSummary> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(o?: object): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) throw new Error(
    'this browser has no WebGPU (navigator.gpu is missing; a secure context and --enable-unsafe-webgpu on Linux are needed)');
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ??
    (await gpu.requestAdapter({ forceFallbackAdapter: true }));
  if (!adapter) throw new Error('Chromium offers no WebGPU adapter');
  const info = adapter.info ?? {};
  const summary: AdapterSummary = {
    vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter),
  };
  const limits = adapter.limits;
  const names = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize',
    'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: Object.fromEntries(names.map((n) => [n, limits[n]])),
  });
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device as never, info as never), 3);
  return summary;
}
