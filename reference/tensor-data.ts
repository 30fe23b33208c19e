// The values of a model's constant tensors as typed arrays, for the reference forward pass and the quantizer.
import { DType } from '../format/constants.js';
import type { WTensor } from '../converter/writer.js';
import { fromHalfBits } from './quant-arithmetic.js';

/** Float values of a constant (f32, f16 widened, i8 dequantized with its per-channel scales is NOT done here). */
export function constantF32(t: WTensor): Float32Array {
  const d = t.data!;
  if (t.dtype === DType.F32) return new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
  if (t.dtype === DType.F16) {
    const h = new Uint16Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    return Float32Array.from(h, fromHalfBits);
  }
  throw new Error(`constant of dtype ${t.dtype} is not a float tensor`);
}

export const constantI8 = (t: WTensor): Int8Array => new Int8Array(t.data!.buffer, t.data!.byteOffset, t.data!.byteLength);
export const constantI32 = (t: WTensor): Int32Array => new Int32Array(t.data!.buffer.slice(t.data!.byteOffset, t.data!.byteOffset + t.data!.byteLength));

export const bytesOf = (a: Float32Array | Int8Array | Int32Array | Uint16Array): Uint8Array =>
  new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

export const elementCount = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);
