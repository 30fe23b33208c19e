// Training data for sequence VAEs: token sequences padded to one length, split into train and
// held-out sets. Sources (--data):
//   words         characters of the words in /usr/share/dict/words (Debian wamerican; possessives "'s"
//                 are left out, they would double the list with near-copies)
//   fortunes      sentences of the fortune cookies in /usr/share/games/fortunes (Debian fortunes-min),
//                 one sentence per sequence
//   lines:FILE    any UTF-8 text file, one sequence (of characters) per line
//   midi:FOLDER   2-bar melody windows of every .mid/.midi file in FOLDER (MusicVAE-style events)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extractMelody, melodySymbol, melodyWindows, MELODY_SYMBOLS, stepsPerBar, STEPS_PER_QUARTER, WINDOW_BARS } from './melody.js';
import { readMidi } from './midi.js';
import { shuffledIndices } from '../reference/random.js';
import { PAD, Vocabulary } from './vocab.js';

export type SequenceKind = 'text' | 'melody';

export interface SequenceSet {
  /** count x maxTokens ids: the symbols, EOS, then PAD */
  tokens: Int32Array;
  count: number;
}

export interface SequenceDataset {
  name: string;
  kind: SequenceKind;
  vocab: Vocabulary;
  /** tokens per padded sequence: the longest allowed sequence plus its EOS */
  maxTokens: number;
  /** joins symbols for display: '' for characters, ' ' for melody events */
  separator: string;
  train: SequenceSet;
  test: SequenceSet;
  /** sequences left out for being longer than the cap */
  dropped: number;
}

export const WORDS_FILE = '/usr/share/dict/words';
export const FORTUNES_DIR = '/usr/share/games/fortunes';
/** Held-out share and its fixed seed: the split must not change with --seed. */
export const HELD_OUT_FRACTION = 0.1;
const SPLIT_SEED = 20240601;
/** Default caps on symbols per sequence. */
export const DEFAULT_MAX_LENGTH: Record<string, number> = { words: 16, fortunes: 64, lines: 64 };

export interface SequenceLoadOptions {
  /** longest sequence kept, in symbols (EOS not counted) */
  maxLength?: number;
  limitTrain?: number;
  limitTest?: number;
}

export function loadSequenceDataset(source: string, opts: SequenceLoadOptions = {}): SequenceDataset {
  if (source === 'words') {
    const file = process.env.EDGEVAE_WORDS_FILE ?? WORDS_FILE;
    const words = readLines(file, 'words (install Debian package wamerican)').filter((w) => !w.endsWith("'s"));
    return textDataset('words', words, opts.maxLength ?? DEFAULT_MAX_LENGTH.words, opts);
  }
  if (source === 'fortunes') {
    const dir = process.env.EDGEVAE_FORTUNES_DIR ?? FORTUNES_DIR;
    return textDataset('fortunes', fortuneSentences(dir), opts.maxLength ?? DEFAULT_MAX_LENGTH.fortunes, opts);
  }
  if (source.startsWith('lines:')) {
    const file = source.slice('lines:'.length);
    return textDataset(source, readLines(file, 'lines'), opts.maxLength ?? DEFAULT_MAX_LENGTH.lines, opts);
  }
  if (source.startsWith('midi:')) return midiDataset(source, source.slice('midi:'.length), opts);
  throw new Error(`sequence data '${source}': unknown source (use words, fortunes, lines:FILE or midi:FOLDER)`);
}

