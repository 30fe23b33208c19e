// The epilogue of the fused kernels (FusedConv2D, _FusedMatMul): add a per-channel bias over the
// last axis, then an activation. Only the activations training needs; others use the backend kernel.
import type { TensorInfo } from '@tensorflow/tfjs-core';

export type FusedActivation = 'linear' | 'relu';
const SUPPORTED = new Set<string>(['linear', 'relu']);

/** Why the epilogue cannot run, or undefined when it can. */
export function unsupportedEpilogue(
  channels: number,
  bias: TensorInfo | undefined,
  activation: string | undefined,
  prelu: TensorInfo | undefined,
): string | undefined {
  if (prelu !== undefined) return 'prelu activation weights';
  if (activation !== undefined && !SUPPORTED.has(activation)) return `activation '${activation}' (only linear, relu)`;
  if (bias !== undefined && bias.shape.reduce((a, b) => a * b, 1) !== channels) {
    return `bias of shape [${bias.shape}] (only one value per output channel, ${channels})`;
  }
  return undefined;
}

/** In place: out[i, c] = act(out[i, c] + bias[c]). */
export function applyBiasActivation(out: Float32Array, channels: number, bias: Float32Array | undefined, activation: string | undefined): void {
  const relu = activation === 'relu';
  if (bias === undefined && !relu) return;
  for (let i = 0; i < out.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = out[i + c]! + (bias === undefined ? 0 : bias[c]!);
      out[i + c] = relu && v < 0 ? 0 : v;
    }
  }
}
