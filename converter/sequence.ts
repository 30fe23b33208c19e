// Sequence VAE -> one .evae (docs/format.md "Sequence models"): the encoder, decoder-init and decoder-step ONNX
// graphs become the seq-encode, seq-init and seq-step entries; vocabulary, join string, start/stop tokens and the
// maximum length go into the metadata (and the numbers the decode loop needs into the entries' reserved words).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntryKind, MAX_SEQUENCE_LENGTH } from '../runtime/format-constants.js';
import { readModel } from '../runtime/format.js';
import { seqInitWord } from '../runtime/format-sequence.js';
import { emitEntry, type EmitContext } from './emit.js';
import { importSequenceGraph, type ImportedSequenceGraph } from './import-sequence.js';
import type { Graph } from './ir.js';
import { loadOnnx, type OnnxModel, type OnnxValueInfo } from './onnx-load.js';
import { pruneDead } from './pipeline.js';
import { fuseActivations } from './passes/fuse-activation.js';
import { ensureOwnedOutputs } from './passes/layout.js';
import { planArena } from './plan.js';
import { writeModel, type WEntry } from './writer.js';

export const SEQUENCE_FILES =
  { encoder: 'encoder.onnx', decoderInit: 'decoder-init.onnx', decoderStep: 'decoder-step.onnx', vocab: 'vocab.json' } as const;

/** The vocabulary file `edgevae train --model seq` writes. */
export interface SequenceVocab {
  tokens: string[];
  /** how decoded tokens are joined: "" for characters, " " for events */
  separator: string;
  kind?: string;
  /** longest sequence in tokens, the stop token included */
  maxTokens: number;
  bos?: number;
  eos?: number;
}

export interface SequenceConvertOptions {
  encoder?: string | Uint8Array;
  decoderInit: string | Uint8Array;
  decoderStep: string | Uint8Array;
  vocab: SequenceVocab;
  name?: string;
}

/** Special tokens of `edgevae train --model seq` that are inputs only: padding, start, unknown symbol. */
const NEVER_EMITTED_TOKENS: readonly string[] = ['<pad>', '<bos>', '<unk>'];

export interface SequenceConvertReport {
  entries: { kind: string; ops: number; arenaPerSample: number; inputs: string[]; outputs: string[] }[];
  vocabSize: number;
  latentSize: number;
  stateSize: number;
  maxLength: number;
  fileBytes: number;
}

/** True when `dir` holds what `edgevae train --model seq` writes (decoder-step.onnx and vocab.json at least). */
export function isSequenceDir(dir: string): boolean {
  return existsSync(join(dir, SEQUENCE_FILES.decoderStep)) && existsSync(join(dir, SEQUENCE_FILES.vocab));
}

export function readVocab(path: string): SequenceVocab {
  let v: unknown;
  try { v = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
    throw new Error(`${path}: not a JSON vocabulary (${(e as Error).message})`); }
  return checkVocab(v, path);
}

export function checkVocab(v: unknown, where: string): SequenceVocab {
  const o = v as Partial<SequenceVocab> | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.tokens) || !o.tokens.every((t) => typeof t === 'string')) throw new Error(
    `${where}: "tokens" must be an array of strings`);
  if (o.tokens.length < 3 || o.tokens.length > 0xffff) throw new Error(`${where}: ${o.tokens.length} tokens (need 3..65535)`);
  if (typeof o.separator !== 'string') throw new Error(`${where}: "separator" must be a string`);
  if (!Number.isInteger(o.maxTokens) || o.maxTokens! < 1) throw new Error(`${where}: "maxTokens" must be a positive integer`);
  return { tokens: o.tokens, separator: o.separator, kind: o.kind, maxTokens: o.maxTokens!, bos: o.bos, eos: o.eos };
}

/** Converts the directory written by `edgevae train --model seq`. */
export async function convertSequenceDir(dir: string, name?: string) {
  const enc = join(dir, SEQUENCE_FILES.encoder);
  return convertSequence({
    encoder: existsSync(enc) ? enc : undefined,
    decoderInit: join(dir, SEQUENCE_FILES.decoderInit),
    decoderStep: join(dir, SEQUENCE_FILES.decoderStep),
    vocab: readVocab(join(dir, SEQUENCE_FILES.vocab)),
    name,
  });
}

