// Latent interpolation with the same f64 arithmetic, in the same order, as runtime/latent.ts
// (interpolateLatents), rounded once to f32, so the WASI command and the Node host agree bit for bit.

/** `steps` latents from a to b inclusive, packed; slerp moves along the great circle with a linear norm. */
export function interpolateLatents(a: Float32Array, b: Float32Array, steps: i32, slerp: bool): Float32Array {
  const L = a.length;
  const out = new Float32Array(steps * L);
  let na: f64 = 0, nb: f64 = 0, dot: f64 = 0;
  for (let i = 0; i < L; i++) {
    const x = <f64>a[i], y = <f64>b[i];
    na += x * x;
    nb += y * y;
    dot += x * y;
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  const cos = na > 0 && nb > 0 ? Math.min(1, Math.max(-1, dot / (na * nb))) : 1;
  const omega = Math.acos(cos);
  const useSlerp = slerp && Math.sin(omega) > 1e-6;
  for (let s = 0; s < steps; s++) {
    const t = <f64>s / <f64>(steps - 1);
    let wa = 1 - t, wb = t;
    if (useSlerp) {
      const radius = (1 - t) * na + t * nb;
      wa = (Math.sin((1 - t) * omega) / Math.sin(omega)) * (radius / na);
      wb = (Math.sin(t * omega) / Math.sin(omega)) * (radius / nb);
    }
    for (let i = 0; i < L; i++) out[s * L + i] = <f32>(wa * <f64>a[i] + wb * <f64>b[i]);
  }
  return out;
}
