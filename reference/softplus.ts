// softplus(x) = log(1 + e^x), written as max(x, 0) + log1p(e^-|x|) so it neither overflows for large x nor
// loses the small values for very negative x: the form the wasm kernel (assembly/kernels/activation.ts) uses.
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
