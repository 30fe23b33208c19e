// PNG files -> a training Dataset in the browser: decoded by the browser itself, all the first image's size,
// gray (1 channel) when every pixel of every image has r = g = b, else RGB; 10% held out for testing.
import type { Dataset } from '../../data/datasets.js';

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export async function decodeImages(files: NamedBytes[]): Promise<{ width: number; height: number; rgba: Uint8ClampedArray[] }> {
  const pngs = files.filter((f) => /\.png$/i.test(f.name)).sort((a, b) => a.name.localeCompare(b.name));
  if (pngs.length < 2) throw new Error(`need at least 2 PNG images, found ${pngs.length}`);
  let width = 0;
  let height = 0;
  const rgba: Uint8ClampedArray[] = [];
  for (const f of pngs) {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(f.bytes)], { type: 'image/png' }));
    if (!width) [width, height] = [bitmap.width, bitmap.height];
    if (bitmap.width !== width || bitmap.height !== height) {
      throw new Error(`${f.name} is ${bitmap.width}x${bitmap.height}; every image must be ${width}x${height} like the first`);
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    rgba.push(ctx.getImageData(0, 0, width, height).data);
  }
  return { width, height, rgba };
}

export function imagesToDataset(name: string, width: number, height: number, rgba: Uint8ClampedArray[]): Dataset {
  const gray = rgba.every((d) => {
    for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
    return true;
  });
  const c = gray ? 1 : 3;
  const per = width * height * c;
  const all = new Float32Array(rgba.length * per);
  rgba.forEach((d, n) => {
    for (let p = 0; p < width * height; p++) for (let k = 0; k < c; k++) all[n * per + p * c + k] = d[4 * p + k] / 255;
  });
  return splitDataset(name, [height, width, c], all, rgba.length);
}

export function splitDataset(name: string, shape: [number, number, number], all: Float32Array, count: number): Dataset {
  const per = shape[0] * shape[1] * shape[2];
  const testCount = Math.max(1, Math.round(count * 0.1));
  const trainCount = count - testCount;
  return {
    name,
    shape,
    train: { images: all.subarray(0, trainCount * per), labels: null, count: trainCount },
    test: { images: all.subarray(trainCount * per), labels: null, count: testCount },
  };
}
