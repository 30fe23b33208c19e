// Standard MIDI File (SMF) reader and writer, formats 0 and 1 with ticks-per-quarter-note timing.
// Events keep absolute tick times; running status is understood on read and used on write.
// A malformed file fails with one line naming the problem and where it is.

/** A channel message (note on/off, controller, program, pitch bend...): status 0x80..0xEF. */
export interface ChannelEvent {
  kind: 'channel';
  tick: number;
  status: number;
  data: number[];
}
/** A meta event (0xFF type ...): tempo 0x51, time signature 0x58, end of track 0x2F, text... */
export interface MetaEvent {
  kind: 'meta';
  tick: number;
  type: number;
  data: Uint8Array;
}
export interface SysexEvent {
  kind: 'sysex';
  tick: number;
  status: 0xf0 | 0xf7;
  data: Uint8Array;
}
export type MidiEvent = ChannelEvent | MetaEvent | SysexEvent;

export interface MidiFile {
  format: 0 | 1;
  /** ticks per quarter note */
  division: number;
  /** events of each track in time order (end-of-track events are implied, not stored) */
  tracks: MidiEvent[][];
}

export const META_END_OF_TRACK = 0x2f;
export const META_TEMPO = 0x51;
export const META_TIME_SIGNATURE = 0x58;
/** 120 beats per minute, the SMF default when a file has no tempo event. */
export const DEFAULT_TEMPO_US = 500_000;

/** Data bytes per channel message, by the status byte's high nibble. */
function channelDataLength(status: number): number {
  const type = status & 0xf0;
  return type === 0xc0 || type === 0xd0 ? 1 : 2;
}

class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, start: number, readonly end: number, readonly where: () => string) {
    this.pos = start;
  }
  fail(what: string): never {
    throw new Error(`${this.where()}: ${what}`);
  }
  u8(): number {
    if (this.pos >= this.end) this.fail(`event at byte ${this.pos} runs past the end of the track chunk`);
    return this.bytes[this.pos++];
  }
  /** Variable-length quantity: 7 bits per byte, high bit = more follows, at most 4 bytes. */
  varint(): number {
    const at = this.pos;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      v = v * 128 + (b & 0x7f);
      if (!(b & 0x80)) return v;
    }
    return this.fail(`variable-length quantity at byte ${at} is longer than 4 bytes`);
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.end) this.fail(`event at byte ${this.pos} declares ${n} data bytes, only ${this.end - this.pos} remain in the track`);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

