// The decoder output's image shape [C, H, W] from EdgeVae.info.outputShape; a flat output (a model
// without shape metadata) is taken as a square grayscale or RGB image.
export function imageShapeOf(outputShape: readonly number[]): [number, number, number] {
  if (outputShape.length === 3 && (outputShape[0] === 1 || outputShape[0] === 3)) return [outputShape[0], outputShape[1], outputShape[2]];
  if (outputShape.length === 2) return [1, outputShape[0], outputShape[1]];
  const size = outputShape.reduce((p, d) => p * d, 1);
  const gray = Math.round(Math.sqrt(size));
  if (outputShape.length > 0 && gray * gray === size) return [1, gray, gray];
  const rgb = Math.round(Math.sqrt(size / 3));
  if (outputShape.length > 0 && rgb * rgb * 3 === size) return [3, rgb, rgb];
  throw new Error(`cannot show a decoder output of shape [${outputShape.join(', ')}] as an image`);
}
