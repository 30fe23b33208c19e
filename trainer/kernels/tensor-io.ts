// Reading float32 tensors out of, and creating them in, the two CPU-side tfjs backends.
// cpu: tensors are JS typed arrays. wasm: tensors live in the backend's wasm heap.
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

export interface TensorIO {
  read(t: TensorInfo): Float32Array;
  /** Creates a float32 output and lets `fill` write its values in place. */
  write(shape: number[], fill: (out: Float32Array) => void): TensorInfo;
}

interface CpuLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}
interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

export function tensorIO(backendName: string, backend: KernelBackend): TensorIO {
  if (backendName === 'wasm') {
    const b = backend as unknown as WasmLike;
    return {
      read: (t) => b.typedArrayFromHeap(t),
      write(shape, fill) {
        const out = b.makeOutput(shape, 'float32');
        fill(b.typedArrayFromHeap(out));
        return out;
      },
    };
  }
  if (backendName === 'cpu') {
    const b = backend as unknown as CpuLike;
    return {
      read(t) {
        const values = b.data.get(t.dataId).values;
        if (!(values instanceof Float32Array)) throw new Error(`cpu backend: tensor [${t.shape}] has no float32 values`);
        return values;
      },
      write(shape, fill) {
        const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
        fill(values);
        return b.makeTensorInfo(shape, 'float32', values);
      },
    };
  }
  throw new Error(`fast train kernels support the 'cpu' and 'wasm' backends, not '${backendName}'`);
}
