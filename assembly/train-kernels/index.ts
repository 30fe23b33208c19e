// Training kernels for tfjs (trainer/kernels/): a separate module from the inference runtime.
// The host owns the memory layout: it grows `memory`, places tensors from heapBase() on and passes
// byte offsets. Nothing here allocates.
export { setConvGeometry } from './geometry';
export {
  conv2d, conv2dScratchBytes,
  conv2dBackpropInput, conv2dBackpropInputScratchBytes,
  conv2dBackpropFilter, conv2dBackpropFilterScratchBytes,
} from './conv';

/** First byte the host may use. */
export function heapBase(): usize {
  return __heap_base;
}
export {
  conv2dBackpropFilterDirect, conv2dBackpropFilterDirectScratchBytes,
  conv2dBackpropInputDirect, conv2dBackpropInputDirectScratchBytes,
  conv2dDirect, conv2dDirectScratchBytes,
} from './direct';
export { matmul, matmulScratchBytes } from './matmul';
export { sumRows, sumRowsScratchBytes } from './reduce';
