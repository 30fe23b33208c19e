// Float32 arrays as base64 text, the form that crosses page.evaluate between Node and Chromium intact
// (bit patterns preserved, so weights and Adam moments round-trip exactly). Browser- and Node-safe.
const CHUNK = 0x8000;

export function floatsToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += CHUNK) text += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(text);
}

export function base64ToFloats(text: string): Float32Array {
  const binary = atob(text);
  const out = new Float32Array(binary.length / 4);
  const bytes = new Uint8Array(out.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
  return out;
}

export type EncodedTensors = Record<string, string>;

export function encodeTensors(tensors: Map<string, Float32Array>): EncodedTensors {
  const out: EncodedTensors = {};
  for (const [name, values] of tensors) out[name] = floatsToBase64(values);
  return out;
}

export function decodeTensors(encoded: EncodedTensors): Map<string, Float32Array> {
  return new Map(Object.entries(encoded).map(([name, text]) => [name, base64ToFloats(text)]));
}
