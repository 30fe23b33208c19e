// The kiosk page with sequence models, in headless Chromium from file:// (standalone.html): the shipped text model
// shows the Node runtime's sampled lines and its interpolation between two typed words; a small melody model
// (random weights, built without PyTorch) plays the selected line with WebAudio, and the oscillators the page
// schedules are the notes the tokens say, checked against the MIDI writer of trainer/melody.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertSequence } from '../converter/sequence.js';
import { buildKiosk } from '../hosts/kiosk/build.js';
import { melodyNotes, pitchHz, STEP_SECONDS, type NoteEvent } from '../hosts/kiosk/melody-notes.js';
import { SequenceVae } from '../runtime/sequence.js';
import { buildSeqOnnx } from '../trainer/export-seq-onnx.js';
import { melodyEvent, melodyToMidi } from '../trainer/melody.js';
import { seqInitialWeights, type SeqModelConfig } from '../trainer/seq-model.js';
import { allowOnlyOrigin, collectPageErrors, expectFitsKioskScreen, launchChromium, requireChromium } from './helpers/browser.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORDS = join(ROOT, 'models', 'text', 'words.evae');
const WASM = readFileSync(join(ROOT, 'build', 'edgevae.wasm'));
const HAVE_CHROMIUM = requireChromium('tests/kiosk-sequence.test.ts');
const MELODY_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>', 'off', 'hold', 'on60', 'on62', 'on64', 'on65', 'on67', 'on69', 'on72'];
const MELODY_CONFIG: SeqModelConfig =
  { kind: 'seq', cell: 'lstm', layers: 1, hidden: 16, latent: 4, embed: 6, bidirectional: false, vocabSize: 13, maxTokens: 32 };

/** Notes as the MIDI writer renders the symbols: note-on/off ticks at 480 per quarter, 120 ticks per 16th. */
function notesViaMidi(symbols: string[]): NoteEvent[] {
  const events = symbols.filter((s) => !/^<.*>$/.test(s)).map((s) => melodyEvent(s));
  const track = melodyToMidi(events, { division: 480 }).tracks[0]!;
  const notes: NoteEvent[] = [];
  const open = new Map<number, number>();
  for (const e of track) {
    if (e.kind !== 'channel' || (e.status & 0xf0) !== 0x90) continue;
    const [pitch, velocity] = e.data as number[];
    const seconds = (e.tick / 120) * STEP_SECONDS;
    if (velocity! > 0) open.set(pitch!, seconds);
    else {
      notes.push({ pitch: pitch!, start: open.get(pitch!)!, duration: seconds - open.get(pitch!)! });
      open.delete(pitch!);
    }
  }
  return notes.sort((a, b) => a.start - b.start);
}

describe('melodyNotes (the kiosk player\'s schedule)', () => {
  it('equals the notes of the MIDI the CLI writes, for hand-made and random token rows', () => {
    expect(melodyNotes(['on60', 'hold', 'off', 'hold', 'on64', 'on64', '<unk>', 'hold', 'on67'])).toEqual([
      { pitch: 60, start: 0, duration: 0.25 }, { pitch: 64, start: 0.5, duration: 0.125 },
      { pitch: 64, start: 0.625, duration: 0.25 }, { pitch: 67, start: 0.875, duration: 0.125 },
    ]);
    expect(melodyNotes(['hold', 'off', 'hold'])).toEqual([]);
    expect(() => melodyNotes(['on20'])).toThrow(/unknown symbol 'on20'/);
    let state = 12345;
    const symbols = ['off', 'hold', 'on21', 'on60', 'on108', '<unk>'];
    for (let row = 0; row < 50; row++) {
      const tokens = Array.from({ length: 1 + (row % 32) }, () => {
        state = (state * 1103515245 + 12345) >>> 0;
        return symbols[state % symbols.length]!;
      });
      expect(melodyNotes(tokens)).toEqual(notesViaMidi(tokens));
    }
  });
});

let work: string;
let browser: Browser;

async function openStandalone(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
  const errors = collectPageErrors(page);
  await allowOnlyOrigin(page, null);
  await page.goto(pathToFileURL(path).href);
  await page.waitForFunction(() => document.body.dataset.state !== undefined, null, { timeout: 30_000 });
  return { page, errors };
}

