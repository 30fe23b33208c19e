// Which runtime module a load uses: the fixed-SIMD build (bit-exact on every engine) or the relaxed-SIMD build
// (faster int8 on 7-bit activations, still exact; optional fused f32). Browser-safe: no Node imports.
import { InputError } from './errors.js';
import { FLAG_RELU_U7 } from './format-constants.js';
import { probeRelaxedSimd, type RelaxedSimdSupport } from './simd-probe.js';

/** auto: relaxed when given, supported and correct, else fixed; fixed / relaxed: force one (relaxed fails loudly). */
export type SimdMode = 'auto' | 'fixed' | 'relaxed';
export const SIMD_MODES: readonly SimdMode[] = ['auto', 'fixed', 'relaxed'];

export interface RuntimeChoice {
  /** the module that runs the model */
  build: 'fixed' | 'relaxed';
  /** one line: why this build */
  reason: string;
  /**
   * f32 convolutions and dense layers: 'exact' (bit-identical across engines) or 'fused' (relaxed_madd: exact per engine and
   * hardware, not across them)
   */
  f32: 'exact' | 'fused';
  /** int8 layers on 7-bit activations use the relaxed dot (int8-relaxed models on the relaxed build); exact on every engine either way */
  int8RelaxedDot: boolean;
}

let cachedProbe: RelaxedSimdSupport | undefined;
/** The probe's verdict for this engine, computed once. */
export function relaxedSimdSupport(): RelaxedSimdSupport {
  cachedProbe ??= probeRelaxedSimd();
  return cachedProbe;
}

/**
 * Picks the build for `mode`. haveRelaxed: a relaxed module was given; probe: the engine's verdict (injectable for tests).
 * Throws InputError when `relaxed` is forced but cannot run correctly.
 */
export function chooseBuild(
  mode: SimdMode, haveRelaxed: boolean, probe: () => RelaxedSimdSupport = relaxedSimdSupport,
): { build: 'fixed' | 'relaxed'; reason: string } {
  if (!SIMD_MODES.includes(mode)) throw new InputError(`simd must be one of ${SIMD_MODES.join(', ')}, got '${String(mode)}'`);
  if (mode === 'fixed') return { build: 'fixed', reason: 'fixed SIMD requested' };
  if (!haveRelaxed) {
    if (mode === 'relaxed') throw new InputError(
      'simd "relaxed" needs the relaxed-SIMD runtime module (options.wasmRelaxed, build/edgevae-relaxed.wasm)');
    return { build: 'fixed', reason: 'no relaxed-SIMD module given' };
  }
  const verdict = probe();
  if (!verdict.ok) {
    if (mode === 'relaxed') throw new InputError(`simd "relaxed" cannot run here: ${verdict.reason}`);
    return { build: 'fixed', reason: verdict.reason };
  }
  return { build: 'relaxed', reason: `${verdict.reason}${mode === 'relaxed' ? ', requested' : ''}` };
}

/** The full description once the model is known (flags: its header flags). */
export function describeChoice(choice: { build: 'fixed' | 'relaxed'; reason: string }, fusedF32: boolean, flags: number): RuntimeChoice {
  return {
    ...choice,
    f32: choice.build === 'relaxed' && fusedF32 ? 'fused' : 'exact',
    int8RelaxedDot: choice.build === 'relaxed' && (flags & FLAG_RELU_U7) !== 0,
  };
}
