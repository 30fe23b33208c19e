// The shape of one fast kernel: tfjs's kernel arguments plus tensor I/O for the backend and the
// loaded module. Returning { unsupported } hands the call to the backend's own kernel.
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { TensorIO } from './tensor-io.js';
import type { TrainKernelModule } from './train-module.js';

export type KernelArgs = Parameters<KernelFunc>[0];

export type FastKernelImpl = (
  args: KernelArgs,
  io: TensorIO,
  mod: TrainKernelModule,
) => TensorInfo | { unsupported: string };
