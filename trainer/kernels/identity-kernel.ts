// Identity without a copy for the wasm backend. With the gradient tape on, tfjs's engine clones
// (Identity) every tensor it saves for the backward pass; the wasm backend copies each one (~13 ms
// per conv VAE step), while its Reshape and the cpu backend's Identity share the data through the
// backend's reference count. Tensors are immutable, so sharing is safe.
import type { FastKernelImpl } from './fast-kernel.js';

export const sharedIdentityKernel: FastKernelImpl = ({ inputs, backend }) => {
  const x = inputs.x!;
  const counted = backend as { incRef?: (dataId: object) => void };
  if (typeof counted.incRef !== 'function') return { unsupported: 'a backend without reference counts' };
  counted.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
