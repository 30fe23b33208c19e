// VAE architectures written as plain tf ops on named weight variables. Keeping the weights explicit
// (instead of tfjs-layers) makes checkpoints a flat name -> Float32Array map and lets the ONNX
// exporter read every tensor with its exact layout (conv HWIO, transposed conv HWOI, dense [in, out]).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../reference/random.js';
import { ParamStore, type ParamSpec } from './param-store.js';

export type ModelKind = 'conv' | 'mlp';

export interface ModelConfig {
  kind: ModelKind;
  /** Image shape [height, width, channels] (NHWC without the batch). */
  inputShape: [number, number, number];
  latent: number;
  /** conv: channels of the stride-2 encoder convolutions (decoder mirrors them); mlp: hidden layer sizes. */
  widths: number[];
  /** Plain autoencoder: the encoder has no logvar head, no sampling, no KL. */
  autoencoder: boolean;
}

export const KERNEL = 3;

export function defaultConfig(kind: ModelKind, inputShape: [number, number, number], latent?: number): ModelConfig {
  return kind === 'conv'
    ? { kind, inputShape, latent: latent ?? 16, widths: [32, 64], autoencoder: false }
    : { kind, inputShape, latent: latent ?? 20, widths: [400], autoencoder: false };
}

export type { ParamSpec };

/** Spatial size of the innermost conv feature map; the decoder's dense layer reshapes to it. */
export function convBottleneck(config: ModelConfig): [number, number, number] {
  const [h, w] = config.inputShape;
  const down = 2 ** config.widths.length;
  if (h % down !== 0 || w % down !== 0) {
    throw new Error(
      `conv model: image size ${h}x${w} must be divisible by ${down} (${config.widths.length} stride-2 layers)`,
    );
  }
  return [h / down, w / down, config.widths[config.widths.length - 1]];
}

export function validateConfig(config: ModelConfig): void {
  const [h, w, c] = config.inputShape;
  for (const [name, v] of [['height', h], ['width', w], ['channels', c], ['latent', config.latent]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`model config: ${name} must be a positive integer, got ${v}`);
  }
  if (config.widths.length === 0 || config.widths.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new Error(`model config: widths must be positive integers, got [${config.widths.join(', ')}]`);
  }
  if (config.kind === 'conv') convBottleneck(config);
  else if (config.kind !== 'mlp') throw new Error(`model config: unknown kind '${String(config.kind)}' (conv or mlp)`);
}

/** The weights a config needs, in a fixed order (checkpoints and export walk this list). */
export function paramSpecs(config: ModelConfig): ParamSpec[] {
  validateConfig(config);
  const specs: ParamSpec[] = [];
  const dense = (name: string, inSize: number, outSize: number) => {
    specs.push({ name: `${name}.w`, shape: [inSize, outSize], fanIn: inSize, fanOut: outSize, isBias: false });
    specs.push({ name: `${name}.b`, shape: [outSize], fanIn: inSize, fanOut: outSize, isBias: true });
  };
  const k2 = KERNEL * KERNEL;
  const [h, w, c] = config.inputShape;
  const L = config.latent;
  if (config.kind === 'conv') {
    let cin = c;
    config.widths.forEach((cout, i) => {
      specs.push({ name: `enc.conv${i}.w`, shape: [KERNEL, KERNEL, cin, cout], fanIn: k2 * cin, fanOut: k2 * cout, isBias: false });
      specs.push({ name: `enc.conv${i}.b`, shape: [cout], fanIn: k2 * cin, fanOut: k2 * cout, isBias: true });
      cin = cout;
    });
    const [bh, bw, bc] = convBottleneck(config);
    const flat = bh * bw * bc;
    dense('enc.mu', flat, L);
    if (!config.autoencoder) dense('enc.logvar', flat, L);
    dense('dec.fc', L, flat);
    let din = bc;
    [...config.widths].reverse().forEach((cout, i) => {
      // tf.conv2dTranspose filters are [kh, kw, outChannels, inChannels].
      specs.push({ name: `dec.deconv${i}.w`, shape: [KERNEL, KERNEL, cout, din], fanIn: k2 * din, fanOut: k2 * cout, isBias: false });
      specs.push({ name: `dec.deconv${i}.b`, shape: [cout], fanIn: k2 * din, fanOut: k2 * cout, isBias: true });
      din = cout;
    });
    specs.push({ name: 'dec.out.w', shape: [KERNEL, KERNEL, din, c], fanIn: k2 * din, fanOut: k2 * c, isBias: false });
    specs.push({ name: 'dec.out.b', shape: [c], fanIn: k2 * din, fanOut: k2 * c, isBias: true });
  } else {
    const d = h * w * c;
    let prev = d;
    config.widths.forEach((hidden, i) => {
      dense(`enc.fc${i}`, prev, hidden);
      prev = hidden;
    });
    dense('enc.mu', prev, L);
    if (!config.autoencoder) dense('enc.logvar', prev, L);
    prev = L;
    [...config.widths].reverse().forEach((hidden, i) => {
      dense(`dec.fc${i}`, prev, hidden);
      prev = hidden;
    });
    dense('dec.out', prev, d);
  }
  return specs;
}

