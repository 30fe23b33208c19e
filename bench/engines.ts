// The engines under test, behind one small interface. Each runs in its own child process (bench/child.ts),
// single-threaded. `prepare` produces what a deployment ships (untimed: conversion happens at build time);
// `load` goes from those bytes to a ready model (timed together with the first output).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import onnxPkg from 'onnx-proto';
import type { ConvertOptions } from '../converter/index.js';
import { encodeNpy } from '../runtime/npy.js';
import { seededInput } from './stats.js';

export type EngineName = 'ort-node' | 'ort-web' | 'tfjs-wasm' | 'edgevae-f32' | 'edgevae-int8-weights' | 'edgevae-int8';
export const ENGINE_NAMES: readonly EngineName[] = ['ort-node', 'ort-web', 'tfjs-wasm', 'edgevae-f32', 'edgevae-int8-weights', 'edgevae-int8'];

export const ENGINE_LABEL: Record<EngineName, string> = {
  'ort-node': 'onnxruntime-node (native, 1 thread; the ceiling)',
  'ort-web': 'onnxruntime-web (wasm SIMD, 1 thread)',
  'tfjs-wasm': 'tfjs-backend-wasm (SIMD, 1 thread; graph built from the ONNX weights)',
  'edgevae-f32': 'edgevae f32',
  'edgevae-int8-weights': 'edgevae int8 weights, f32 activations',
  'edgevae-int8': 'edgevae int8 weights and activations',
};

/** One ONNX graph (an encoder or a decoder) of one benchmark model. */
export interface GraphJob {
  id: string;
  model: string;
  part: 'encoder' | 'decoder';
  path: string;
  /** input dims without the batch axis, ONNX order */
  inputDims: number[];
}

export interface LoadedGraph {
  run(input: Float32Array, batch: number): Promise<Float32Array[]>;
  dispose(): Promise<void> | void;
  /** bytes the engine was given (model file(s)) */
  modelBytes: number;
}

export interface BenchEngine {
  setup(): Promise<void>;
  prepare(job: GraphJob): Promise<unknown>;
  load(prepared: unknown, job: GraphJob): Promise<LoadedGraph>;
}

/** The engine cannot run this configuration yet (e.g. a quantization the converter does not offer). */
export class NotAvailableError extends Error {}

interface OnnxFiles { bytes: Uint8Array; external: { path: string; data: Uint8Array }[]; totalBytes: number }

/** The model file and the external-data files its initializers name (onnxruntime-web needs them passed in). */
function readOnnx(path: string): OnnxFiles {
  const bytes = readFileSync(path);
  const locations = new Set<string>();
  for (const t of onnx.ModelProto.decode(bytes).graph?.initializer ?? []) {
    for (const kv of t.externalData ?? []) if (kv.key === 'location' && kv.value) locations.add(kv.value);
  }
  const external = [...locations].map((location) => ({ path: location, data: readFileSync(join(dirname(path), location)) }));
  return { bytes, external, totalBytes: bytes.length + external.reduce((a, e) => a + e.data.length, 0) };
}

const { onnx } = onnxPkg;
const MAX_BATCH = 64;

