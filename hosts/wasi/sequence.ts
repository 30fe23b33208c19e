// `sample` and `interpolate` on sequence models (seq-init + seq-step entries): one decoded line per sequence, the
// same bytes as `edgevae sample` / `edgevae interpolate` in Node (cli/commands/sequence.ts) for the same flags.
// Latents come from the runtime's sampler, interpolation is the same f64 arithmetic, and the decode loop is the
// runtime's own (assembly/sequence.ts), called in chunks of --max-batch with the same sequence numbering.
import { sampleNormal, decodeSequences } from "../../assembly/index";
import { MAX_SEQUENCE_LENGTH } from "../../assembly/format";
import { Args } from "./args";
import { fail, writeFd, writeText, writeFile, EXIT_USAGE } from "./io";
import { melodyEvent, melodyMidi, UNKNOWN } from "./melody-midi";
import { Model, SEQ_ENCODE, SEQ_INIT, SEQ_STEP, requireMemory, checkMemory } from "./model";
import { loadErrorName } from "./load-errors";
import { readVocabulary, isSpecialToken, Vocabulary } from "./vocabulary";

/** Flags only sequence models take (the image forms of sample/interpolate refuse them). */
export const SEQUENCE_ONLY_FLAGS = ["top-k", "max-length", "latent-temperature", "from", "to"];
/** Largest finite f32: the Node CLI takes any finite number; the module takes f32. */
const F32_MAX: f64 = 3.4028234663852886e38;

class SequenceModel {
  latent: i32;
  vocab: Vocabulary;
  encoderLength: i32 = 0;
  eos: i32;

  constructor(public model: Model) {
    const init = model.entry(SEQ_INIT), step = model.entry(SEQ_STEP);
    this.latent = init.inputSize;
    const vocabSize = step.outputSizes[0] - init.outputSizes[0];
    const bos = <i32>(step.reserved & 0xffff);
    const eos = <i32>(step.reserved >>> 16);
    const f = model.file;
    this.vocab = readVocabulary(f.ptr + load<u32>(f.ptr + 20), load<u32>(f.ptr + 24), vocabSize, bos, eos);
    this.eos = eos;
    for (let i = 0; i < model.entries.length; i++) if (model.entries[i].kind == SEQ_ENCODE) this.encoderLength = model.entries[i].inputSize;
  }
}

/** Decoding options with the Node CLI's names, ranges and defaults. */
class DecodeFlags {
  seed: u32;
  temperature: f32;
  topK: u32;
  maxLength: u32;
  constructor(args: Args) {
    this.seed = <u32>args.int("seed", 0, 0, 0xffffffff);
    this.temperature = <f32>args.number("temperature", 0, 0, F32_MAX);
    this.topK = <u32>args.int("top-k", 0, 0, 65535);
    this.maxLength = <u32>args.int("max-length", 0, 1, MAX_SEQUENCE_LENGTH);
  }
}

function latents(count: i32, seed: u32, temperature: f32): Float32Array {
  requireMemory(<u64>count * 4, "the latents");
  const z = new Float32Array(count);
  sampleNormal(z.dataStart, <u32>count, seed, temperature);
  return z;
}

/**
 * Prints one line per sequence decoded from n latents, as the Node runtime's decodeSequences + detokenize;
 * returns the token rows when `keep` (for MIDI output), else none.
 */
function decodeAndPrint(m: SequenceModel, z: Float32Array, n: i32, d: DecodeFlags, keep: bool): i32[][] {
  const kept = new Array<i32[]>();
  const batch = m.model.maxBatch, L = m.latent;
  // The row length the module will use (it returns it too): no more than MAX_SEQUENCE_LENGTH per sequence.
  const rowBytes = <u64>MAX_SEQUENCE_LENGTH * 4;
  requireMemory(<u64>batch * rowBytes, "the decoded tokens");
  const out = new Int32Array(batch * MAX_SEQUENCE_LENGTH);
  for (let start = 0; start < n; start += batch) {
    const count = min(batch, n - start);
    const rc = decodeSequences(z.dataStart + <usize>start * L * 4, <u32>count, out.dataStart, d.maxLength, d.seed, d.temperature,
      d.topK, <u32>start);
    if (rc < 0) fail("decoding failed in the runtime: " + loadErrorName(rc) + " (code " + rc.toString() + ")");
    for (let s = 0; s < count; s++) {
      const row = new Array<i32>();
      for (let t = 0; t < rc; t++) {
        const id = out[s * rc + t];
        if (id < 0) break;
        row.push(id);
      }
      printLine(m.vocab.detokenize(row));
      if (keep) kept.push(row);
    }
  }
  checkMemory("decoding");
  return kept;
}

/** A line as Node's console.log writes it: UTF-8 with unpaired surrogates replaced by U+FFFD. */
function printLine(text: string): void {
  const bytes = String.UTF8.encode(text + "\n", false, String.UTF8.ErrorMode.REPLACE);
  writeFd(1, changetype<usize>(bytes), bytes.byteLength);
}

