// Quantization driven by user options (converter --quant, `edgevae quantize`): loads the --calib images
// for the model's input shape, then quantizes. Validates the options with messages naming the flag.
import { readModel } from '../../runtime/format.js';
import type { CalibMethod } from './calibration.js';
import { loadCalibrationImages } from './calibration-data.js';
import { DEFAULT_CALIB_METHOD, QUANT_MODES, quantizeModel, type QuantizeReport, type QuantMode } from './index.js';

export interface QuantFlags {
  quant: string;
  calib?: string;
  calibMethod?: string;
  targetPsnr?: number;
  /** calibration images to use (default 256) */
  calibCount?: number;
  seed?: number;
}

export function checkQuantFlags(f: QuantFlags): { mode: QuantMode; method: CalibMethod } {
  if (!QUANT_MODES.includes(f.quant as QuantMode)) throw new Error(`--quant must be one of ${QUANT_MODES.join(', ')}, got '${f.quant}'`);
  const method = (f.calibMethod ?? DEFAULT_CALIB_METHOD) as CalibMethod;
  if (method !== 'minmax' && method !== 'percentile') throw new Error(`--calib-method must be minmax or percentile, got '${f.calibMethod}'`);
  if (f.targetPsnr !== undefined && !(f.targetPsnr > 0 && f.targetPsnr <= 100)) throw new Error(`--target-psnr must be in (0, 100] dB, got ${f.targetPsnr}`);
  return { mode: f.quant as QuantMode, method };
}

export async function quantizeWithFlags(floatBytes: Uint8Array, f: QuantFlags): Promise<{ bytes: Uint8Array; report: QuantizeReport }> {
  const { mode, method } = checkQuantFlags(f);
  if (mode === 'f32') return { bytes: floatBytes, report: { mode, entries: [], notes: [] } };
  const info = readModel(floatBytes);
  const enc = info.entries.find((e) => e.kind === 'encode');
  let images: Float32Array[] | undefined;
  if (f.calib) {
    if (!enc) throw new Error('--calib images need a model with an encoder');
    const meta = info.metadata as { encoder?: { inputShape?: number[] }; inputShape?: number[] };
    const shape = meta.encoder?.inputShape ?? meta.inputShape ?? [info.tensors[enc.input]!.elements];
    images = loadCalibrationImages(f.calib, shape, f.calibCount ?? 256).images;
  }
  return quantizeModel(floatBytes, { mode, method, images, imageSource: f.calib, targetPsnr: f.targetPsnr, seed: f.seed });
}
