// Exports a sequence VAE as three ONNX graphs (opset 13) built on the standard LSTM/GRU operators,
// so the runtime owns the decoding loop:
//   encoder.onnx       tokens int64 [N,T] -> mu [N,L], logvar [N,L]
//   decoder-init.onnx  z [N,L] -> h [layers,N,H] (LSTM also c [layers,N,H])
//   decoder-step.onnx  token int64 [N], h, (c,) z [N,L] -> logits [N,V], h_next, (c_next)
// The model stores gate blocks in ONNX order (LSTM i,o,f,c; GRU z,r,h, reset after the recurrent
// product = linear_before_reset 1), so W = wx^T, R = wh^T and B = [bx, bh] per direction.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from './export-onnx.js';
import { directions, gates, stateParts, type SeqModelConfig, type SeqVaeModel } from './seq-model.js';

export interface SeqOnnx {
  encoder: Uint8Array;
  decoderInit: Uint8Array;
  decoderStep: Uint8Array;
}

export const SEQ_ONNX_FILES = { encoder: 'encoder.onnx', decoderInit: 'decoder-init.onnx', decoderStep: 'decoder-step.onnx' } as const;

function need(weights: Map<string, Float32Array>, name: string): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`ONNX export: missing weight '${name}'`);
  return w;
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** W, R, B initializers of one ONNX LSTM/GRU node covering the given weight prefixes (one per direction). */
function rnnInitializers(g: GraphBuilder, weights: Map<string, Float32Array>, c: SeqModelConfig, name: string, prefixes: string[], inSize: number): [string, string, string] {
  const G = gates(c.cell) * c.hidden;
  const D = prefixes.length;
  const W = concat(prefixes.map((p) => transpose(need(weights, `${p}.wx`), inSize, G)));
  const R = concat(prefixes.map((p) => transpose(need(weights, `${p}.wh`), c.hidden, G)));
  const B = concat(prefixes.flatMap((p) => [need(weights, `${p}.bx`), need(weights, `${p}.bh`)]));
  return [g.constant(`${name}.W`, [D, G, inSize], W), g.constant(`${name}.R`, [D, G, c.hidden], R), g.constant(`${name}.B`, [D, 2 * G], B)];
}

function rnnAttrs(c: SeqModelConfig, bidirectional: boolean): Record<string, number | string> {
  const attrs: Record<string, number | string> = { hidden_size: c.hidden, direction: bidirectional ? 'bidirectional' : 'forward' };
  if (c.cell === 'gru') attrs.linear_before_reset = 1;
  return attrs;
}

