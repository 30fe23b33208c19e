// `edgevae sample` and `edgevae interpolate` on sequence models (docs/sequence.md): print one decoded sequence per
// line; melody models can also write the sequences as one MIDI file (--out x.mid, one 2-bar window after another).
import { defaultWasmPath, readInputFile, writeFileAtomic } from '../../runtime/node.js';
import { readFileSync } from 'node:fs';
import { readModel } from '../../runtime/format.js';
import { SequenceVae } from '../../runtime/sequence.js';
import { intFlag, numberFlag, type Flags } from '../args.js';
import { usageError, UserError } from '../errors.js';
import { checkOutputPath } from '../io.js';

export const SEQUENCE_SAMPLE_HELP = `Sequence models (a .evae converted from "edgevae train --model seq") print one sequence per line:
  --n N                 number of sequences (default 16)
  --seed S              seed of the latents and of the token draws (default 0)
  --temperature T       token temperature: 0 = greedy (default), else sampling from softmax(logits / T)
  --top-k K             sample among the K most likely tokens (default 0 = all)
  --max-length N        stop after N tokens (default and upper bound: the model's maximum length)
  --latent-temperature T  standard deviation of the latents (default 1)
  --out FILE.mid        melody models: also write the sequences as a MIDI file`;

export const SEQUENCE_INTERPOLATE_HELP = `Sequence models print one decoded line per step:
  --from TEXT --to TEXT  the two end points, encoded with the model's encoder
  (or --seed-a / --seed-b: latents sampled like "edgevae sample --n 1 --seed S")
  --temperature, --top-k, --max-length  as for "edgevae sample" (default greedy)
  --out FILE.mid        melody models: also write the steps as a MIDI file`;

export const SEQUENCE_FLAGS = {
  'top-k': { type: 'string' }, 'max-length': { type: 'string' }, 'latent-temperature': { type: 'string' },
} as const;

/** The model file's bytes when it is a sequence model (seq-init and seq-step entries), else undefined. */
export function sequenceModelBytes(flags: Flags): Uint8Array | undefined {
  const path = flags.model as string | undefined;
  if (!path) return undefined;
  const bytes = readInputFile(path, 'model file');
  try {
    return readModel(bytes, { skipChecksum: true }).entries.some((e) => e.kind === 'seq-step') ? bytes : undefined;
  } catch {
    return undefined; // the regular load reports what is wrong with the file
  }
}

async function load(bytes: Uint8Array, flags: Flags, command: string): Promise<SequenceVae> {
  const maxBatch = intFlag(flags, 'max-batch', command, 16, 1, 65535);
  return SequenceVae.load(bytes, { wasm: readFileSync(defaultWasmPath()), maxBatch });
}

function decodeFlags(flags: Flags, command: string, defaultSeed = 0) {
  return {
    seed: intFlag(flags, 'seed', command, defaultSeed, 0, 0xffffffff),
    temperature: numberFlag(flags, 'temperature', command, 0, 0),
    topK: intFlag(flags, 'top-k', command, 0, 0, 65535),
    maxLength: intFlag(flags, 'max-length', command, 0, 1, 1024),
  };
}

function midiOut(flags: Flags, command: string): string | undefined {
  const out = flags.out as string | undefined;
  if (out === undefined) return undefined;
  if (!/\.midi?$/i.test(out)) throw usageError(`${command}: a sequence model writes --out x.mid (melody models); got '${out}'`);
  checkOutputPath(out);
  return out;
}

async function writeMelodies(path: string, vae: SequenceVae, rows: Int32Array[], command: string): Promise<void> {
  if (vae.info.kind !== 'melody') throw new UserError(
    `${command}: --out ${path}: the model is a ${vae.info.kind} model, MIDI needs a melody model`);
  // The trainer's MIDI code is only loaded for this (the runtime itself never imports the trainer).
  const { melodyEvent, melodyToMidi } = await import('../../trainer/melody.js');
  const { writeMidi } = await import('../../trainer/midi.js');
  const events: number[] = [];
  for (const row of rows) {
    const symbols = Array.from(row, (id) => vae.info.tokens[id]!).filter((s) => !/^<.*>$/.test(s));
    events.push(...symbols.map((s) => melodyEvent(s)));
  }
  writeFileAtomic(path, writeMidi(melodyToMidi(events)));
  console.error(`wrote ${path} (${rows.length} sequences, ${events.length} sixteenth-note steps)`);
}

export async function sampleSequences(bytes: Uint8Array, flags: Flags): Promise<void> {
  const n = intFlag(flags, 'n', 'sample', 16, 1, 65536);
  const opts = decodeFlags(flags, 'sample');
  const latentTemperature = numberFlag(flags, 'latent-temperature', 'sample', 1, 0);
  if (flags.npy !== undefined || flags.columns !== undefined || flags.scale !== undefined) {
    throw usageError('sample: --npy, --columns and --scale are for image models; a sequence model prints lines');
  }
  const out = midiOut(flags, 'sample');
  const vae = await load(bytes, flags, 'sample');
  const { texts, tokens } = vae.sampleSequences(n, { ...opts, latentTemperature });
  for (const t of texts) console.log(t);
  if (out) await writeMelodies(out, vae, tokens, 'sample');
}

export async function interpolateSequences(bytes: Uint8Array, flags: Flags): Promise<void> {
  const steps = intFlag(flags, 'steps', 'interpolate', 8, 2, 4096);
  const opts = decodeFlags(flags, 'interpolate');
  const from = flags.from as string | undefined, to = flags.to as string | undefined;
  if ((from === undefined) !== (to === undefined)) throw usageError('interpolate: give both --from and --to (or --seed-a and --seed-b)');
  if (flags.mode !== undefined && flags.mode !== 'lerp') throw usageError(
    'interpolate: sequence models interpolate linearly (--mode lerp)');
  const out = midiOut(flags, 'interpolate');
  const vae = await load(bytes, flags, 'interpolate');
  let result;
  if (from !== undefined) {
    if (vae.info.encoderLength === undefined) throw new UserError('interpolate: the model has no encoder; use --seed-a and --seed-b');
    result = vae.interpolateSequences(from, to!, steps, opts);
  } else {
    const seedA = intFlag(flags, 'seed-a', 'interpolate', undefined, 0, 0xffffffff);
    const seedB = intFlag(flags, 'seed-b', 'interpolate', undefined, 0, 0xffffffff);
    const a = vae.sampleSequences(1, { seed: seedA, maxLength: 1 }).latents;
    const b = vae.sampleSequences(1, { seed: seedB, maxLength: 1 }).latents;
    const L = vae.info.latentSize;
    const z = new Float32Array(steps * L);
    for (let s = 0; s < steps; s++) for (let k = 0; k < L; k++) z[s * L + k] = a[k]! + (b[k]! - a[k]!) * (s / (steps - 1));
    result = vae.decodeLatents(z, steps, opts);
  }
  for (const t of result.texts) console.log(t);
  if (out) await writeMelodies(out, vae, result.tokens, 'interpolate');
}
