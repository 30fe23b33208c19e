// Sequence VAE (Bowman et al. 2016; the MusicVAE layout without its hierarchy) as plain tf ops on
// named weight variables, like models.ts:
//   encoder  tokens -> embedding -> (bidirectional) LSTM/GRU layers -> last layer's final h -> mu, logvar
//   decoder  z -> tanh(dense) -> initial h (and c) of every layer; each step reads the previous token's
//            embedding with z appended, runs the layers and a dense layer gives the next token's logits.
// Gate blocks are stored in ONNX order (LSTM i,o,f,c; GRU z,r,h) and the GRU applies the reset gate after
// the recurrent product (ONNX linear_before_reset=1, PyTorch's GRU), so export only transposes.
// All time steps' input projections are one MatMul; only the recurrent product runs per step.
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, type ParamSpec } from './param-store.js';
import { Rng } from '../reference/random.js';
import { BOS, emittableArgmax, EOS } from './vocab.js';

export type CellKind = 'lstm' | 'gru';

export interface SeqModelConfig {
  kind: 'seq';
  cell: CellKind;
  layers: number;
  hidden: number;
  latent: number;
  embed: number;
  bidirectional: boolean;
  /** tokens including PAD/BOS/EOS/UNK */
  vocabSize: number;
  /** padded sequence length (longest sequence + EOS): the encoder always reads this many tokens */
  maxTokens: number;
}

export const DEFAULT_SEQ_CONFIG = { cell: 'lstm' as CellKind, layers: 1, hidden: 256, latent: 32, embed: 64 };

/** Gate blocks per cell. */
export function gates(cell: CellKind): number {
  return cell === 'lstm' ? 4 : 3;
}

/** State tensors per layer: h and c for an LSTM, h for a GRU. */
export function stateParts(cell: CellKind): number {
  return cell === 'lstm' ? 2 : 1;
}

export function directions(config: SeqModelConfig): string[] {
  return config.bidirectional ? ['fw', 'bw'] : ['fw'];
}

export function validateSeqConfig(c: SeqModelConfig): void {
  if (c.cell !== 'lstm' && c.cell !== 'gru') throw new Error(`sequence model: cell must be lstm or gru, got '${String(c.cell)}'`);
  for (const [name, v] of [['layers', c.layers], ['hidden', c.hidden], ['latent', c.latent], ['embed', c.embed], ['vocabulary size', c.vocabSize], ['max tokens', c.maxTokens]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`sequence model: ${name} must be a positive integer, got ${v}`);
  }
  if (c.vocabSize < 5) throw new Error(`sequence model: vocabulary of ${c.vocabSize} tokens has no symbols besides the 4 specials`);
}

export function seqParamSpecs(c: SeqModelConfig): ParamSpec[] {
  validateSeqConfig(c);
  const specs: ParamSpec[] = [];
  const G = gates(c.cell) * c.hidden;
  const add = (name: string, shape: number[], fanIn: number, fanOut: number, isBias = false) => specs.push({ name, shape, fanIn, fanOut, isBias });
  const dense = (name: string, inSize: number, outSize: number) => {
    add(`${name}.w`, [inSize, outSize], inSize, outSize);
    add(`${name}.b`, [outSize], inSize, outSize, true);
  };
  const rnn = (prefix: string, inSize: number) => {
    add(`${prefix}.wx`, [inSize, G], inSize, G);
    add(`${prefix}.wh`, [c.hidden, G], c.hidden, G);
    add(`${prefix}.bx`, [G], inSize, G, true);
    add(`${prefix}.bh`, [G], c.hidden, G, true);
  };
  add('embed', [c.vocabSize, c.embed], 1, c.embed);
  const D = directions(c).length;
  for (let l = 0; l < c.layers; l++) for (const d of directions(c)) rnn(`enc.l${l}.${d}`, l === 0 ? c.embed : D * c.hidden);
  dense('enc.mu', D * c.hidden, c.latent);
  dense('enc.logvar', D * c.hidden, c.latent);
  dense('dec.init', c.latent, c.layers * stateParts(c.cell) * c.hidden);
  for (let l = 0; l < c.layers; l++) rnn(`dec.l${l}`, l === 0 ? c.embed + c.latent : c.hidden);
  dense('dec.out', c.hidden, c.vocabSize);
  return specs;
}