export async function createEngine(name: EngineName, repoRoot: string): Promise<BenchEngine> {
  switch (name) {
    case 'ort-node': {
      const ort = await import('onnxruntime-node');
      return {
        setup: async () => {},
        prepare: async (job) => job.path,
        async load(_p, job) {
          const session = await ort.InferenceSession.create(job.path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
          return ortGraph(ort, session, job.inputDims, readOnnx(job.path));
        },
      };
    }
    case 'ort-web': {
      const ort = await import('onnxruntime-web');
      return {
        async setup() {
          ort.env.wasm.numThreads = 1;
          ort.env.wasm.proxy = false;
        },
        prepare: async (job) => readOnnx(job.path),
        async load(p, job) {
          const files = p as OnnxFiles;
          const session = await ort.InferenceSession.create(files.bytes, {
            executionProviders: ['wasm'],
            ...(files.external.length ? { externalData: files.external } : {}),
          });
          return ortGraph(ort, session, job.inputDims, files);
        },
      };
    }
    case 'tfjs-wasm': {
      const tf = await import('@tensorflow/tfjs-core');
      const wasmBackend = await import('@tensorflow/tfjs-backend-wasm');
      const { loadOnnx } = await import('../converter/onnx-load.js');
      const { buildTfjsGraph, UnsupportedOnnxError } = await import('./onnx-tfjs.js');
      return {
        async setup() {
          wasmBackend.setThreadsCount(1);
          if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialize');
          if (!tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) throw new Error('tfjs: the wasm backend runs without SIMD');
        },
        prepare: async (job) => readOnnx(job.path),
        async load(p, job) {
          const files = p as OnnxFiles;
          const model = await loadOnnx(files.external.length ? job.path : files.bytes);
          let graph: ReturnType<typeof buildTfjsGraph>;
          try {
            graph = buildTfjsGraph(tf, model);
          } catch (e) {
            // the bench's ONNX -> tfjs mapping covers the classic conv VAE ops only: report, do not fail the run
            if (e instanceof UnsupportedOnnxError) throw new NotAvailableError(`n/a (ops not mapped: ${e.message})`);
            throw e;
          }
          return {
            run: async (input, batch) => graph.run(input, batch),
            dispose: () => graph.dispose(),
            modelBytes: files.totalBytes,
          };
        },
      };
    }
    case 'edgevae-f32':
    case 'edgevae-int8-weights':
    case 'edgevae-int8': {
      const { convert } = await import('../converter/index.js');
      const { EdgeVae } = await import('../runtime/index.js');
      const wasmPath = `${repoRoot}/build/edgevae.wasm`;
      if (!existsSync(wasmPath)) throw new Error(`${wasmPath} is missing: run "npm run build:wasm"`);
      const wasm = readFileSync(wasmPath);
      const quant = name === 'edgevae-f32' ? 'f32' : name === 'edgevae-int8-weights' ? 'int8-weights' : 'int8';
      return {
        setup: async () => {},
        async prepare(job) {
          const options: ConvertOptions = { [job.part]: job.path, name: job.model, quant };
          // int8 activations of an encoder need calibration images: the default model's calib.npy,
          // Fashion-MNIST for other 28x28x1 inputs, else seeded uniform noise (enough to time the kernels; the accuracy column shows the cost)
          if (quant === 'int8' && job.part === 'encoder') options.calib = calibrationFor(job, repoRoot);
          try {
            return (await convert(options)).bytes;
          } catch (e) {
            const message = (e as Error).message;
            if (quant !== 'f32' && /quant/i.test(message)) throw new NotAvailableError(`not available yet (converter: ${message})`);
            throw e;
          }
        },
        async load(p, job) {
          const bytes = p as Uint8Array;
          const vae = await EdgeVae.load(bytes, { wasm, maxBatch: MAX_BATCH });
          if (vae.info.quantization !== quant) {
            throw new NotAvailableError(`not available yet (asked the converter for ${quant}, got a ${vae.info.quantization} model)`);
          }
          return {
            run: async (input, batch) => {
              if (job.part === 'decoder') return [vae.decode(input, batch)];
              const { mu, logvar } = vae.encode(input, batch);
              return [mu, logvar];
            },
            dispose: () => {},
            modelBytes: bytes.length,
          };
        },
      };
    }
  }
}

function calibrationFor(job: GraphJob, repoRoot: string): string {
  const shipped = join(repoRoot, 'models/default/calib.npy'); // the default model's own calibration set
  if (job.model === 'default' && existsSync(shipped)) return shipped;
  if (job.inputDims.join('x') === '1x28x28' && existsSync('/usr/share/datasets/fashion-mnist')) return 'fashion-mnist';
  const per = job.inputDims.reduce((a, b) => a * b, 1);
  const count = 64;
  const path = join(tmpdir(), `edgevae-bench-calib-${job.inputDims.join('x')}.npy`);
  writeFileSync(path, encodeNpy(seededInput('image', count * per, 99), [count, ...job.inputDims]));
  return path;
}

interface OrtLike {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
}
interface SessionLike {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

function ortGraph(ort: OrtLike, session: SessionLike, inputDims: number[], files: OnnxFiles): LoadedGraph {
  const inputName = session.inputNames[0]!;
  return {
    async run(input, batch) {
      const out = await session.run({ [inputName]: new ort.Tensor('float32', input, [batch, ...inputDims]) });
      return session.outputNames.map((n) => out[n]!.data as Float32Array);
    },
    dispose: () => session.release(),
    modelBytes: files.totalBytes,
  };
}
