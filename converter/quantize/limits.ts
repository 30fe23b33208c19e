// Limits of the runtime's int8 kernels (assembly/kernels/int8/scratch.ts MAX_QUANT_CHANNELS): the converter
// keeps larger dense/conv ops in float.
export const MAX_QUANT_CHANNELS = 16384;