/** Glorot-uniform weights, zero biases except an LSTM forget-gate bias of 1 (keeps early gradients flowing). */
export function seqInitialWeights(c: SeqModelConfig, seed: number): Map<string, Float32Array> {
  return recurrentInitialWeights(seqParamSpecs(c), c.cell, c.hidden, seed);
}

/** The initialization of seqInitialWeights for any parameter list with recurrent input biases named '*.bx'. */
export function recurrentInitialWeights(specs: ParamSpec[], cell: CellKind, hidden: number, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed ^ 0x5e9);
  const out = new Map<string, Float32Array>();
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (!spec.isBias) {
      const limit = Math.sqrt(6 / (spec.fanIn + spec.fanOut));
      for (let i = 0; i < size; i++) values[i] = (rng.uniform() * 2 - 1) * limit;
    } else if (cell === 'lstm' && spec.name.endsWith('.bx')) {
      values.fill(1, 2 * hidden, 3 * hidden); // gate order i, o, f, c
    }
    out.set(spec.name, values);
  }
  return out;
}

/** Rows of one-hot vectors for token ids (the embedding lookup as a MatMul, whose gradient is a MatMul too). */
export function oneHotRows(tokens: ArrayLike<number>, vocabSize: number): tf.Tensor2D {
  const out = new Float32Array(tokens.length * vocabSize);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) throw new Error(`token id ${t} is outside 0..${vocabSize - 1}`);
    out[i * vocabSize + t] = 1;
  }
  return tf.tensor2d(out, [tokens.length, vocabSize]);
}

export interface LayerState {
  h: tf.Tensor2D;
  /** LSTM only */
  c: tf.Tensor2D | null;
}

export interface SeqEncoded {
  mu: tf.Tensor2D;
  logvar: tf.Tensor2D;
}

/** Cell kind and state size: what the recurrent math needs besides the weights. */
export interface RecurrentShape {
  cell: CellKind;
  hidden: number;
}

/** Weights by name: `${prefix}.wx`, `.wh`, `.bx`, `.bh` of a layer. */
export type ParamLookup = (name: string) => tf.Tensor;

/** One LSTM/GRU step from the input projection xp = x Wx + bx [N, G*H] (ONNX gate order). */
export function recurrentStep(shape: RecurrentShape, p: ParamLookup, prefix: string, xp: tf.Tensor2D, state: LayerState): LayerState {
  const H = shape.hidden;
  const hp = tf.add(tf.matMul(state.h, p(`${prefix}.wh`) as tf.Tensor2D), p(`${prefix}.bh`)) as tf.Tensor2D;
  if (shape.cell === 'lstm') {
    const [i, o, f, g] = tf.split(tf.add(xp, hp), [H, H, H, H], 1);
    const c = tf.add(tf.mul(tf.sigmoid(f), state.c!), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)), c };
  }
  const [xz, xr, xn] = tf.split(xp, [H, H, H], 1);
  const [hz, hr, hn] = tf.split(hp, [H, H, H], 1);
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  // (1 - z) * n + z * h
  return { h: tf.add(n, tf.mul(z, tf.sub(state.h, n))) as tf.Tensor2D, c: null };
}

/**
 * One layer over a whole sequence. x: [N, T, in]; returns outputs [N, T, H] (in input order, also
 * when reading backwards) and the final state. The input projections of all steps are one MatMul.
 */
