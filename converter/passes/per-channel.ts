// Shared by the affine-folding passes: a constant that is one value per channel, broadcast over space.

/** Per-channel vector of a constant laid out [C, ...spatial] (ONNX order), or null when it varies spatially. */
export function perChannel(data: Float32Array, channels: number): Float32Array | null {
  const inner = data.length / channels;
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    out[c] = data[c * inner]!;
    for (let i = 1; i < inner; i++) if (data[c * inner + i] !== out[c]) return null;
  }
  return out;
}