/** Light passes: drop dead nodes, fuse tanh/sigmoid into the dense before, give outputs their own storage. */
function finish(g: Graph): void {
  pruneDead(g);
  fuseActivations(g);
  pruneDead(g);
  ensureOwnedOutputs(g);
}

const floatInputs = (m: OnnxModel) => m.inputs.filter((i) => i.elemType === 1);

export async function convertSequence(opts: SequenceConvertOptions): Promise<{ bytes: Uint8Array; report: SequenceConvertReport }> {
  const vocab = checkVocab(opts.vocab, 'vocabulary');
  const V = vocab.tokens.length;
  const bos = vocab.bos ?? vocab.tokens.indexOf('<bos>');
  const eos = vocab.eos ?? vocab.tokens.indexOf('<eos>');
  if (bos < 0 || bos >= V || eos < 0 || eos >= V) throw new Error('vocabulary: no <bos>/<eos> token (give "bos" and "eos" ids)');
  const maxLength = vocab.maxTokens;
  // Our trainer's specials that a decoder must never emit (docs/format.md "Sequence models": the seq-init word's upper half).
  const neverEmitted = vocab.tokens.slice(0, 16).flatMap((t, i) => (NEVER_EMITTED_TOKENS.includes(t) && i !== eos ? [i] : []));
  if (maxLength > MAX_SEQUENCE_LENGTH) throw new Error(
    `vocabulary: maxTokens ${maxLength} exceeds the runtime's limit of ${MAX_SEQUENCE_LENGTH}`);

  // decoder init: z -> states, packed in output order
  const init = await loadOnnx(opts.decoderInit);
  if (init.inputs.length !== 1) throw new Error(`decoder-init: expected one input (z), found ${init.inputs.map((i) => i.name).join(', ')}`);
  const initG = importSequenceGraph(init, init.inputs, init.outputs.map((o) => o.name), 'concat');
  const L = initG.inputs[0]!.size;
  const stateSizes = initG.outputs.map((o) => o.size);
  const P = stateSizes.reduce((s, v) => s + v, 0);

  // decoder step: [token, states (in the init outputs' order), z] -> [logits, next states]
  const step = await loadOnnx(opts.decoderStep);
  const token = step.inputs.filter((i) => i.elemType !== 1);
  if (token.length !== 1) throw new Error(`decoder-step: expected one integer input (the previous token), found ${token.length}`);
  const floats = floatInputs(step);
  const states: OnnxValueInfo[] = initG.outputs.map((o, k) => {
    const byName = floats.find((f) => f.name === o.name);
    if (byName) return byName;
    const rank3 = floats.filter((f) => f.dims?.length === 3);
    if (!rank3[k]) throw new Error(`decoder-step: no state input for the init output "${o.name}"`);
    return rank3[k]!;
  });
  const z = floats.filter((f) => !states.includes(f));
  if (z.length !== 1) throw new Error(
    `decoder-step: expected one latent input besides the states, found ${z.map((f) => f.name).join(', ') || 'none'}`);
  if (step.outputs.length !== 1 + states.length) throw new Error(
    `decoder-step: expected ${1 + states.length} outputs (logits, then the next states), found ${step.outputs.length}`);
  const stepG = importSequenceGraph(step, [token[0]!, ...states, z[0]!], step.outputs.map((o) => o.name), 'concat');
  if (stepG.inputs[0]!.size !== 1) throw new Error('decoder-step: the token input must hold one id per sequence');
  if (stepG.inputs[stepG.inputs.length - 1]!.size !== L) throw new Error(
    `decoder-step: latent input of ${stepG.inputs[stepG.inputs.length - 1]!.size} values, decoder-init reads ${L}`);
  stepG.inputs.slice(1, -1).forEach((s, k) => {
    if (s.size !== stateSizes[k]) throw new Error(
      `decoder-step: state input "${s.info.name}" holds ${s.size} values, decoder-init gives ${stateSizes[k]}`);
  });
  stepG.outputs.slice(1).forEach((o, k) => {
    if (o.size !== stateSizes[k]) throw new Error(
      `decoder-step: output "${o.name}" holds ${o.size} values, the state "${states[k]!.name}" ${stateSizes[k]}`);
  });
  if (stepG.outputs[0]!.size !== V) throw new Error(
    `decoder-step: logits of ${stepG.outputs[0]!.size} values for a vocabulary of ${V} tokens`);

  const parts: { kind: EntryKind; name: string; imported: ImportedSequenceGraph; reserved: number }[] = [];
  if (opts.encoder) {
    const enc = await loadOnnx(opts.encoder);
    if (enc.inputs.length !== 1) throw new Error(`encoder: expected one input (tokens), found ${enc.inputs.map((i) => i.name).join(', ')}`);
    if (enc.outputs.length < 2) throw new Error('encoder: expected two outputs (mu, logvar)');
    const encG = importSequenceGraph(enc, enc.inputs, enc.outputs.slice(0, 2).map((o) => o.name), 'each');
    if (encG.outputs[0]!.size !== L || encG.outputs[1]!.size !== L) throw new Error(
      `encoder: mu/logvar of ${encG.outputs[0]!.size}/${encG.outputs[1]!.size} values, the decoder reads ${L}`);
    parts.push({ kind: EntryKind.SeqEncode, name: 'seq-encode', imported: encG, reserved: 0 });
  }
  parts.push({ kind: EntryKind.SeqInit, name: 'seq-init', imported: initG, reserved: seqInitWord(maxLength, neverEmitted) });
  parts.push({ kind: EntryKind.SeqStep, name: 'seq-step', imported: stepG, reserved: (bos | (eos << 16)) >>> 0 });

  const ctx: EmitContext = { tensors: [] };
  const entries: WEntry[] = [];
  const layers: Record<string, string[]> = {};
  const reports: SequenceConvertReport['entries'] = [];
  let arena = 16;
  for (const p of parts) {
    finish(p.imported.graph);
    const plan = planArena(p.imported.graph);
    const { entry, layers: names } = emitEntry(ctx, p.imported.graph, plan, p.kind, p.reserved);
    entries.push(entry);
    layers[p.name] = names;
    arena = Math.max(arena, plan.arenaPerSample);
    reports.push(
      { kind: p.name, ops: entry.ops.length, arenaPerSample: plan.arenaPerSample, inputs: p.imported.inputs.map((i) => i.info.name),
        outputs: p.imported.outputs.map((o) => o.name) });
  }
  const encInput = parts[0]!.kind === EntryKind.SeqEncode ? parts[0]!.imported.inputs[0]!.size : undefined;
  const meta: Record<string, unknown> = {
    name: opts.name ?? (step.graphName || 'sequence model'),
    producer: 'edgevae-converter 0.1.0',
    source: { decoderStep: { producer: step.producerName, version: step.producerVersion, opset: step.opset } },
    latentSize: L,
    quantization: 'f32',
    created: new Date().toISOString(),
    sequence: {
      kind: vocab.kind ?? 'text', tokens: vocab.tokens, separator: vocab.separator, bos, eos, maxLength,
      ...(encInput !== undefined ? { encoderLength: encInput } : {}),
      state: initG.outputs.map((o, k) => ({ name: o.name, size: stateSizes[k] })),
    },
    layers,
  };
  const bytes = writeModel({ meta, tensors: ctx.tensors, entries, arenaPerSample: arena });
  try {
    readModel(bytes);
  } catch (e) {
    throw new Error(`the converted sequence model does not pass validation: ${(e as Error).message}`);
  }
  return { bytes, report: { entries: reports, vocabSize: V, latentSize: L, stateSize: P, maxLength, fileBytes: bytes.byteLength } };
}

/**
 * Any graph the sequence importer reads (several inputs, batch on any axis) as the decode entry of a model: the
 * graph inputs packed per sample in graph order, the outputs concatenated in graph order. For tests and tools.
 */
export async function convertPackedGraph(model: string | Uint8Array): Promise<Uint8Array> {
  const m = await loadOnnx(model);
  const imported = importSequenceGraph(m, m.inputs, m.outputs.map((o) => o.name), 'concat');
  finish(imported.graph);
  const ctx: EmitContext = { tensors: [] };
  const plan = planArena(imported.graph);
  const { entry } = emitEntry(ctx, imported.graph, plan, EntryKind.Decode);
  const meta =
    { name: m.graphName || 'graph', producer: 'edgevae-converter 0.1.0', quantization: 'f32', created: new Date().toISOString() };
  return writeModel({ meta, tensors: ctx.tensors, entries: [entry], arenaPerSample: plan.arenaPerSample });
}
