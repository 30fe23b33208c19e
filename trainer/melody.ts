// Monophonic melodies on a 16th-note grid, as MusicVAE encodes them: one event per step,
//   on<P>  a note of MIDI pitch P starts (P in 21..108, the 88 piano keys)
//   off    the sounding note stops; silence follows
//   hold   no event: the note or the silence of the previous step continues
// so a melody model has 88 + 2 = 90 symbols. Melodies are cut into 2-bar windows (32 steps in 4/4).
import {
  DEFAULT_TEMPO_US, META_TIME_SIGNATURE, tempoEvent, tempoOf, timeSignatureEvent,
  type MidiEvent, type MidiFile,
} from './midi.js';

export const HOLD = -2;
export const OFF = -1;
export const LOWEST_PITCH = 21;
export const HIGHEST_PITCH = 108;
export const STEPS_PER_QUARTER = 4;
export const WINDOW_BARS = 2;
const DRUM_CHANNEL = 9;

/** Melody symbols in vocabulary order. */
export const MELODY_SYMBOLS: string[] = ['off', 'hold'];
for (let p = LOWEST_PITCH; p <= HIGHEST_PITCH; p++) MELODY_SYMBOLS.push(`on${p}`);

/** One event per step: a pitch (note on), OFF or HOLD. */
export type Melody = number[];

export function melodySymbol(event: number): string {
  if (event === HOLD) return 'hold';
  if (event === OFF) return 'off';
  if (!Number.isInteger(event) || event < LOWEST_PITCH || event > HIGHEST_PITCH) throw new Error(`melody: pitch ${event} outside ${LOWEST_PITCH}..${HIGHEST_PITCH}`);
  return `on${event}`;
}

export function melodyEvent(symbol: string): number {
  if (symbol === 'hold') return HOLD;
  if (symbol === 'off') return OFF;
  const m = /^on(\d+)$/.exec(symbol);
  const p = m ? Number(m[1]) : NaN;
  if (!(p >= LOWEST_PITCH && p <= HIGHEST_PITCH)) throw new Error(`melody: unknown symbol '${symbol}'`);
  return p;
}

interface Note {
  start: number;
  end: number;
  pitch: number;
}

/** Notes of every non-drum channel, in ticks (note-on with velocity 0 counts as note-off). */
function collectNotes(file: MidiFile): Note[] {
  const notes: Note[] = [];
  for (const track of file.tracks) {
    const open = new Map<number, number[]>(); // channel*128+pitch -> start ticks (first in, first out)
    for (const e of track) {
      if (e.kind !== 'channel') continue;
      const type = e.status & 0xf0;
      const channel = e.status & 0x0f;
      if (channel === DRUM_CHANNEL || (type !== 0x90 && type !== 0x80)) continue;
      const key = channel * 128 + e.data[0];
      if (type === 0x90 && e.data[1] > 0) {
        const starts = open.get(key) ?? [];
        starts.push(e.tick);
        open.set(key, starts);
      } else {
        const start = open.get(key)?.shift();
        if (start !== undefined) notes.push({ start, end: e.tick, pitch: e.data[0] });
      }
    }
  }
  return notes;
}

/** Steps per bar from the first time signature (4/4 when there is none). */
export function stepsPerBar(file: MidiFile): number {
  for (const track of file.tracks) for (const e of track) {
    if (e.kind === 'meta' && e.type === META_TIME_SIGNATURE && e.data.length >= 2) {
      const steps = (e.data[0] * STEPS_PER_QUARTER * 4) / 2 ** e.data[1];
      if (!Number.isInteger(steps) || steps < 1) throw new Error(`melody: time signature ${e.data[0]}/${2 ** e.data[1]} has no whole number of 16th steps per bar`);
      return steps;
    }
  }
  return STEPS_PER_QUARTER * 4;
}

/** Pitch moved by octaves into the piano range. */
function clampPitch(p: number): number {
  while (p < LOWEST_PITCH) p += 12;
  while (p > HIGHEST_PITCH) p -= 12;
  return p;
}

/**
 * The file's melody on the 16th-note grid. Polyphony is reduced the usual way: the latest onset wins
 * (it cuts a still-sounding note), and among notes starting on the same step the highest wins.
 */
