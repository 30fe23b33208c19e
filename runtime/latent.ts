// Latent-space helpers (pure math, browser-safe): interpolation and attribute arithmetic on VAE latents.
import { InputError } from './errors.js';

export type InterpolationMode = 'lerp' | 'slerp';
/** A set of latent vectors: one flat Float32Array of k * latentSize values, or an array of vectors. */
export type LatentSet = Float32Array | Float32Array[];

function checkVector(name: string, v: Float32Array, size: number): void {
  if (!(v instanceof Float32Array)) throw new InputError(`${name} must be a Float32Array`);
  if (v.length !== size) throw new InputError(`${name} has ${v.length} values, expected the latent size ${size}`);
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new InputError(`${name}[${bad}] is ${v[bad]}, latents must be finite`);
}

/**
 * `steps` latents from zA to zB inclusive (steps >= 2), packed into one Float32Array of steps * L.
 * slerp follows the great circle between the two directions while interpolating the norm linearly,
 * which keeps intermediate points at a typical radius for a Gaussian prior; it falls back to lerp
 * when the vectors are (anti)parallel or zero.
 */
export function interpolateLatents(zA: Float32Array, zB: Float32Array, steps: number, mode: InterpolationMode = 'lerp'): Float32Array {
  const L = zA instanceof Float32Array ? zA.length : 0;
  if (L === 0) throw new InputError('zA must be a non-empty Float32Array');
  checkVector('zA', zA, L);
  checkVector('zB', zB, L);
  if (!Number.isInteger(steps) || steps < 2) throw new InputError(`steps must be an integer >= 2, got ${steps}`);
  if (mode !== 'lerp' && mode !== 'slerp') throw new InputError(`interpolation mode must be 'lerp' or 'slerp', got '${String(mode)}'`);
  const out = new Float32Array(steps * L);
  let na = 0, nb = 0, dot = 0;
  for (let i = 0; i < L; i++) {
    na += zA[i] * zA[i];
    nb += zB[i] * zB[i];
    dot += zA[i] * zB[i];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  const cos = na > 0 && nb > 0 ? Math.min(1, Math.max(-1, dot / (na * nb))) : 1;
  const omega = Math.acos(cos);
  const useSlerp = mode === 'slerp' && Math.sin(omega) > 1e-6;
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    let wa = 1 - t, wb = t;
    if (useSlerp) {
      // Unit-direction slerp weights, rescaled so the norm goes linearly from |zA| to |zB|.
      const radius = (1 - t) * na + t * nb;
      wa = (Math.sin((1 - t) * omega) / Math.sin(omega)) * (radius / na);
      wb = (Math.sin(t * omega) / Math.sin(omega)) * (radius / nb);
    }
    for (let i = 0; i < L; i++) out[s * L + i] = wa * zA[i] + wb * zB[i];
  }
  return out;
}

/** Mean of a set of latent vectors of size L. */
export function meanLatent(name: string, set: LatentSet, L: number): Float32Array {
  const vectors = Array.isArray(set) ? set : splitFlat(name, set, L);
  if (vectors.length === 0) throw new InputError(`${name} is empty: give at least one latent vector`);
  const sum = new Float64Array(L);
  vectors.forEach((v, k) => {
    checkVector(`${name}[${k}]`, v, L);
    for (let i = 0; i < L; i++) sum[i] += v[i];
  });
  return Float32Array.from(sum, (x) => x / vectors.length);
}

function splitFlat(name: string, flat: Float32Array, L: number): Float32Array[] {
  if (!(flat instanceof Float32Array)) throw new InputError(`${name} must be a Float32Array or an array of them`);
  if (flat.length % L !== 0) throw new InputError(`${name} has ${flat.length} values, not a multiple of the latent size ${L}`);
  return Array.from({ length: flat.length / L }, (_, k) => flat.subarray(k * L, (k + 1) * L));
}

/** z = base + mean(plus) - mean(minus); an omitted set contributes nothing. */
export function latentArithmetic(base: Float32Array, L: number, plus?: LatentSet, minus?: LatentSet): Float32Array {
  checkVector('base', base, L);
  const z = Float64Array.from(base);
  if (plus !== undefined) meanLatent('plus', plus, L).forEach((v, i) => { z[i] += v; });
  if (minus !== undefined) meanLatent('minus', minus, L).forEach((v, i) => { z[i] -= v; });
  return Float32Array.from(z);
}