/** --out of a sequence model: a .mid/.midi path (checked before any work, as the Node CLI does), or null. */
function midiPath(args: Args, command: string): string | null {
  if (!args.has("out")) return null;
  const out = args.text("out");
  const lower = out.toLowerCase();
  if (!lower.endsWith(".mid") && !lower.endsWith(".midi")) {
    fail(command + ": a sequence model writes --out x.mid (melody models); got '" + out + "'", EXIT_USAGE);
  }
  return out;
}

/** All rows one after another as one melody in a MIDI file, with the Node CLI's checks and its stderr line. */
function writeMelodies(path: string, m: SequenceModel, rows: i32[][], command: string): void {
  if (m.vocab.kind != "melody") {
    fail(command + ": --out " + path + ": the model is a " + m.vocab.kind + " model, MIDI needs a melody model");
  }
  const events = new Array<i32>();
  for (let r = 0; r < rows.length; r++) {
    for (let t = 0; t < rows[r].length; t++) {
      const symbol = m.vocab.tokens[rows[r][t]];
      if (isSpecialToken(symbol)) continue;
      const e = melodyEvent(symbol);
      if (e == UNKNOWN) fail(command + ": melody: unknown symbol '" + symbol + "'");
      events.push(e);
    }
  }
  const midi = melodyMidi(events);
  if (midi === null) fail(command + ": the melody is too long for a MIDI file");
  writeFile(path, midi!, false);
  writeText(2, "wrote " + path + " (" + rows.length.toString() + " sequences, " + events.length.toString() + " sixteenth-note steps)\n");
}

export function sampleSequenceModel(args: Args, model: Model): void {
  for (let i = 0; i < 3; i++) {
    const f = ["npy", "columns", "format"][i];
    if (args.has(f)) fail("sample: --" + f + " is for image models; a sequence model prints lines", EXIT_USAGE);
  }
  const n = <i32>args.int("n", 16, 1, 65536);
  const d = new DecodeFlags(args);
  const latentTemperature = <f32>args.number("latent-temperature", 1, 0, F32_MAX);
  const out = midiPath(args, "sample");
  const m = new SequenceModel(model);
  const rows = decodeAndPrint(m, latents(n * m.latent, d.seed, latentTemperature), n, d, out !== null);
  if (out !== null) writeMelodies(out!, m, rows, "sample");
}

/** The encoder's mu for two texts (as SequenceVae.encodeSequences: ids, the stop token, then padding). */
function encodePair(m: SequenceModel, a: string, b: string): Float32Array {
  const T = m.encoderLength;
  const batch = new Float32Array(2 * T);
  batch.fill(<f32>m.vocab.padId());
  const texts = [a, b];
  for (let i = 0; i < 2; i++) {
    const r = m.vocab.tokenize(texts[i]);
    if (r.error.length > 0) fail("interpolate: " + r.error);
    if (r.ids.length + 1 > T) {
      fail("interpolate: sequence " + i.toString() + " has " + r.ids.length.toString() + " tokens; the encoder reads at most " +
        (T - 1).toString() + " plus the stop token");
    }
    for (let k = 0; k < r.ids.length; k++) batch[i * T + k] = <f32>r.ids[k];
    batch[i * T + r.ids.length] = <f32>m.eos;
  }
  const outputs = m.model.runAll(SEQ_ENCODE, batch, 2);
  return outputs[0];
}

export function interpolateSequenceModel(args: Args, model: Model): void {
  for (let i = 0; i < 2; i++) {
    const f = ["npy", "format"][i];
    if (args.has(f)) fail("interpolate: --" + f + " is for image models; a sequence model prints lines", EXIT_USAGE);
  }
  const steps = <i32>args.int("steps", 8, 2, 4096);
  const d = new DecodeFlags(args);
  const hasFrom = args.has("from"), hasTo = args.has("to");
  if (hasFrom != hasTo) fail("interpolate: give both --from and --to (or --seed-a and --seed-b)", EXIT_USAGE);
  if (args.has("mode") && args.text("mode") != "lerp") fail("interpolate: sequence models interpolate linearly (--mode lerp)", EXIT_USAGE);
  const out = midiPath(args, "interpolate");
  const m = new SequenceModel(model);
  const L = m.latent;
  requireMemory(<u64>steps * L * 4, "the interpolation latents");
  const z = new Float32Array(steps * L);
  if (hasFrom) {
    if (m.encoderLength == 0) fail("interpolate: the model has no encoder; use --seed-a and --seed-b");
    const mu = encodePair(m, args.text("from"), args.text("to"));
    for (let s = 0; s < steps; s++) {
      const t = <f64>s / <f64>(steps - 1);
      for (let k = 0; k < L; k++) z[s * L + k] = <f32>((1 - t) * <f64>mu[k] + t * <f64>mu[L + k]);
    }
  } else {
    const a = latents(L, <u32>args.requiredInt("seed-a", 0, 0xffffffff), 1);
    const b = latents(L, <u32>args.requiredInt("seed-b", 0, 0xffffffff), 1);
    for (let s = 0; s < steps; s++) {
      const t = <f64>s / <f64>(steps - 1);
      for (let k = 0; k < L; k++) z[s * L + k] = <f32>(<f64>a[k] + (<f64>b[k] - <f64>a[k]) * t);
    }
  }
  const rows = decodeAndPrint(m, z, steps, d, out !== null);
  if (out !== null) writeMelodies(out!, m, rows, "interpolate");
}
