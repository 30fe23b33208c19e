// Builds the training page into build/train-ui/: index.html, app.js (trainer, converter and runtime bundled
// for the browser by trainer/webgpu/bundle.ts), edgevae.wasm (the runtime, for int8 calibration and the
// page's own check of the .evae), tfjs-backend-wasm's binaries, and fashion-mnist-sample.bin (the first
// SAMPLE_IMAGES Fashion-MNIST training images as bytes) when the dataset is installed.
//   tsx trainer/ui/build.ts [--out build/train-ui]
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { FASHION_MNIST_DIR } from '../../data/datasets.js';
import { readIdxFile } from '../../data/idx.js';
import { bundleForBrowser } from '../webgpu/bundle.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
export const DEFAULT_TRAIN_UI_DIR = join(ROOT, 'build', 'train-ui');
export const SAMPLE_IMAGES = 2000;
const TFJS_WASM = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

export interface TrainUiBuild {
  dir: string;
  files: string[];
  sample: boolean;
}

export async function buildTrainUi(outDir = DEFAULT_TRAIN_UI_DIR): Promise<TrainUiBuild> {
  const wasm = join(ROOT, 'build', 'edgevae.wasm');
  if (!existsSync(wasm)) throw new Error(`train-ui build: ${wasm} not found (run \`npm run build:wasm\` first)`);
  mkdirSync(outDir, { recursive: true });
  const files = ['index.html', 'app.js', 'edgevae.wasm'];
  writeFileAtomic(join(outDir, 'index.html'), readFileSync(join(HERE, 'index.html')));
  writeFileAtomic(join(outDir, 'app.js'), await bundleForBrowser(join(HERE, 'app.ts')));
  writeFileAtomic(join(outDir, 'edgevae.wasm'), readFileSync(wasm));
  const tfjsWasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of TFJS_WASM) {
    copyFileSync(join(tfjsWasmDir, f), join(outDir, f));
    files.push(f);
  }
  const idx = join(process.env.EDGEVAE_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz');
  const sample = existsSync(idx);
  if (sample) {
    const images = readIdxFile(idx);
    writeFileAtomic(join(outDir, 'fashion-mnist-sample.bin'), images.data.subarray(0, SAMPLE_IMAGES * 784));
    files.push('fashion-mnist-sample.bin');
  }
  return { dir: outDir, files, sample };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  try {
    const r = await buildTrainUi(i >= 0 ? resolve(process.argv[i + 1]) : undefined);
    console.log(`train-ui: ${r.files.join(', ')} in ${r.dir}${r.sample ? '' : ' (no Fashion-MNIST sample: dataset not installed)'}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