export function extractMelody(file: MidiFile): Melody {
  const stepTicks = file.division / STEPS_PER_QUARTER;
  const notes = collectNotes(file).map((n) => {
    const start = Math.round(n.start / stepTicks);
    return { start, end: Math.max(start + 1, Math.round(n.end / stepTicks)), pitch: clampPitch(n.pitch) };
  });
  notes.sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const kept: Note[] = [];
  for (const n of notes) {
    const prev = kept[kept.length - 1];
    if (prev && prev.start === n.start) continue; // a lower note on the same step
    if (prev && prev.end > n.start) prev.end = n.start;
    kept.push({ ...n });
  }
  const length = kept.length ? Math.max(...kept.map((n) => n.end)) + 1 : 0;
  const melody: Melody = new Array(length).fill(HOLD);
  kept.forEach((n, i) => {
    melody[n.start] = n.pitch;
    const next = kept[i + 1];
    if (!next || next.start > n.end) melody[n.end] = OFF;
  });
  // Trailing off: keep it (it ends the last note); drop anything after.
  return melody;
}

/**
 * 2-bar windows starting on every bar. A window that starts inside a held note begins with that
 * note's on-event; windows without any note are skipped.
 */
export function melodyWindows(melody: Melody, barSteps: number, bars = WINDOW_BARS): Melody[] {
  const size = barSteps * bars;
  const windows: Melody[] = [];
  let sounding: number | null = null; // pitch sounding at the start of the current bar
  const soundingAt: (number | null)[] = [];
  for (let s = 0; s < melody.length; s++) {
    const e = melody[s];
    if (e >= 0) sounding = e;
    else if (e === OFF) sounding = null;
    soundingAt.push(sounding);
  }
  for (let start = 0; start + size <= melody.length + barSteps; start += barSteps) {
    const w = melody.slice(start, start + size);
    while (w.length < size) w.push(HOLD);
    if (!w.some((e) => e >= 0)) continue;
    if (w[0] === HOLD && start > 0 && soundingAt[start - 1] !== null) w[0] = soundingAt[start - 1]!;
    windows.push(w);
  }
  return windows;
}

export interface MelodyMidiOptions {
  /** ticks per quarter note (default 480) */
  division?: number;
  /** microseconds per quarter note (default 500000 = 120 bpm) */
  tempo?: number;
  velocity?: number;
  channel?: number;
}

/** A format-0 file playing the melody (4/4, one note per on-event, ended by off or the next on). */
export function melodyToMidi(melody: Melody, opts: MelodyMidiOptions = {}): MidiFile {
  const division = opts.division ?? 480;
  const velocity = opts.velocity ?? 80;
  const channel = opts.channel ?? 0;
  const stepTicks = division / STEPS_PER_QUARTER;
  if (!Number.isInteger(stepTicks)) throw new Error(`melody: division ${division} is not divisible by ${STEPS_PER_QUARTER}`);
  const events: MidiEvent[] = [tempoEvent(0, opts.tempo ?? DEFAULT_TEMPO_US), timeSignatureEvent(0, 4, 4)];
  let current: number | null = null;
  const stop = (tick: number) => {
    // Note-on with velocity 0 ends a note and lets the whole track use running status.
    if (current !== null) events.push({ kind: 'channel', tick, status: 0x90 | channel, data: [current, 0] });
    current = null;
  };
  melody.forEach((e, s) => {
    const tick = s * stepTicks;
    if (e === OFF) stop(tick);
    else if (e >= 0) {
      stop(tick);
      events.push({ kind: 'channel', tick, status: 0x90 | channel, data: [melodyEvent(melodySymbol(e)), velocity] });
      current = e;
    } else if (e !== HOLD) throw new Error(`melody: bad event ${e} at step ${s}`);
  });
  stop(melody.length * stepTicks);
  return { format: 0, division, tracks: [events] };
}

/** First tempo of the file in microseconds per quarter note (the default when none). */
export function firstTempo(file: MidiFile): number {
  for (const track of file.tracks) for (const e of track) if (e.kind === 'meta' && e.type === 0x51 && e.data.length === 3) return tempoOf(e);
  return DEFAULT_TEMPO_US;
}
