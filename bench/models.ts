// The benchmark models: the default conv VAE (models/default, or its architecture's fixture until the
// trained model exists), the MLP VAE, the BatchNorm/LeakyReLU/upsample VAE, the 64x64x3 conv VAE, and the
// decoders of two published architectures from the fixture zoo (Stable-Diffusion-style AutoencoderKL, TAESD).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchModel {
  id: string;
  label: string;
  /** absent for decoder-only entries */
  encoder?: string;
  decoder: string;
}

const PYTHON = '/usr/bin/python3';

/** Generates tests/fixtures/bench/conv64.* when missing and PyTorch is available; returns a note if skipped. */
export function ensureConv64(root: string): string | undefined {
  const dir = join(root, 'tests/fixtures/bench');
  if (existsSync(join(dir, 'conv64.encoder.op13.onnx')) && existsSync(join(dir, 'conv64.decoder.op13.onnx'))) return undefined;
  try {
    execFileSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
  } catch {
    return `conv64 (64x64x3) skipped: its fixture is missing and ${PYTHON} with torch + onnx is not available to generate it`;
  }
  console.log('generating the 64x64x3 conv VAE fixture (scripts/fixtures/make_fixtures.py --bench) ...');
  execFileSync(PYTHON, [join(root, 'scripts/fixtures/make_fixtures.py'), '--bench'], { stdio: 'inherit', cwd: root });
  return undefined;
}

export function benchModels(root: string): { models: BenchModel[]; notes: string[] } {
  const notes: string[] = [];
  const fx = (name: string, part: string) => join(root, 'tests/fixtures', `${name}.${part}.op13.onnx`);
  const models: BenchModel[] = [];
  const defEnc = join(root, 'models/default/encoder.onnx'), defDec = join(root, 'models/default/decoder.onnx');
  if (existsSync(defEnc) && existsSync(defDec)) {
    models.push({ id: 'default', label: 'default conv VAE (models/default, 28x28x1, trained)', encoder: defEnc, decoder: defDec });
    models.push({ id: 'conv', label: 'conv VAE fixture (28x28x1, latent 16)', encoder: fx('conv', 'encoder'), decoder: fx('conv', 'decoder') });
  } else {
    models.push({ id: 'conv', label: 'conv VAE (28x28x1, latent 16; fixture standing in for models/default)', encoder: fx('conv', 'encoder'), decoder: fx('conv', 'decoder') });
    notes.push('models/default/{encoder,decoder}.onnx not found: the conv fixture (same architecture) is the headline model');
  }
  models.push({ id: 'mlp', label: 'MLP VAE (784-400-20)', encoder: fx('mlp', 'encoder'), decoder: fx('mlp', 'decoder') });
  models.push({ id: 'bn', label: 'BatchNorm + LeakyReLU + upsample-conv VAE (latent 8)', encoder: fx('bn', 'encoder'), decoder: fx('bn', 'decoder') });
  const skipped = ensureConv64(root);
  if (skipped) notes.push(skipped);
  else models.push({ id: 'conv64', label: '64x64x3 conv VAE (latent 128)', encoder: fx('bench/conv64', 'encoder'), decoder: fx('bench/conv64', 'decoder') });
  models.push(...zooBenchModels(root));
  return { models, notes };
}

/** Decoders of published architectures from the fixture zoo: the dynamo exports, whose inputs have fixed per-sample shapes (every engine needs them). */
export function zooBenchModels(root: string): BenchModel[] {
  const zoo = (file: string) => join(root, 'tests/fixtures/zoo', file);
  return [
    { id: 'sdvae', label: 'Stable-Diffusion-style AutoencoderKL (zoo sdvae, dynamo18; GroupNorm, SiLU, attention; latent 4x8x8 -> 3x32x32)', decoder: zoo('sdvae.decoder.dynamo18.onnx') },
    { id: 'taesd', label: 'TAESD-style tiny decoder (zoo taesd, dynamo20; latent 4x4x4 -> 3x32x32)', decoder: zoo('taesd.decoder.dynamo20.onnx') },
  ];
}
