// Standard MIDI File reader/writer and melody extraction: round trips of files written here, and
// malformed files fail with one line naming the problem.
import { describe, expect, it } from 'vitest';
import {
  extractMelody, HOLD, melodyToMidi, melodyWindows, MELODY_SYMBOLS, OFF, stepsPerBar, firstTempo, type Melody,
} from '../trainer/melody.js';
import { readMidi, tempoEvent, timeSignatureEvent, writeMidi, type MidiEvent, type MidiFile } from '../trainer/midi.js';

const H = HOLD;
const X = OFF;
// Two bars: C D E held, rest, G (held over a bar line), F# ended by the window end.
const TUNE: Melody = [60, H, 62, H, 64, H, H, H, X, H, H, H, 67, H, H, H, H, H, 66, H, X, H, H, H, 72, 71, 69, H, X, H, H, H];

function note(tick: number, channel: number, pitch: number, on: boolean, velocity = 90): MidiEvent {
  return { kind: 'channel', tick, status: (on ? 0x90 : 0x80) | channel, data: [pitch, on ? velocity : 0] };
}

/** A hand-built byte file (format 0, 96 ticks per quarter) using running status and note-on velocity 0 as note-off. */
function handBytes(trackBody: number[], header: { format?: number; tracks?: number; division?: number } = {}): Uint8Array {
  const { format = 0, tracks = 1, division = 96 } = header;
  const len = trackBody.length;
  return Uint8Array.from([
    0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, format, 0, tracks, division >> 8, division & 0xff,
    0x4d, 0x54, 0x72, 0x6b, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, ...trackBody,
  ]);
}

