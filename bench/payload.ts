// What a browser downloads to run a model with each engine (code + wasm; the model file is reported per
// model), raw and gzip-compressed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface PayloadFile { name: string; bytes: number; gzipBytes: number }
export interface Payload { engine: string; files: PayloadFile[]; bytes: number; gzipBytes: number; note?: string }

function sizeOf(name: string, data: Uint8Array): PayloadFile {
  return { name, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
}

function total(engine: string, files: PayloadFile[], note?: string): Payload {
  return { engine, files, bytes: files.reduce((a, f) => a + f.bytes, 0), gzipBytes: files.reduce((a, f) => a + f.gzipBytes, 0), note };
}

export async function measurePayloads(root: string): Promise<Payload[]> {
  const nm = (p: string) => join(root, 'node_modules', p);
  const file = (p: string, name = p.split('/').pop()!) => sizeOf(name, readFileSync(p));
  const out: Payload[] = [];

  const { build } = await import('esbuild');
  const bundle = await build({
    entryPoints: [join(root, 'runtime/index.ts')], bundle: true, minify: true, format: 'esm', platform: 'browser',
    target: 'es2022', write: false, logLevel: 'silent',
  });
  const ours = [sizeOf('runtime/index.ts bundled (esbuild, minified)', bundle.outputFiles[0]!.contents)];
  const wasmPath = join(root, 'build/edgevae.wasm');
  if (existsSync(wasmPath)) ours.push(file(wasmPath, 'build/edgevae.wasm'));
  const kiosk = join(root, 'build/kiosk/app.js');
  out.push(total('edgevae', ours, existsSync(kiosk) ? `the kiosk app bundle (runtime + UI) is ${readFileSync(kiosk).length} bytes` : undefined));

  const ortDist = nm('onnxruntime-web/dist');
  out.push(total('onnxruntime-web', [
    file(join(ortDist, 'ort.wasm.min.mjs')), file(join(ortDist, 'ort-wasm-simd-threaded.mjs')), file(join(ortDist, 'ort-wasm-simd-threaded.wasm')),
  ], 'the wasm-only build (ort.wasm.min.mjs); the default ort.min.mjs also carries WebGL/WebGPU code'));

  out.push(total('tfjs-core + tfjs-backend-wasm', [
    file(nm('@tensorflow/tfjs-core/dist/tf-core.min.js')), file(nm('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js')),
    file(nm('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')),
  ], 'plus the model-building code (here bench/onnx-tfjs.ts; tfjs-converter/-layers would add more)'));
  return out;
}