export function readMidi(bytes: Uint8Array, name = '<buffer>'): MidiFile {
  const fail = (what: string): never => {
    throw new Error(`MIDI ${name}: ${what}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || ascii(bytes, 0) !== 'MThd') fail('bad header: not a Standard MIDI File (no MThd chunk at the start)');
  const headerLength = view.getUint32(4);
  if (headerLength < 6) fail(`bad header: MThd length is ${headerLength}, must be at least 6`);
  if (8 + headerLength > bytes.length) fail(`truncated chunk: MThd declares ${headerLength} bytes, only ${bytes.length - 8} remain`);
  const format = view.getUint16(8);
  const trackCount = view.getUint16(10);
  const division = view.getUint16(12);
  if (format === 2) fail('bad header: format 2 (independent sequences) is not supported, only 0 and 1');
  if (format !== 0 && format !== 1) fail(`bad header: unknown format ${format} (0, 1 or 2)`);
  if (division & 0x8000) fail('bad header: SMPTE time division is not supported (need ticks per quarter note)');
  if (division === 0) fail('bad header: division is 0 ticks per quarter note');
  if (format === 0 && trackCount !== 1) fail(`bad header: format 0 must have exactly 1 track, header says ${trackCount}`);

  const tracks: MidiEvent[][] = [];
  let pos = 8 + headerLength;
  while (pos < bytes.length) {
    if (pos + 8 > bytes.length) fail(`truncated chunk: ${bytes.length - pos} stray bytes at byte ${pos} (a chunk header needs 8)`);
    const type = ascii(bytes, pos);
    const length = view.getUint32(pos + 4);
    const start = pos + 8;
    if (start + length > bytes.length) {
      fail(`truncated chunk: '${type}' at byte ${pos} declares ${length} bytes, only ${bytes.length - start} remain`);
    }
    // Unknown chunk types are skipped, as the SMF specification asks.
    if (type === 'MTrk') tracks.push(readTrack(bytes, start, start + length, `MIDI ${name}: track ${tracks.length}`));
    pos = start + length;
  }
  if (tracks.length !== trackCount) fail(`header declares ${trackCount} tracks, file has ${tracks.length}`);
  return { format: format as 0 | 1, division, tracks };
}

function readTrack(bytes: Uint8Array, start: number, end: number, label: string): MidiEvent[] {
  const r = new Reader(bytes, start, end, () => label);
  const events: MidiEvent[] = [];
  let tick = 0;
  let running = 0; // last channel status byte, 0 = none
  while (r.pos < end) {
    tick += r.varint();
    const at = r.pos;
    let status = r.u8();
    if (status < 0x80) {
      if (!running) r.fail(`running status without a previous status byte at byte ${at}`);
      status = running;
      r.pos -= 1; // the byte read is the first data byte
    }
    if (status < 0xf0) {
      running = status;
      const data: number[] = [];
      for (let i = 0; i < channelDataLength(status); i++) {
        const b = r.u8();
        if (b & 0x80) r.fail(`data byte 0x${b.toString(16)} at byte ${r.pos - 1} has its high bit set (status 0x${status.toString(16)} needs ${channelDataLength(status)} data bytes)`);
        data.push(b);
      }
      events.push({ kind: 'channel', tick, status, data });
    } else if (status === 0xff) {
      running = 0;
      const type = r.u8();
      const data = r.take(r.varint());
      if (type === META_END_OF_TRACK) return events;
      events.push({ kind: 'meta', tick, type, data });
    } else if (status === 0xf0 || status === 0xf7) {
      running = 0;
      events.push({ kind: 'sysex', tick, status, data: r.take(r.varint()) });
    } else {
      r.fail(`status byte 0x${status.toString(16)} at byte ${at} is a real-time/system message, not allowed in a file`);
    }
  }
  // A missing end-of-track event is common in the wild and harmless: the chunk length bounds the track.
  return events;
}

class Writer {
  private chunks: number[] = [];
  u8(v: number) {
    this.chunks.push(v & 0xff);
  }
  u16(v: number) {
    this.u8(v >> 8);
    this.u8(v);
  }
  u32(v: number) {
    this.u16(v >>> 16);
    this.u16(v & 0xffff);
  }
  ascii(s: string) {
    for (const ch of s) this.u8(ch.charCodeAt(0));
  }
  varint(v: number) {
    if (!Number.isInteger(v) || v < 0 || v > 0x0fffffff) throw new Error(`MIDI write: value ${v} does not fit a variable-length quantity`);
    const groups = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) groups.unshift((x & 0x7f) | 0x80);
    for (const g of groups) this.u8(g);
  }
  bytes(b: ArrayLike<number>) {
    for (let i = 0; i < b.length; i++) this.u8(b[i]);
  }
  get length() {
    return this.chunks.length;
  }
  result(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export interface WriteOptions {
  /** omit repeated channel status bytes (default true) */
  runningStatus?: boolean;
}

export function writeMidi(file: MidiFile, opts: WriteOptions = {}): Uint8Array {
  const useRunning = opts.runningStatus ?? true;
  if (file.format !== 0 && file.format !== 1) throw new Error(`MIDI write: format ${String(file.format)} (0 or 1)`);
  if (file.format === 0 && file.tracks.length !== 1) throw new Error(`MIDI write: format 0 needs exactly 1 track, got ${file.tracks.length}`);
  if (!Number.isInteger(file.division) || file.division < 1 || file.division > 0x7fff) throw new Error(`MIDI write: division ${file.division} ticks per quarter (1..32767)`);
  const w = new Writer();
  w.ascii('MThd');
  w.u32(6);
  w.u16(file.format);
  w.u16(file.tracks.length);
  w.u16(file.division);
  file.tracks.forEach((events, t) => {
    const body = new Writer();
    let last = 0;
    let running = 0;
    for (const e of events) {
      if (!Number.isInteger(e.tick) || e.tick < last) throw new Error(`MIDI write: track ${t} events are not in time order (tick ${e.tick} after ${last})`);
      body.varint(e.tick - last);
      last = e.tick;
      if (e.kind === 'channel') {
        if (e.status < 0x80 || e.status > 0xef) throw new Error(`MIDI write: channel status 0x${e.status.toString(16)} outside 0x80..0xef`);
        if (e.data.length !== channelDataLength(e.status) || e.data.some((b) => !Number.isInteger(b) || b < 0 || b > 127)) {
          throw new Error(`MIDI write: status 0x${e.status.toString(16)} needs ${channelDataLength(e.status)} data bytes in 0..127, got [${e.data}]`);
        }
        if (!(useRunning && e.status === running)) body.u8(e.status);
        running = e.status;
        body.bytes(e.data);
      } else if (e.kind === 'meta') {
        running = 0;
        body.u8(0xff);
        body.u8(e.type);
        body.varint(e.data.length);
        body.bytes(e.data);
      } else {
        running = 0;
        body.u8(e.status);
        body.varint(e.data.length);
        body.bytes(e.data);
      }
    }
    body.bytes([0, 0xff, META_END_OF_TRACK, 0]);
    w.ascii('MTrk');
    w.u32(body.length);
    w.bytes(body.result());
  });
  return w.result();
}

/** Microseconds per quarter note of a tempo meta event. */
export function tempoOf(e: MetaEvent): number {
  if (e.type !== META_TEMPO || e.data.length !== 3) throw new Error('MIDI: a tempo event has 3 data bytes');
  return (e.data[0] << 16) | (e.data[1] << 8) | e.data[2];
}

export function tempoEvent(tick: number, microsPerQuarter: number): MetaEvent {
  if (!Number.isInteger(microsPerQuarter) || microsPerQuarter < 1 || microsPerQuarter > 0xffffff) {
    throw new Error(`MIDI: tempo ${microsPerQuarter} us per quarter note is outside 1..16777215`);
  }
  return { kind: 'meta', tick, type: META_TEMPO, data: Uint8Array.of(microsPerQuarter >> 16, (microsPerQuarter >> 8) & 0xff, microsPerQuarter & 0xff) };
}

/** Time signature numerator/denominator (4/4 = numerator 4, denominator 4). */
export function timeSignatureEvent(tick: number, numerator: number, denominator: number): MetaEvent {
  const power = Math.log2(denominator);
  if (!Number.isInteger(power) || power < 0 || numerator < 1 || numerator > 255) throw new Error(`MIDI: bad time signature ${numerator}/${denominator}`);
  return { kind: 'meta', tick, type: META_TIME_SIGNATURE, data: Uint8Array.of(numerator, power, 24, 8) };
}
