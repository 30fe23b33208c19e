// tfjs kernel functions for BatchMatMul and _FusedMatMul (+ bias, linear/relu):
// a [...batch, rows, cols] x b [...batch, rows, cols], with optional transposes of the two innermost
// axes (tf.matMul passes rank-2 tensors straight through).
import { backend_util, type NamedAttrMap } from '@tensorflow/tfjs-core';
import { applyBiasActivation, unsupportedEpilogue } from './bias-activation.js';
import type { FastKernelImpl, KernelArgs } from './fast-kernel.js';
import type { TensorIO } from './tensor-io.js';
import type { TrainKernelModule } from './train-module.js';

const product = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

export const batchMatMulKernel: FastKernelImpl = (args, io, mod) => matMul(args, io, mod, false);
export const fusedMatMulKernel: FastKernelImpl = (args, io, mod) => matMul(args, io, mod, true);

function matMul({ inputs, attrs }: KernelArgs, io: TensorIO, mod: TrainKernelModule, fused: boolean): ReturnType<FastKernelImpl> {
  const a = inputs.a!;
  const b = inputs.b!;
  const { transposeA, transposeB, activation } = attrs as NamedAttrMap & {
    transposeA: boolean;
    transposeB: boolean;
    activation?: string;
  };
  if (a.shape.length < 2 || b.shape.length < 2) return { unsupported: `ranks ${a.shape.length} and ${b.shape.length} (need >= 2)` };
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const [kb, n] = transposeB ? [cb, rb] : [rb, cb];
  if (k !== kb) {
    throw new Error(`BatchMatMul: inner dimensions differ: a [${a.shape}]${transposeA ? '^T' : ''}, b [${b.shape}]${transposeB ? '^T' : ''}`);
  }
  const batchDimsA = a.shape.slice(0, -2);
  const batchDimsB = b.shape.slice(0, -2);
  const batchA = product(batchDimsA);
  const batchB = product(batchDimsB);
  // Same batch layout on both sides, or a single matrix on one side broadcast over the other.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return { unsupported: `batch shapes [${batchDimsA}] and [${batchDimsB}]` };
  if (batchA === batchB && batchA !== 1 && batchDimsA.join() !== batchDimsB.join()) {
    return { unsupported: `batch shapes [${batchDimsA}] and [${batchDimsB}]` };
  }
  if (m * k * n === 0) return { unsupported: 'an empty matrix' };
  const outShape = [...backend_util.assertAndGetBroadcastShape(batchDimsA, batchDimsB), m, n];
  const g = { batchA, batchB, m, k, n, transposeA, transposeB };
  if (!fused) return io.write(outShape, (out) => mod.matmul(io.read(a), io.read(b), g, out));
  const { bias, preluActivationWeights } = inputs;
  const why = unsupportedEpilogue(n, bias, activation, preluActivationWeights);
  if (why) return { unsupported: why };
  return io.write(outShape, (out) => {
    mod.matmul(io.read(a), io.read(b), g, out);
    applyBiasActivation(out, n, bias && io.read(bias), activation);
  });
}