export function buildSeqOnnx(c: SeqModelConfig, weights: Map<string, Float32Array>): SeqOnnx {
  const { hidden: H, latent: L, layers, maxTokens: T, vocabSize: V, embed: E } = c;
  const op = c.cell === 'lstm' ? 'LSTM' : 'GRU';
  const S = stateParts(c.cell);
  const dirs = directions(c);
  const D = dirs.length;
  const desc = `${c.bidirectional ? 'bidirectional ' : ''}${op} sequence VAE (${layers} x ${H}, latent ${L}, ${V} tokens)`;

  // Encoder: embeddings in time-major order through the layers; the last layer's final h of every
  // direction (forward first) feeds the mu and logvar heads.
  const enc = new GraphBuilder();
  const embedEnc = enc.constant('embed', [V, E], need(weights, 'embed'));
  let x = enc.node('Transpose', [enc.node('Gather', [embedEnc, 'tokens'], { axis: 0 })], { perm: [1, 0, 2] });
  let finalH = '';
  for (let l = 0; l < layers; l++) {
    const [W, R, B] = rnnInitializers(enc, weights, c, `enc.l${l}`, dirs.map((d) => `enc.l${l}.${d}`), l === 0 ? E : D * H);
    const [Y, Yh] = enc.nodeOutputs(op, [x, W, R, B], [enc.fresh('Y'), enc.fresh('Y_h')], rnnAttrs(c, c.bidirectional));
    // Y [T, D, N, H] -> [T, N, D*H]
    x = enc.node('Reshape', [enc.node('Transpose', [Y], { perm: [0, 2, 1, 3] }), enc.int64Constant(enc.fresh('shape'), [0, 0, -1])]);
    finalH = Yh;
  }
  const summary = enc.node('Reshape', [enc.node('Transpose', [finalH], { perm: [1, 0, 2] }), enc.int64Constant('summary.shape', [0, -1])]);
  for (const head of ['mu', 'logvar']) {
    enc.node('Gemm', [summary, enc.constant(`enc.${head}.w`, [D * H, L], need(weights, `enc.${head}.w`)), enc.constant(`enc.${head}.b`, [L], need(weights, `enc.${head}.b`))], {}, head);
  }
  const encoder = enc.model('encoder', [['tokens', ['N', T], 'int64']], [['mu', ['N', L]], ['logvar', ['N', L]]],
    `edgevae ${desc} encoder: tokens [N,${T}] (symbols, EOS, PAD) -> mu, logvar [N,${L}]`);

  // Decoder init: tanh(z W + b) holds, per layer, h (then c) side by side.
  const ini = new GraphBuilder();
  let s = ini.node('Tanh', [ini.node('Gemm', ['z', ini.constant('dec.init.w', [L, layers * S * H], need(weights, 'dec.init.w')), ini.constant('dec.init.b', [layers * S * H], need(weights, 'dec.init.b'))])]);
  s = ini.node('Reshape', [s, ini.int64Constant('init.shape', [-1, layers * S, H])]);
  const stateNames = S === 2 ? ['h', 'c'] : ['h'];
  stateNames.forEach((name, part) => {
    const picked = ini.node('Gather', [s, ini.int64Constant(`${name}.index`, Array.from({ length: layers }, (_, l) => l * S + part))], { axis: 1 });
    ini.node('Transpose', [picked], { perm: [1, 0, 2] }, name);
  });
  const decoderInit = ini.model('decoder_init', [['z', ['N', L]]], stateNames.map((n) => [n, [layers, 'N', H]] as [string, (number | string)[]]),
    `edgevae ${desc} decoder init: z [N,${L}] -> ${stateNames.join(', ')} [${layers},N,${H}]`);

  // Decoder step: one time step (sequence length 1) through every layer from the given state.
  const st = new GraphBuilder();
  const emb = st.node('Gather', [st.constant('embed', [V, E], need(weights, 'embed')), 'token'], { axis: 0 });
  let y = st.node('Unsqueeze', [st.node('Concat', [emb, 'z'], { axis: 1 }), st.int64Constant('axis0', [0])]);
  const nextH: string[] = [];
  const nextC: string[] = [];
  for (let l = 0; l < layers; l++) {
    const [W, R, B] = rnnInitializers(st, weights, c, `dec.l${l}`, [`dec.l${l}`], l === 0 ? E + L : H);
    const starts = st.int64Constant(`l${l}.start`, [l]);
    const ends = st.int64Constant(`l${l}.end`, [l + 1]);
    const slice = (name: string) => st.node('Slice', [name, starts, ends, 'axis0']);
    const inputs = [y, W, R, B, '', slice('h')];
    if (S === 2) inputs.push(slice('c'));
    const outs = st.nodeOutputs(op, inputs, ['', st.fresh('Y_h'), ...(S === 2 ? [st.fresh('Y_c')] : [])], rnnAttrs(c, false));
    nextH.push(outs[1]);
    if (S === 2) nextC.push(outs[2]);
    y = outs[1]; // [1, N, H]: the next layer's one-step input
  }
  const top = st.node('Squeeze', [y, 'axis0']);
  st.node('Gemm', [top, st.constant('dec.out.w', [H, V], need(weights, 'dec.out.w')), st.constant('dec.out.b', [V], need(weights, 'dec.out.b'))], {}, 'logits');
  const concatOrIdentity = (names: string[], out: string) => (names.length === 1 ? st.node('Identity', names, {}, out) : st.node('Concat', names, { axis: 0 }, out));
  concatOrIdentity(nextH, 'h_next');
  if (S === 2) concatOrIdentity(nextC, 'c_next');
  const stepInputs: [string, (number | string)[], 'int64'?][] = [['token', ['N'], 'int64'], ['h', [layers, 'N', H]]];
  if (S === 2) stepInputs.push(['c', [layers, 'N', H]]);
  stepInputs.push(['z', ['N', L]]);
  const stepOutputs: [string, (number | string)[]][] = [['logits', ['N', V]], ['h_next', [layers, 'N', H]]];
  if (S === 2) stepOutputs.push(['c_next', [layers, 'N', H]]);
  const decoderStep = st.model('decoder_step', stepInputs, stepOutputs,
    `edgevae ${desc} decoder step: token [N], ${stateNames.join(', ')} [${layers},N,${H}], z [N,${L}] -> logits [N,${V}], next state`);
  return { encoder, decoderInit, decoderStep };
}

/** Writes the three graphs into `dir`; returns their paths. */
export async function exportSeqOnnx(model: SeqVaeModel, dir: string): Promise<string[]> {
  const graphs = buildSeqOnnx(model.config, await model.weights());
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const key of ['encoder', 'decoderInit', 'decoderStep'] as const) {
    const path = join(dir, SEQ_ONNX_FILES[key]);
    writeFileSync(path, graphs[key]);
    files.push(path);
  }
  return files;
}