/** Glorot-uniform weights and zero biases from a seeded generator (same seed, same model). */
export function initialWeights(config: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed ^ 0x5eed);
  const out = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (!spec.isBias) {
      const limit = Math.sqrt(6 / (spec.fanIn + spec.fanOut));
      for (let i = 0; i < size; i++) values[i] = (rng.uniform() * 2 - 1) * limit;
    }
    out.set(spec.name, values);
  }
  return out;
}

export interface Encoded {
  mu: tf.Tensor2D;
  /** null for a plain autoencoder. */
  logvar: tf.Tensor2D | null;
}

export class VaeModel extends ParamStore {
  constructor(readonly config: ModelConfig, weights: Map<string, Float32Array>) {
    super(paramSpecs(config), weights, '');
  }

  static create(config: ModelConfig, seed: number): VaeModel {
    return new VaeModel(config, initialWeights(config, seed));
  }

  setWeights(weights: Map<string, Float32Array>): void {
    for (const spec of this.specs) {
      const values = weights.get(spec.name);
      if (!values) throw new Error(`model weights: missing tensor '${spec.name}'`);
      this.p(spec.name).assign(tf.tensor(values, spec.shape));
    }
  }

  /** x: [N, H, W, C] in [0, 1]. */
  encode(x: tf.Tensor4D): Encoded {
    const cfg = this.config;
    let flat: tf.Tensor2D;
    if (cfg.kind === 'conv') {
      let h: tf.Tensor4D = x;
      cfg.widths.forEach((_, i) => {
        const conv = tf.conv2d(h, this.p(`enc.conv${i}.w`) as tf.Tensor4D, 2, 'same');
        h = tf.relu(tf.add(conv, this.p(`enc.conv${i}.b`))) as tf.Tensor4D;
      });
      flat = tf.reshape(h, [h.shape[0], -1]);
    } else {
      flat = tf.reshape(x, [x.shape[0], -1]);
      cfg.widths.forEach((_, i) => {
        flat = tf.relu(this.dense(flat, `enc.fc${i}`));
      });
    }
    const mu = this.dense(flat, 'enc.mu');
    const logvar = cfg.autoencoder ? null : this.dense(flat, 'enc.logvar');
    return { mu, logvar };
  }

  /** z: [N, L] -> pixel logits [N, H, W, C] (the image is sigmoid(logits)). */
  decodeLogits(z: tf.Tensor2D): tf.Tensor4D {
    const cfg = this.config;
    const n = z.shape[0];
    const [H, W, C] = cfg.inputShape;
    if (cfg.kind === 'conv') {
      const [bh, bw, bc] = convBottleneck(cfg);
      let h = tf.reshape(tf.relu(this.dense(z, 'dec.fc')), [n, bh, bw, bc]) as tf.Tensor4D;
      [...cfg.widths].reverse().forEach((cout, i) => {
        const outShape: [number, number, number, number] = [n, h.shape[1] * 2, h.shape[2] * 2, cout];
        const deconv = tf.conv2dTranspose(h, this.p(`dec.deconv${i}.w`) as tf.Tensor4D, outShape, 2, 'same');
        h = tf.relu(tf.add(deconv, this.p(`dec.deconv${i}.b`))) as tf.Tensor4D;
      });
      return tf.add(tf.conv2d(h, this.p('dec.out.w') as tf.Tensor4D, 1, 'same'), this.p('dec.out.b'));
    }
    let h = z;
    cfg.widths.forEach((_, i) => {
      h = tf.relu(this.dense(h, `dec.fc${i}`));
    });
    return tf.reshape(this.dense(h, 'dec.out'), [n, H, W, C]);
  }

  decode(z: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => tf.sigmoid(this.decodeLogits(z)));
  }
}
