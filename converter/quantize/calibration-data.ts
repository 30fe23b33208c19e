// Calibration / evaluation images from the user's --calib source, as flat ONNX-order (CHW) vectors:
//   'fashion-mnist' or 'mnist'   the datasets the trainer knows (training split)
//   a folder                     IDX train/t10k files or PNG images (data/datasets.ts)
//   an IDX file (.gz or raw)     u8 images [N,H,W] or [N,H,W,C], scaled to [0, 1]
//   a .npy file                  float32 [N, ...] already in the model's input order and scale
import { readFileSync } from 'node:fs';
import { decodeNpy } from '../../runtime/npy.js';
import { loadDataset } from '../../data/datasets.js';

export interface CalibImages { source: string; images: Float32Array[] }

/** Up to `count` images (evenly spread over the source) shaped like `inputShape` ([C,H,W] or [K]). */
export function loadCalibrationImages(source: string, inputShape: number[], count: number, split: 'train' | 'test' = 'train'): CalibImages {
  const size = inputShape.reduce((p, d) => p * d, 1);
  let all: Float32Array[];
  if (source.toLowerCase().endsWith('.npy')) {
    const npy = decodeNpy(readFileSync(source), source);
    const per = npy.shape.slice(1).reduce((p, d) => p * d, 1);
    if (npy.shape.length < 2 || per !== size) {
      throw new Error(`calibration file ${source}: shape [${npy.shape}] does not hold images of ${size} values ([N, ${inputShape.join(', ')}] expected)`);
    }
    all = Array.from({ length: npy.shape[0]! }, (_, i) => npy.data.slice(i * per, (i + 1) * per));
  } else {
    const ds = loadDataset(source);
    const set = split === 'train' ? ds.train : ds.test;
    const [h, w, c] = ds.shape;
    if (h * w * c !== size) {
      throw new Error(`calibration source ${source}: images are ${h}x${w}x${c} = ${h * w * c} values, the model input [${inputShape.join(', ')}] needs ${size}`);
    }
    all = Array.from({ length: set.count }, (_, i) => hwcToChw(set.images.subarray(i * size, (i + 1) * size), h, w, c));
  }
  if (all.length === 0) throw new Error(`calibration source ${source} holds no images`);
  const n = Math.min(count, all.length);
  const step = all.length / n;
  return { source, images: Array.from({ length: n }, (_, i) => all[Math.floor(i * step)]!) };
}

function hwcToChw(v: Float32Array, h: number, w: number, c: number): Float32Array {
  if (c === 1) return Float32Array.from(v);
  const out = new Float32Array(v.length);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[k * h * w + p] = v[p * c + k]!;
  return out;
}
