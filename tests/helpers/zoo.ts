// The fixture zoo (tests/fixtures/zoo/README.md): which files exist, their shapes, the inputs they are fed,
// and which ones the converter still refuses (with the node, op and missing feature the refusal must name).
// Shared by tests/zoo.test.ts and bench/zoo-convert.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededNormal, seededUniform } from './seeded-data.js';

export const ZOO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'zoo');

export type Part = 'encoder' | 'decoder';
export interface ZooModel {
  name: string;
  /** per-sample encoder input and decoder input (latent) shapes */
  input: number[];
  latent: number[];
  /** export tags in the file names: TorchScript and dynamo */
  exports: [string, string];
  /** exports whose graph input has symbolic height/width, converted with these per-sample shapes */
  fixedShapes?: Record<string, { encoder: number[]; decoder: number[] }>;
  /** encoder inputs: images in [0, 1] or real-valued series */
  signal?: 'image' | 'normal';
}

export const ZOO: ZooModel[] = [
  { name: 'sdvae', input: [3, 32, 32], latent: [4, 8, 8], exports: ['ts17', 'dynamo18'] },
  { name: 'taesd', input: [3, 32, 32], latent: [4, 4, 4], exports: ['ts11', 'dynamo20'], fixedShapes: { ts11: { encoder: [3, 32, 32], decoder: [4, 4, 4] } } },
  { name: 'vanilla', input: [3, 32, 32], latent: [16], exports: ['ts13', 'dynamo18'] },
  { name: 'betavae', input: [1, 64, 64], latent: [10], exports: ['ts10', 'dynamo18'] },
  { name: 'dcgan', input: [3, 32, 32], latent: [16], exports: ['ts12', 'dynamo19'] },
  { name: 'mlp', input: [1, 28, 28], latent: [8], exports: ['ts14', 'dynamo18'] },
  { name: 'upsample', input: [3, 32, 32], latent: [16], exports: ['ts16', 'dynamo20'] },
  { name: 'pixelshuffle', input: [1, 32, 32], latent: [16], exports: ['ts15', 'dynamo18'] },
  { name: 'conv1d', input: [2, 64], latent: [8], exports: ['ts20', 'dynamo18'], signal: 'normal' },
];

export interface ZooFixture { model: ZooModel; part: Part; tag: string; file: string; path: string; key: string }

export const ZOO_FIXTURES: ZooFixture[] = ZOO.flatMap((model) => model.exports.flatMap((tag) => (['encoder', 'decoder'] as Part[]).map((part) => {
  const file = `${model.name}.${part}.${tag}.onnx`;
  return { model, part, tag, file, path: join(ZOO_DIR, file), key: `${model.name}.${part}.${tag}` };
})));

/**
 * Fixtures the converter refuses today, keyed `model.part.tag`: the refusal must name this node, op and
 * missing feature. An entry whose fixture converts makes the test fail, so the list cannot go stale.
 */
export interface Refusal { node: string; op: string; feature: RegExp; module?: string }
const MISSING_OP = /op type is not supported/;
export const EXPECTED_REFUSALS: Record<string, Refusal> = {
};

export const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Seeded inputs for `n` samples of a part (images in [0, 1], series and latents N(0, 1)). */
export function zooInput(f: ZooFixture, n: number, seed = 1234): Float32Array {
  const shape = f.part === 'encoder' ? f.model.input : f.model.latent;
  const count = n * size(shape);
  return f.part === 'encoder' && f.model.signal !== 'normal' ? seededUniform(count, seed) : seededNormal(count, seed + 1);
}
