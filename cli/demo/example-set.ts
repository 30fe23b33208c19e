// The small image sets the demo ships beside the default model (models/default/): 256 calibration images
// for int8 quantization of the encoder, and a few labelled examples per class for reconstructions,
// interpolation and latent arithmetic. Both come from the Fashion-MNIST *test* split, never the
// training split, so the demo shows the model on images it has not seen.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy, encodeNpy } from '../../runtime/npy.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { loadDataset } from '../../data/datasets.js';

export const CALIB_FILE = 'calib.npy';
export const EXAMPLES_FILE = 'examples.npy';
export const LABELS_FILE = 'labels.json';

/** Images as flat ONNX-order (CHW) vectors, `count` of them in one buffer. */
export interface ImageBatch { data: Float32Array; count: number; shape: number[] }
export interface ExampleSets {
  calib: ImageBatch;
  examples: ImageBatch;
  /** label of each example, and the class names the labels index */
  labels: number[];
  classNames: string[];
  source: string;
}

export interface MakeExampleOptions {
  /** dataset for data/datasets.ts loadDataset (default fashion-mnist) */
  source?: string;
  calibCount?: number;
  perClass?: number;
}

/** Picks the sets deterministically: calibration images evenly spread over the test split, examples the first `perClass` of each class. */
export function makeExampleSets(opts: MakeExampleOptions = {}): ExampleSets {
  const source = opts.source ?? 'fashion-mnist';
  const calibCount = opts.calibCount ?? 256;
  const perClass = opts.perClass ?? 8;
  const ds = loadDataset(source);
  const test = ds.test;
  if (!test.labels) throw new Error(`dataset ${source} has no labels; the demo's examples need labelled images`);
  if (test.count < calibCount) throw new Error(`dataset ${source} has ${test.count} test images, fewer than the ${calibCount} calibration images asked for`);
  const [h, w, c] = ds.shape;
  const shape = [c, h, w];
  const per = h * w * c;
  const take = (indices: number[]): ImageBatch => {
    const data = new Float32Array(indices.length * per);
    indices.forEach((idx, k) => data.set(hwcToChw(test.images.subarray(idx * per, (idx + 1) * per), h, w, c), k * per));
    return { data, count: indices.length, shape };
  };
  const step = test.count / calibCount;
  const calibIdx = Array.from({ length: calibCount }, (_, i) => Math.floor(i * step));
  const classCount = Math.max(...test.labels) + 1;
  const exampleIdx: number[] = [];
  for (let k = 0; k < classCount; k++) {
    const found: number[] = [];
    for (let i = 0; i < test.count && found.length < perClass; i++) if (test.labels[i] === k) found.push(i);
    exampleIdx.push(...found);
  }
  const classNames = ds.classNames ?? Array.from({ length: classCount }, (_, k) => `class ${k}`);
  return { calib: take(calibIdx), examples: take(exampleIdx), labels: exampleIdx.map((i) => test.labels![i]!), classNames, source };
}

export function writeExampleSets(dir: string, sets: ExampleSets): string[] {
  const files = [join(dir, CALIB_FILE), join(dir, EXAMPLES_FILE), join(dir, LABELS_FILE)];
  writeFileAtomic(files[0]!, encodeNpy(sets.calib.data, [sets.calib.count, ...sets.calib.shape]));
  writeFileAtomic(files[1]!, encodeNpy(sets.examples.data, [sets.examples.count, ...sets.examples.shape]));
  const labels = { source: `${sets.source} test split`, classNames: sets.classNames, labels: sets.labels };
  writeFileAtomic(files[2]!, JSON.stringify(labels) + '\n');
  return files;
}

/** Reads the sets written by writeExampleSets; null when the folder does not have all three files. */
export function readExampleSets(dir: string): ExampleSets | null {
  const paths = [CALIB_FILE, EXAMPLES_FILE, LABELS_FILE].map((f) => join(dir, f));
  if (!paths.every((p) => existsSync(p))) return null;
  const batch = (path: string): ImageBatch => {
    const npy = decodeNpy(readFileSync(path), path);
    if (npy.shape.length < 2) throw new Error(`${path}: expected images [N, C, H, W], got shape [${npy.shape}]`);
    return { data: npy.data, count: npy.shape[0]!, shape: npy.shape.slice(1) };
  };
  const calib = batch(paths[0]!);
  const examples = batch(paths[1]!);
  const json = JSON.parse(readFileSync(paths[2]!, 'utf8')) as { source?: string; classNames?: unknown; labels?: unknown };
  const labels = json.labels;
  const classNames = json.classNames;
  if (!Array.isArray(labels) || labels.length !== examples.count || !labels.every((l) => Number.isInteger(l) && l >= 0)) {
    throw new Error(`${paths[2]}: "labels" must list one class index per example (${examples.count})`);
  }
  if (!Array.isArray(classNames) || !classNames.every((n) => typeof n === 'string') || Math.max(...labels) >= classNames.length) {
    throw new Error(`${paths[2]}: "classNames" must name every class the labels use`);
  }
  return { calib, examples, labels, classNames, source: String(json.source ?? dir) };
}

function hwcToChw(v: Float32Array, h: number, w: number, c: number): Float32Array {
  if (c === 1) return Float32Array.from(v);
  const out = new Float32Array(v.length);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[k * h * w + p] = v[p * c + k]!;
  return out;
}
