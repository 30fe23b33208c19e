// Melody tokens (trainer/melody.ts: on<P> starts pitch P, off ends the note, hold continues) as timed notes for the
// kiosk's WebAudio player: one 16th-note step per token, at the MIDI writer's default tempo (120 quarter notes a
// minute), so what plays is what `edgevae sample --out x.mid` writes. Pure, so tests can check the schedule.

/** Seconds per 16th note at 120 quarter notes per minute. */
export const STEP_SECONDS = 0.125;
const LOWEST_PITCH = 21;
const HIGHEST_PITCH = 108;

export interface NoteEvent {
  /** MIDI pitch */
  pitch: number;
  /** seconds from the start of the melody */
  start: number;
  duration: number;
}

/** Notes of a melody given as symbols; special tokens such as <unk> take no step (as in the CLI's MIDI output). */
export function melodyNotes(symbols: readonly string[], stepSeconds = STEP_SECONDS): NoteEvent[] {
  const notes: NoteEvent[] = [];
  let open: { pitch: number; step: number } | undefined;
  let step = 0;
  const stop = () => {
    if (open) notes.push({ pitch: open.pitch, start: open.step * stepSeconds, duration: (step - open.step) * stepSeconds });
    open = undefined;
  };
  for (const s of symbols) {
    if (/^<.*>$/.test(s)) continue;
    if (s === 'off') stop();
    else if (s !== 'hold') {
      const m = /^on(\d+)$/.exec(s);
      const pitch = m ? Number(m[1]) : NaN;
      if (!(pitch >= LOWEST_PITCH && pitch <= HIGHEST_PITCH)) throw new Error(`melody: unknown symbol '${s}'`);
      stop();
      open = { pitch, step };
    }
    step++;
  }
  stop();
  return notes;
}

/** Equal-tempered frequency of a MIDI pitch (A4 = 69 = 440 Hz). */
export function pitchHz(pitch: number): number {
  return 440 * 2 ** ((pitch - 69) / 12);
}
