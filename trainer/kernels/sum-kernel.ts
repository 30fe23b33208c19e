// tfjs kernel function for Sum over all leading axes (keeping the last): the bias gradient of every
// conv layer. Both CPU backends transpose first for this and it cost ~40 ms per VAE training step.
import { util, type NamedAttrMap } from '@tensorflow/tfjs-core';
import type { FastKernelImpl } from './fast-kernel.js';

export const sumLeadingAxesKernel: FastKernelImpl = ({ inputs, attrs }, io, mod) => {
  const x = inputs.x!;
  const { axis, keepDims } = attrs as NamedAttrMap & { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const leading = rank >= 2 && axes.length === rank - 1 && axes.every((v, i) => v === i);
  if (!leading) return { unsupported: `axes [${axes}] of a rank-${rank} tensor (only all but the last)` };
  const channels = x.shape[rank - 1]!;
  const outShape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
  if (channels === 0) return { unsupported: 'an empty last axis' };
  const rows = util.sizeFromShape(x.shape) / channels;
  return io.write(outShape, (out) => mod.sumRows(io.read(x), rows, channels, out));
};