export function recurrentLayer(
  shape: RecurrentShape, p: ParamLookup, prefix: string, x: tf.Tensor3D, initial: LayerState, reverse: boolean,
): { outputs: tf.Tensor3D; final: LayerState } {
  const [N, T, I] = x.shape;
  const G = gates(shape.cell) * shape.hidden;
  const proj = tf.add(tf.matMul(tf.reshape(x, [N * T, I]), p(`${prefix}.wx`) as tf.Tensor2D), p(`${prefix}.bx`));
  // Time-major before unstacking: slices along the first axis are contiguous (unstacking axis 1 is ~10x slower).
  const steps = tf.unstack(tf.transpose(tf.reshape(proj, [N, T, G]), [1, 0, 2])) as tf.Tensor2D[];
  const outputs: tf.Tensor2D[] = new Array(T);
  let state = initial;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    state = recurrentStep(shape, p, prefix, steps[t], state);
    outputs[t] = state.h;
  }
  return { outputs: tf.stack(outputs, 1) as tf.Tensor3D, final: state };
}

/** Zero h (and c) for n sequences. */
export function zeroState(shape: RecurrentShape, n: number): LayerState {
  return { h: tf.zeros([n, shape.hidden]), c: shape.cell === 'lstm' ? tf.zeros([n, shape.hidden]) : null };
}

export class SeqVaeModel extends ParamStore {
  constructor(readonly config: SeqModelConfig, weights: Map<string, Float32Array>) {
    super(seqParamSpecs(config), weights, 'seq_');
  }

  static create(config: SeqModelConfig, seed: number): SeqVaeModel {
    return new SeqVaeModel(config, seqInitialWeights(config, seed));
  }

  /** Embeddings of token ids: [count, E]. */
  embed(tokens: ArrayLike<number>): tf.Tensor2D {
    return tf.matMul(oneHotRows(tokens, this.config.vocabSize), this.p('embed') as tf.Tensor2D);
  }

  /** One recurrent step from the input projection xp = x Wx + bx [N, G*H]. */
  cell(prefix: string, xp: tf.Tensor2D, state: LayerState): LayerState {
    return recurrentStep(this.config, (n) => this.p(n), prefix, xp, state);
  }

  /**
   * One layer over a whole sequence. x: [N, T, in]; returns outputs [N, T, H] (in input order, also
   * when reading backwards) and the final state.
   */
  layer(prefix: string, x: tf.Tensor3D, initial: LayerState, reverse: boolean): { outputs: tf.Tensor3D; final: LayerState } {
    return recurrentLayer(this.config, (n) => this.p(n), prefix, x, initial, reverse);
  }

  /** tokens: n rows of maxTokens ids (symbols, EOS, PAD). */
  encode(tokens: Int32Array, n: number): SeqEncoded {
    const { maxTokens: T, embed: E } = this.config;
    if (tokens.length !== n * T) throw new Error(`encode: ${tokens.length} token ids for ${n} sequences of ${T}`);
    let x = tf.reshape(this.embed(tokens), [n, T, E]) as tf.Tensor3D;
    let finals: tf.Tensor2D[] = [];
    for (let l = 0; l < this.config.layers; l++) {
      const runs = directions(this.config).map((d) => this.layer(`enc.l${l}.${d}`, x, zeroState(this.config, n), d === 'bw'));
      x = runs.length === 1 ? runs[0].outputs : (tf.concat(runs.map((r) => r.outputs), 2) as tf.Tensor3D);
      finals = runs.map((r) => r.final.h);
    }
    const summary = finals.length === 1 ? finals[0] : (tf.concat(finals, 1) as tf.Tensor2D);
    return { mu: this.dense(summary, 'enc.mu'), logvar: this.dense(summary, 'enc.logvar') };
  }

  /** z [N, L] -> every decoder layer's initial state: tanh(z W + b) cut into h (and c) per layer. */
  initialState(z: tf.Tensor2D): LayerState[] {
    const { layers } = this.config;
    const S = stateParts(this.config.cell);
    const all = tf.tanh(this.dense(z, 'dec.init'));
    // (tfjs's split gradient fails for a single part, so one state tensor is used as is)
    const parts = layers * S === 1 ? [all] : (tf.split(all, layers * S, 1) as tf.Tensor2D[]);
    return this.unpackState(parts);
  }