const listItems = (page: Page, id: string) => page.evaluate((listId) =>
  Array.from(document.getElementById(listId)!.children, (li) => li.textContent ?? ''), id);

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  work = mkdtempSync(join(tmpdir(), 'edgevae-kiosk-seq-'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!HAVE_CHROMIUM)('kiosk page with sequence models in headless Chromium', () => {
  it('words.evae: the sampled lines and the interpolation between two typed words are the Node runtime\'s', async () => {
    const kiosk = await buildKiosk({ outDir: join(work, 'text'), model: WORDS });
    const vae = await SequenceVae.load(readFileSync(WORDS), { wasm: WASM, maxBatch: 16 });
    const { page, errors } = await openStandalone(kiosk.standalone!);
    try {
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      expect(errors).toEqual([]);
      const seed = Number(await page.inputValue('#seed'));
      expect(await listItems(page, 'seq-samples')).toEqual(vae.sampleSequences(8, { seed, latentTemperature: 1 }).texts);
      expect(await page.isVisible('#seq-play')).toBe(false);
      expect(await page.isVisible('#grid')).toBe(false);

      await page.fill('#seq-from', 'house');
      await page.fill('#seq-to', 'garden');
      await page.click('#seq-interpolate');
      await page.waitForFunction(() => document.getElementById('seq-path')!.dataset.pair === 'house\ngarden');
      const path = await listItems(page, 'seq-path');
      expect(path).toEqual(vae.interpolateSequences('house', 'garden', 10).texts);
      expect(new Set(path).size, 'the path changes along the way').toBeGreaterThan(1);

      await page.fill('#seed', '99');
      await page.dispatchEvent('#seed', 'change');
      await page.waitForFunction(() => document.getElementById('seq-samples')!.dataset.seed === '99');
      expect(await listItems(page, 'seq-samples')).toEqual(vae.sampleSequences(8, { seed: 99, latentTemperature: 1 }).texts);
      await expectFitsKioskScreen(page, 'kiosk-sequence.png');
    } finally {
      await page.close();
    }
  });

  it('a melody model plays the selected line: one oscillator per note at its pitch and 16th-note start', async () => {
    const g = buildSeqOnnx(MELODY_CONFIG, seqInitialWeights(MELODY_CONFIG, 21));
    const { bytes } = await convertSequence({
      ...g, vocab: { tokens: MELODY_TOKENS, separator: ' ', kind: 'melody', maxTokens: MELODY_CONFIG.maxTokens },
    });
    const modelPath = join(work, 'melody.evae');
    writeFileSync(modelPath, bytes);
    const vae = await SequenceVae.load(bytes, { wasm: WASM, maxBatch: 16 });
    expect(vae.info.kind).toBe('melody');
    // A seed whose third sample has notes of two pitches or more (random weights: many rows repeat one symbol).
    const symbolsOf = (seed: number) => Array.from(vae.sampleSequences(8, { seed, latentTemperature: 1 }).tokens[2]!,
      (id) => MELODY_TOKENS[id]!);
    let seed = 0;
    const pitches = (seed: number) => new Set(melodyNotes(symbolsOf(seed)).map((n) => n.pitch)).size;
    while (seed < 200 && pitches(seed) < 2) seed++;
    const symbols = symbolsOf(seed);
    const expected = notesViaMidi(symbols);
    expect(expected.length).toBeGreaterThanOrEqual(3);

    const kiosk = await buildKiosk({ outDir: join(work, 'melody'), model: modelPath });
    const { page, errors } = await openStandalone(kiosk.standalone!);
    try {
      // Records what the page asks WebAudio for: each oscillator's frequency and start/stop times.
      await page.evaluate(() => {
        const calls: { hz: number; at: number; start?: number; stop?: number }[] = [];
        (window as unknown as { oscCalls: typeof calls }).oscCalls = calls;
        const create = AudioContext.prototype.createOscillator;
        AudioContext.prototype.createOscillator = function (this: AudioContext) {
          const osc = create.call(this);
          const call: (typeof calls)[number] = { hz: 0, at: 0 };
          calls.push(call);
          const set = osc.frequency.setValueAtTime.bind(osc.frequency);
          osc.frequency.setValueAtTime = (v: number, t: number) => { call.hz = v; call.at = t; return set(v, t); };
          const start = osc.start.bind(osc), stop = osc.stop.bind(osc);
          osc.start = (t?: number) => { call.start = t; start(t); };
          osc.stop = (t?: number) => { call.stop = t; stop(t); };
          return osc;
        };
      });
      expect(errors).toEqual([]);
      await page.fill('#seed', String(seed));
      await page.press('#seed', 'Enter'); // commits the value (a later blur fires no second change)
      await page.waitForFunction((s) => document.getElementById('seq-samples')!.dataset.seed === String(s), seed);
      const lines = await listItems(page, 'seq-samples');
      expect(lines[2]).toBe(symbols.filter((s) => s !== '<pad>').join(' '));
      await page.click('#seq-samples li:nth-child(3)');
      expect(await page.getAttribute('#seq-samples li:nth-child(3)', 'class')).toBe('picked');
      await page.click('#seq-play');
      const scheduled = JSON.parse((await page.getAttribute('#seq-play', 'data-notes'))!) as NoteEvent[];
      expect(scheduled).toEqual(expected);
      const calls = await page.evaluate(() => (window as unknown as { oscCalls: { hz: number; at: number; start: number; stop: number }[] })
        .oscCalls);
      expect(calls).toHaveLength(expected.length);
      const t0 = calls[0]!.start - expected[0]!.start;
      calls.forEach((c, i) => {
        const n = expected[i]!;
        expect(c.hz).toBeCloseTo(pitchHz(n.pitch), 9);
        expect(c.start - t0).toBeCloseTo(n.start, 9);
        expect(c.at).toBe(c.start);
        expect(c.stop - c.start).toBeCloseTo(n.duration, 9);
      });
      expect(pitchHz(69)).toBe(440);
    } finally {
      await page.close();
    }
  });
});
