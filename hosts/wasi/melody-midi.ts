// Melody tokens to a Standard MIDI File, byte for byte what the Node CLI writes (trainer/melody.ts melodyToMidi, then
// trainer/midi.ts writeMidi with running status): format 0, 480 ticks per quarter, 120 quarter notes a minute, 4/4,
// one 16th-note step per event, a note-on of velocity 0 ends a note.

export const HOLD = -2;
export const OFF = -1;
/** melodyEvent's answer for a symbol that is no melody event. */
export const UNKNOWN = -3;
const DIVISION = 480;
const STEP_TICKS = DIVISION / 4;
const VELOCITY: u8 = 80;
const TEMPO_US = 500000;
const MAX_VARINT: u64 = 0x0fffffff;

/** The event of a symbol: a pitch 21..108 for on<P>, OFF, HOLD, or UNKNOWN (as /^on(\d+)$/ and Number() read it). */
export function melodyEvent(symbol: string): i32 {
  if (symbol == "hold") return HOLD;
  if (symbol == "off") return OFF;
  if (symbol.length < 3 || !symbol.startsWith("on")) return UNKNOWN;
  let p = 0;
  for (let i = 2; i < symbol.length; i++) {
    const c = symbol.charCodeAt(i);
    if (c < 48 || c > 57) return UNKNOWN;
    p = min(p * 10 + (c - 48), 1000); // leading zeros count for nothing, large numbers stay out of range
  }
  return p >= 21 && p <= 108 ? p : UNKNOWN;
}

class ByteWriter {
  bytes: u8[] = [];
  u8(v: i32): void { this.bytes.push(<u8>v); }
  u16(v: i32): void { this.u8(v >> 8); this.u8(v); }
  u32(v: i32): void { this.u16(v >>> 16); this.u16(v & 0xffff); }
  ascii(s: string): void { for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i)); }
  varint(v: u64): void {
    const groups: u8[] = [<u8>(v & 0x7f)];
    for (let x = v >> 7; x > 0; x >>= 7) groups.unshift(<u8>((x & 0x7f) | 0x80));
    for (let i = 0; i < groups.length; i++) this.u8(groups[i]);
  }
}

/** The note events of the track body, with running status (every event is a note-on on channel 0). */
class NoteTrack {
  body: ByteWriter = new ByteWriter();
  last: u64 = 0;
  running: bool = false; // after the meta events, the first note event writes its status byte
  tooLong: bool = false;

  note(tick: u64, pitch: i32, velocity: u8): void {
    if (tick - this.last > MAX_VARINT) this.tooLong = true;
    this.body.varint(tick - this.last);
    this.last = tick;
    if (!this.running) this.body.u8(0x90);
    this.running = true;
    this.body.u8(pitch);
    this.body.u8(velocity);
  }
}

/** The file for `events` (pitches, OFF, HOLD), or null when a gap between two events is too long for MIDI. */
export function melodyMidi(events: i32[]): Uint8Array | null {
  const t = new NoteTrack();
  const body = t.body;
  body.u8(0); body.u8(0xff); body.u8(0x51); body.u8(3); body.u8(TEMPO_US >> 16); body.u8((TEMPO_US >> 8) & 0xff); body.u8(TEMPO_US & 0xff);
  body.u8(0); body.u8(0xff); body.u8(0x58); body.u8(4); body.u8(4); body.u8(2); body.u8(24); body.u8(8);
  let current = -1;
  for (let s = 0; s < events.length; s++) {
    const tick = <u64>s * STEP_TICKS, e = events[s];
    if (e == HOLD) continue;
    if (current >= 0) t.note(tick, current, 0);
    current = -1;
    if (e >= 0) { t.note(tick, e, VELOCITY); current = e; }
  }
  if (current >= 0) t.note(<u64>events.length * STEP_TICKS, current, 0);
  if (t.tooLong) return null;
  body.u8(0); body.u8(0xff); body.u8(0x2f); body.u8(0);
  const w = new ByteWriter();
  w.ascii("MThd"); w.u32(6); w.u16(0); w.u16(1); w.u16(DIVISION);
  w.ascii("MTrk"); w.u32(body.bytes.length);
  const out = new Uint8Array(w.bytes.length + body.bytes.length);
  for (let i = 0; i < w.bytes.length; i++) out[i] = w.bytes[i];
  for (let i = 0; i < body.bytes.length; i++) out[w.bytes.length + i] = body.bytes[i];
  return out;
}