  /**
   * Teacher-forced decoder logits. inputs: n rows of T ids (BOS, then the target shifted right, with
   * token dropout already applied); returns [n*T, V].
   */
  decodeLogits(z: tf.Tensor2D, inputs: Int32Array, n: number): tf.Tensor2D {
    const { maxTokens: T, embed: E, latent: L } = this.config;
    if (inputs.length !== n * T) throw new Error(`decode: ${inputs.length} input ids for ${n} sequences of ${T}`);
    const emb = tf.reshape(this.embed(inputs), [n, T, E]);
    const zt = tf.tile(tf.reshape(z, [n, 1, L]), [1, T, 1]);
    let x = tf.concat([emb, zt], 2) as tf.Tensor3D;
    const init = this.initialState(z);
    for (let l = 0; l < this.config.layers; l++) x = this.layer(`dec.l${l}`, x, init[l], false).outputs;
    return this.dense(tf.reshape(x, [n * T, this.config.hidden]), 'dec.out');
  }

  /** One decoder step: previous token ids [n], state, z -> next-token logits [n, V] and the new state. */
  step(prev: ArrayLike<number>, state: LayerState[], z: tf.Tensor2D): { logits: tf.Tensor2D; state: LayerState[] } {
    let x = tf.concat([this.embed(prev), z], 1) as tf.Tensor2D;
    const next: LayerState[] = [];
    for (let l = 0; l < this.config.layers; l++) {
      const prefix = `dec.l${l}`;
      const xp = tf.add(tf.matMul(x, this.p(`${prefix}.wx`) as tf.Tensor2D), this.p(`${prefix}.bx`)) as tf.Tensor2D;
      const s = this.cell(prefix, xp, state[l]);
      next.push(s);
      x = s.h;
    }
    return { logits: this.dense(x, 'dec.out'), state: next };
  }

  /**
   * Greedy decoding of n latents [n*L]: returns n rows of maxSteps ids (argmax over the emittable
   * tokens each step, lowest id on ties); a row's tokens after its first EOS are EOS.
   */
  async greedyDecode(z: Float32Array, n: number, maxSteps = this.config.maxTokens): Promise<Int32Array> {
    const V = this.config.vocabSize;
    const out = new Int32Array(n * maxSteps).fill(EOS);
    const zt = tf.tensor2d(z, [n, this.config.latent]);
    let state = this.unpackState(tf.tidy(() => stateTensors(this.initialState(zt))));
    let prev = new Int32Array(n).fill(BOS);
    const done = new Uint8Array(n);
    for (let t = 0; t < maxSteps && !done.every(Boolean); t++) {
      const current = state;
      const [logitsT, ...next] = tf.tidy(() => {
        const r = this.step(prev, current, zt);
        return [r.logits, ...stateTensors(r.state)];
      });
      const logits = (await logitsT.data()) as Float32Array;
      tf.dispose([logitsT, ...stateTensors(state)]);
      state = this.unpackState(next);
      prev = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const best = emittableArgmax(logits, i * V, V);
        prev[i] = best;
        if (!done[i]) out[i * maxSteps + t] = best;
        if (best === EOS) done[i] = 1;
      }
    }
    tf.dispose([zt, ...stateTensors(state)]);
    return out;
  }

  /** Inverse of stateTensors: [h0, c0, h1, c1, ...] (LSTM) or [h0, h1, ...] (GRU) -> per-layer states. */
  unpackState(tensors: tf.Tensor2D[]): LayerState[] {
    const S = stateParts(this.config.cell);
    if (tensors.length !== S * this.config.layers) throw new Error(`decoder state: ${tensors.length} tensors for ${this.config.layers} layers`);
    return Array.from({ length: this.config.layers }, (_, l) => ({ h: tensors[l * S], c: S === 2 ? tensors[l * S + 1] : null }));
  }
}

export function stateTensors(state: LayerState[]): tf.Tensor2D[] {
  return state.flatMap((s) => (s.c ? [s.h, s.c] : [s.h]));
}
