// The kiosk's view of a sequence model (docs/sequence.md): sampled lines for the header's seed and temperature (the
// latents' standard deviation; tokens are chosen greedily, as `edgevae sample` does by default), a linear
// interpolation between two typed texts through the encoder, and for melody models a Play button that renders the
// selected line with WebAudio (one oscillator per note, 16th-note steps).
import { SequenceVae } from '../../runtime/sequence.js';
import { melodyNotes, pitchHz, type NoteEvent } from './melody-notes.js';

const SAMPLE_COUNT = 8;
const PATH_STEPS = 10;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function fillList(id: string, lines: string[], onPick?: (i: number) => void): void {
  const list = $(id);
  list.textContent = '';
  lines.forEach((line, i) => {
    const item = document.createElement('li');
    item.textContent = line;
    if (onPick) item.addEventListener('click', () => onPick(i));
    list.append(item);
  });
}

let audio: AudioContext | undefined;

/** Schedules the notes on a fresh timeline starting 0.1 s from now; returns what was scheduled. */
function play(notes: NoteEvent[]): NoteEvent[] {
  audio ??= new AudioContext();
  void audio.resume();
  const t0 = audio.currentTime + 0.1;
  for (const n of notes) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'triangle';
    osc.frequency.setValueAtTime(pitchHz(n.pitch), t0 + n.start);
    // A short release keeps repeated pitches apart and avoids clicks.
    gain.gain.setValueAtTime(0.2, t0 + n.start);
    gain.gain.setTargetAtTime(0, t0 + n.start + n.duration - 0.02, 0.01);
    osc.connect(gain).connect(audio.destination);
    osc.start(t0 + n.start);
    osc.stop(t0 + n.start + n.duration);
  }
  return notes;
}

export function startSequence(vaes: Map<string, SequenceVae>, status: (text: string) => void): void {
  let vae = vaes.get('float') ?? vaes.values().next().value!;
  let rows: Int32Array[] = [];
  let selected = 0;
  $('app').hidden = true;
  $('animate').hidden = true;
  $('seq').hidden = false;
  const melody = () => vae.info.kind === 'melody';

  const select = (i: number) => {
    selected = i;
    Array.from($('seq-samples').children).forEach((li, k) => li.classList.toggle('picked', k === i));
  };
  const sample = () => {
    const seed = Number($<HTMLInputElement>('seed').value);
    const latentTemperature = Number($<HTMLInputElement>('temperature').value);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return status(`seed must be an integer 0..4294967295`);
    const r = vae.sampleSequences(SAMPLE_COUNT, { seed, latentTemperature });
    rows = r.tokens;
    fillList('seq-samples', r.texts, select);
    select(0);
    $('seq-samples').dataset.seed = String(seed);
    $('seq-play').hidden = !melody();
    status(`seed ${seed}: ${SAMPLE_COUNT} ${vae.info.kind} samples, latent size ${vae.info.latentSize} (${vae.info.quantization})`);
  };
  const interpolate = () => {
    const from = $<HTMLInputElement>('seq-from').value, to = $<HTMLInputElement>('seq-to').value;
    try {
      const r = vae.interpolateSequences(from, to, PATH_STEPS);
      fillList('seq-path', r.texts);
      $('seq-path').dataset.pair = `${from}\n${to}`;
    } catch (err) {
      status(`interpolate: ${(err as Error).message}`);
    }
  };
  $('seq-interpolate').hidden = vae.info.encoderLength === undefined;
  $('seq-interpolate').addEventListener('click', interpolate);
  $('seq-play').addEventListener('click', () => {
    try {
      const notes = play(melodyNotes(Array.from(rows[selected] ?? [], (id) => vae.info.tokens[id]!)));
      // What was scheduled (pitch, start s, duration s), for tests and for anyone curious.
      $('seq-play').dataset.notes = JSON.stringify(notes);
    } catch (err) {
      status(`play: ${(err as Error).message}`);
    }
  });
  $('resample').addEventListener('click', sample);
  $('seed').addEventListener('change', sample);
  $('temperature').addEventListener('change', sample);
  $<HTMLSelectElement>('variant').addEventListener('change', (ev) => {
    vae = vaes.get((ev.target as HTMLSelectElement).value) ?? vae;
    sample();
  });
  if (vaes.size > 1) $('variant-label').hidden = false;
  sample();
  // Start with a path between the first two samples (any typed pair works the same).
  const texts = Array.from($('seq-samples').children, (li) => li.textContent ?? '');
  $<HTMLInputElement>('seq-from').value = texts[0] ?? '';
  $<HTMLInputElement>('seq-to').value = texts[1] ?? '';
  if (vae.info.encoderLength !== undefined) interpolate();
}
