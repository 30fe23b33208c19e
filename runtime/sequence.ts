// Public API of sequence models (docs/sequence.md, docs/format.md "Sequence models"): sample token sequences from
// the prior, encode texts or token arrays, interpolate between two sequences, and turn tokens into text with the
// vocabulary in the file's metadata. The decoding loop itself runs inside the wasm module. Browser-safe.
import { Engine, type DecodeOptions } from './engine.js';
import { InputError, ModelFormatError } from './errors.js';
import type { SequenceInfo } from './format-sequence.js';
import { compileSource, type WasmSource } from './index.js';

export interface SequenceLoadOptions {
  wasm: WasmSource;
  /** sequences per wasm call; default 16 */
  maxBatch?: number;
}

export interface SequenceModelInfo extends SequenceInfo {
  /** "text" or "melody" */
  kind: string;
  tokens: string[];
  separator: string;
  /** tokens the encoder reads per sequence (symbols, stop token, padding); undefined without an encoder */
  encoderLength: number | undefined;
  quantization: string;
  metadata: Record<string, unknown>;
}

export interface SampleSequenceOptions extends DecodeOptions {
  /** standard deviation of the prior latents; default 1 */
  latentTemperature?: number;
}

export interface DecodedSequences {
  tokens: Int32Array[];
  texts: string[];
  latents: Float32Array;
}

const SPECIAL = /^<.*>$/;

export class SequenceVae {
  readonly info: SequenceModelInfo;

  private constructor(private readonly engine: Engine) {
    this.info = describe(engine);
  }

  static async load(modelBytes: Uint8Array, options: SequenceLoadOptions): Promise<SequenceVae> {
    if (!options || options.wasm === undefined) throw new InputError('SequenceVae.load: options.wasm (the runtime module) is required');
    const engine = await Engine.create(await compileSource(options.wasm));
    const info = await engine.load(modelBytes, options.maxBatch ?? 16);
    if (!info.sequence) throw new InputError(
      `SequenceVae.load: not a sequence model (entries: ${info.entries.map((e) => e.kind).join(', ') || 'none'})`);
    return new SequenceVae(engine);
  }

  /** Bytes of WebAssembly linear memory this instance uses now (its peak: memory never shrinks). */
  get memoryBytes(): number {
    return this.engine.memoryBytes;
  }

  /** Tokens of one decoded row joined into text (special tokens such as <unk> are kept, <pad> dropped). */
  detokenize(row: ArrayLike<number>): string {
    const { tokens, separator } = this.info;
    return Array.from(row, (id) => tokens[id] ?? `<${id}>`).filter((t) => t !== '<pad>').join(separator);
  }

  /** Ids of a text: characters (separator "") or separator-split symbols; unknown symbols become <unk>. */
  tokenize(text: string): number[] {
    const { tokens, separator } = this.info;
    const index = new Map(tokens.map((t, i) => [t, i]));
    const unk = index.get('<unk>');
    const parts = separator === '' ? Array.from(text) : text.split(separator).filter((p) => p !== '');
    return parts.map((p) => {
      const id = index.get(p);
      if (id !== undefined && !SPECIAL.test(p)) return id;
      if (unk === undefined) throw new InputError(`"${p}" is not in the vocabulary (and the model has no <unk> token)`);
      return unk;
    });
  }

  /** Decodes latents (n x latentSize) into token rows and texts. */
  decodeLatents(z: Float32Array, n: number, options: DecodeOptions = {}): DecodedSequences {
    const tokens = this.engine.decodeSequences(z, n, options);
    return { tokens, texts: tokens.map((r) => this.detokenize(r)), latents: z };
  }

  /** n sequences from latents drawn from N(0, latentTemperature^2) with the runtime's seeded sampler. */
  sampleSequences(n: number, options: SampleSequenceOptions = {}): DecodedSequences {
    const z = this.engine.sampleNormal(n * this.info.latentSize, options.seed ?? 0, options.latentTemperature ?? 1);
    return this.decodeLatents(z, n, options);
  }

  /** Encodes texts or token-id arrays (without the stop token) into mu and logvar (n x latentSize each). */
  encodeSequences(inputs: (string | ArrayLike<number>)[]): { mu: Float32Array; logvar: Float32Array } {
    const T = this.info.encoderLength;
    if (T === undefined) throw new InputError('the model has no encoder (seq-encode entry)');
    if (!Array.isArray(inputs) || inputs.length === 0) throw new InputError(
      'encodeSequences: give a non-empty array of texts or token arrays');
    const { eos, vocabSize } = this.info;
    const pad = Math.max(0, this.info.tokens.indexOf('<pad>'));
    const batch = new Float32Array(inputs.length * T).fill(pad);
    inputs.forEach((input, i) => {
      const ids = typeof input === 'string' ? this.tokenize(input) : Array.from(input);
      if (ids.length + 1 > T) throw new InputError(
        `sequence ${i} has ${ids.length} tokens; the encoder reads at most ${T - 1} plus the stop token`);
      for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new InputError(
        `sequence ${i}: token id ${id} is outside 0..${vocabSize - 1}`);
      batch.set(ids, i * T);
      batch[i * T + ids.length] = eos;
    });
    const [mu, logvar] = this.engine.run('seq-encode', batch, inputs.length);
    return { mu: mu!, logvar: logvar! };
  }

  /** `steps` sequences decoded (greedy unless options say otherwise) along the straight line between the codes of a and b. */
  interpolateSequences(a: string | ArrayLike<number>, b: string | ArrayLike<number>, steps: number,
    options: DecodeOptions = {}): DecodedSequences {
    if (!Number.isInteger(steps) || steps < 2) throw new InputError(`steps must be an integer >= 2, got ${steps}`);
    const { mu } = this.encodeSequences([a, b]);
    const L = this.info.latentSize;
    const z = new Float32Array(steps * L);
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      for (let k = 0; k < L; k++) z[s * L + k] = (1 - t) * mu[k]! + t * mu[L + k]!;
    }
    return this.decodeLatents(z, steps, options);
  }
}

function describe(engine: Engine): SequenceModelInfo {
  const model = engine.model;
  const seq = model.sequence!;
  const meta = model.metadata;
  const m = (typeof meta.sequence === 'object' && meta.sequence !== null ? meta.sequence : {}) as Record<string, unknown>;
  const tokens = Array.isArray(m.tokens) && m.tokens.every((t) => typeof t === 'string') ? m.tokens as string[] : undefined;
  if (tokens && tokens.length !== seq.vocabSize) {
    throw new ModelFormatError(`model metadata: the vocabulary lists ${tokens.length} tokens, the decoder has ${seq.vocabSize} logits`);
  }
  for (const k of ['bos', 'eos'] as const) {
    if (m[k] !== undefined && m[k] !== seq[k]) throw new ModelFormatError(
      `model metadata: ${k} ${String(m[k])} differs from the seq-step entry's ${seq[k]}`);
  }
  const enc = model.entries.some((e) => e.kind === 'seq-encode') ? engine.entrySizes('seq-encode').input : undefined;
  return {
    ...seq,
    kind: typeof m.kind === 'string' ? m.kind : 'text',
    tokens: tokens ?? Array.from({ length: seq.vocabSize }, (_, i) => `<${i}>`),
    separator: typeof m.separator === 'string' ? m.separator : ' ',
    encoderLength: enc,
    quantization: typeof meta.quantization === 'string' ? meta.quantization : 'f32',
    metadata: meta,
  };
}