describe('MIDI files', () => {
  it('format 0: melody -> file -> bytes -> file -> melody is the identity, with and without running status', () => {
    for (const runningStatus of [true, false]) {
      const bytes = writeMidi(melodyToMidi(TUNE, { tempo: 400_000 }), { runningStatus });
      const back = readMidi(bytes, 'tune.mid');
      expect(back.format).toBe(0);
      expect(firstTempo(back)).toBe(400_000);
      // Extraction ends at the last off-event; the trailing holds are silence either way.
      expect(extractMelody(back)).toEqual(TUNE.slice(0, 29));
      // Byte-level round trip: reading and writing again gives the same bytes.
      expect(writeMidi(back, { runningStatus })).toEqual(bytes);
    }
    const withRunning = writeMidi(melodyToMidi(TUNE), { runningStatus: true });
    const without = writeMidi(melodyToMidi(TUNE), { runningStatus: false });
    expect(withRunning.length).toBeLessThan(without.length);
  });

  it('format 1: tempo track, a drum track and a chord under the melody give the melody back', () => {
    const stepTicks = 120; // division 480
    const melodyTrack = melodyToMidi(TUNE).tracks[0].filter((e) => e.kind === 'channel').map((e) => ({ ...e, status: (e as { status: number }).status | 2 })) as MidiEvent[];
    // A sustained lower chord on channel 1 starting with the melody's notes (the highest note wins
    // on the same step) and drums on channel 9 every quarter (ignored).
    const chord: MidiEvent[] = [note(0, 1, 48, true), note(0, 1, 55, true), note(32 * stepTicks, 1, 48, false), note(32 * stepTicks, 1, 55, false)];
    const drums: MidiEvent[] = [];
    for (let q = 0; q < 8; q++) drums.push(note(q * 480, 9, 36, true), note(q * 480 + 60, 9, 36, false));
    const file: MidiFile = {
      format: 1,
      division: 480,
      tracks: [[tempoEvent(0, 600_000), timeSignatureEvent(0, 4, 4), { kind: 'meta', tick: 0, type: 0x03, data: new TextEncoder().encode('conductor') }], melodyTrack, chord, drums],
    };
    const back = readMidi(writeMidi(file), 'multi.mid');
    expect(back.format).toBe(1);
    expect(back.tracks).toHaveLength(4);
    expect(firstTempo(back)).toBe(600_000);
    expect(new TextDecoder().decode((back.tracks[0][2] as { data: Uint8Array }).data)).toBe('conductor');
    expect(extractMelody(back)).toEqual(TUNE.slice(0, 29));
  });

  it('quantizes off-grid timing to 16ths and reduces overlaps to the latest onset', () => {
    // division 96: a 16th is 24 ticks. Onsets slightly early/late; the second note starts while the first sounds.
    const ev: MidiEvent[] = [note(2, 0, 60, true), note(50, 0, 64, true), note(70, 0, 60, false), note(95, 0, 64, false)];
    const m = extractMelody({ format: 0, division: 96, tracks: [ev] });
    expect(m).toEqual([60, H, 64, H, X]);
  });

  it('reads running status and note-on velocity 0 written by hand', () => {
    // delta 0: note on 60; delta 24: (running) 60 vel 0; delta 0: (running) 62 vel 100; delta 48: (running) 62 vel 0; end of track.
    const bytes = handBytes([0, 0x90, 60, 100, 24, 60, 0, 0, 62, 100, 48, 62, 0, 0, 0xff, 0x2f, 0]);
    const f = readMidi(bytes, 'hand.mid');
    expect(f.tracks[0]).toHaveLength(4);
    expect(f.tracks[0].every((e) => e.kind === 'channel' && e.status === 0x90)).toBe(true);
    expect(extractMelody(f)).toEqual([60, 62, H, X]);
  });

  it('2-bar windows: one per bar start, a window starting inside a held note begins with its on-event', () => {
    const long: Melody = [...TUNE, 55, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, X];
    const w = melodyWindows(long, 16);
    expect(w[0]).toEqual(TUNE);
    expect(w.every((x) => x.length === 32)).toBe(true);
    // Window 1 starts inside the 67 held over the bar line.
    expect(w[1].slice(0, 16)).toEqual([67, ...TUNE.slice(17)]);
    // Window 2 starts at step 32 on the 55 on-event and is padded with holds (silence after the off).
    expect(w).toHaveLength(3);
    expect(w[2]).toEqual([55, ...long.slice(33), ...new Array(32 - (long.length - 32)).fill(H)]);
    expect(MELODY_SYMBOLS).toHaveLength(90);
    expect(stepsPerBar({ format: 0, division: 96, tracks: [[timeSignatureEvent(0, 3, 4)]] })).toBe(12);
  });

  describe('malformed files fail with a clear message', () => {
    const good = writeMidi(melodyToMidi(TUNE));
    const cases: [string, Uint8Array, RegExp][] = [
      ['not MIDI', new TextEncoder().encode('RIFF....WAVEfmt '), /bad header: not a Standard MIDI File/],
      ['empty', new Uint8Array(0), /bad header/],
      ['short header length', (() => { const b = good.slice(); b[7] = 4; return b; })(), /bad header: MThd length is 4/],
      ['format 2', (() => { const b = good.slice(); b[9] = 2; return b; })(), /format 2 .* not supported/],
      ['format 7', (() => { const b = good.slice(); b[9] = 7; return b; })(), /unknown format 7/],
      ['SMPTE division', (() => { const b = good.slice(); b[12] = 0xe7; return b; })(), /SMPTE/],
      ['zero division', (() => { const b = good.slice(); b[12] = 0; b[13] = 0; return b; })(), /division is 0/],
      ['track count', (() => { const b = good.slice(); b[11] = 2; return b; })(), /format 0 must have exactly 1 track/],
      ['truncated chunk', good.slice(0, good.length - 5), /truncated chunk: 'MTrk' at byte 14 declares \d+ bytes, only \d+ remain/],
      ['stray bytes', Uint8Array.from([...good, 1, 2, 3]), /truncated chunk: 3 stray bytes/],
      ['running status first', handBytes([0, 60, 100, 0, 0xff, 0x2f, 0]), /track 0: running status without a previous status byte at byte 23/],
      ['running status after meta', handBytes([0, 0x90, 60, 100, 0, 0xff, 0x01, 1, 65, 0, 60, 0]), /running status without a previous status byte/],
      ['event past chunk end', handBytes([0, 0x90, 60]), /track 0: event at byte 25 runs past the end of the track chunk/],
      ['meta length past end', handBytes([0, 0xff, 0x01, 20, 65]), /declares 20 data bytes, only 1 remain/],
      ['long varint', handBytes([0x81, 0x81, 0x81, 0x81, 0x01, 0x90, 60, 1]), /variable-length quantity at byte 22 is longer than 4 bytes/],
      ['data byte with high bit', handBytes([0, 0x90, 60, 0x90, 0, 0xff, 0x2f, 0]), /data byte 0x90 .* high bit set/],
      ['system message', handBytes([0, 0xf8, 0, 0xff, 0x2f, 0]), /0xf8 .* not allowed in a file/],
    ];
    for (const [name, bytes, message] of cases) {
      it(name, () => {
        let err: Error | undefined;
        try {
          readMidi(bytes, 'bad.mid');
        } catch (e) {
          err = e as Error;
        }
        expect(err, `${name} was accepted`).toBeDefined();
        expect(err!.message).toMatch(/^MIDI bad\.mid: /);
        expect(err!.message).toMatch(message);
        expect(err!.message).not.toContain('\n');
      });
    }
  });

  it('the writer refuses events out of time order and bad data bytes', () => {
    const bad: MidiFile = { format: 0, division: 96, tracks: [[note(10, 0, 60, true), note(5, 0, 60, false)]] };
    expect(() => writeMidi(bad)).toThrow(/not in time order/);
    expect(() => writeMidi({ format: 0, division: 96, tracks: [[{ kind: 'channel', tick: 0, status: 0x90, data: [200, 1] }]] })).toThrow(/data bytes in 0\.\.127/);
  });
});