function readUtf8(file: string, what: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${what}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${what}: ${file} is not valid UTF-8`);
  }
}

/** Non-empty lines without their line ends. */
function readLines(file: string, what: string): string[] {
  return readUtf8(file, what).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/**
 * Sentences of every fortune file in `dir`: entries are separated by '%' lines; an entry's lines are
 * joined, backspace overstriking (x BS x) is removed, and the text is cut after . ! or ?.
 */
export function fortuneSentences(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`fortunes: ${dir} not found (install Debian package fortunes-min)`);
  const files = readdirSync(dir).filter((f) => !f.includes('.')).sort();
  if (files.length === 0) throw new Error(`fortunes: no fortune files in ${dir}`);
  const out: string[] = [];
  for (const f of files) {
    const text = readUtf8(join(dir, f), 'fortunes');
    for (const entry of text.split(/\n%\n?/)) {
      const flat = entry.replace(/.\x08/g, '').replace(/\s+/g, ' ').trim();
      for (const m of flat.matchAll(/[^.!?]+[.!?]+["')]?/g)) {
        const s = m[0].trim();
        // Attribution lines ("-- Mark Twain") and fragments are not sentences.
        if (s.length >= 8 && /^[A-Z"']/.test(s) && !/[\x00-\x1f\x7f]/.test(s)) out.push(s);
      }
    }
  }
  return out;
}

function textDataset(name: string, lines: string[], maxLength: number, opts: SequenceLoadOptions): SequenceDataset {
  const all = [...new Set(lines)].map((l) => Array.from(l));
  return buildDataset(name, 'text', '', all, maxLength, null, opts);
}

function midiDataset(name: string, dir: string, opts: SequenceLoadOptions): SequenceDataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`midi data: ${dir} is not a folder`);
  const files = readdirSync(dir).filter((f) => /\.midi?$/i.test(f)).sort();
  if (files.length === 0) throw new Error(`midi data: no .mid or .midi files in ${dir}`);
  const windows: string[][] = [];
  for (const f of files) {
    const path = join(dir, f);
    const midi = readMidi(readFileSync(path), path);
    for (const w of melodyWindows(extractMelody(midi), stepsPerBar(midi))) windows.push(w.map(melodySymbol));
  }
  const unique = [...new Map(windows.map((w) => [w.join(' '), w])).values()];
  const length = Math.max(...unique.map((w) => w.length), STEPS_PER_QUARTER * 4 * WINDOW_BARS);
  return buildDataset(name, 'melody', ' ', unique, opts.maxLength ?? length, new Vocabulary(MELODY_SYMBOLS), opts);
}

function buildDataset(
  name: string, kind: SequenceKind, separator: string, all: string[][], maxLength: number,
  fixedVocab: Vocabulary | null, opts: SequenceLoadOptions,
): SequenceDataset {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`sequence data: maximum length must be a positive integer, got ${maxLength}`);
  const kept = all.filter((s) => s.length <= maxLength);
  if (kept.length < 2) throw new Error(`sequence data '${name}': need at least 2 sequences of at most ${maxLength} symbols, found ${kept.length}`);
  const order = shuffledIndices(kept.length, SPLIT_SEED);
  const testCount = Math.max(1, Math.round(kept.length * HELD_OUT_FRACTION));
  const testSeqs = Array.from(order.subarray(0, testCount), (i) => kept[i]);
  const trainSeqs = Array.from(order.subarray(testCount), (i) => kept[i]);
  // Text vocabularies come from the training split, so held-out symbols never seen in training are UNK.
  const vocab = fixedVocab ?? Vocabulary.fromSequences(trainSeqs);
  const maxTokens = maxLength + 1;
  const pack = (seqs: string[][], limit?: number): SequenceSet => {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error(`sequence data: limit must be a positive integer, got ${limit}`);
    const n = Math.min(seqs.length, limit ?? Infinity);
    const tokens = new Int32Array(n * maxTokens).fill(PAD);
    for (let i = 0; i < n; i++) tokens.set(vocab.encode(seqs[i]), i * maxTokens);
    return { tokens, count: n };
  };
  return {
    name, kind, vocab, maxTokens, separator,
    train: pack(trainSeqs, opts.limitTrain),
    test: pack(testSeqs, opts.limitTest),
    dropped: all.length - kept.length,
  };
}

/** Row i of a set as ids. */
export function sequenceAt(set: SequenceSet, maxTokens: number, i: number): Int32Array {
  return set.tokens.subarray(i * maxTokens, (i + 1) * maxTokens);
}
