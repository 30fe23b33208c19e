// Sequence data: vocabularies, the deterministic 10 % held-out split, the text sources and MIDI folders.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOLD, melodyToMidi, OFF } from '../trainer/melody.js';
import { writeMidi } from '../trainer/midi.js';
import { fortuneSentences, loadSequenceDataset, sequenceAt, type SequenceDataset } from '../trainer/sequence-data.js';
import { BOS, EOS, PAD, UNK, Vocabulary } from '../trainer/vocab.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'edgevae-seqdata-'));

function rows(d: SequenceDataset, which: 'train' | 'test'): string[] {
  const set = d[which];
  return Array.from({ length: set.count }, (_, i) => d.vocab.decode(sequenceAt(set, d.maxTokens, i)).join(d.separator));
}

describe('vocabulary', () => {
  it('specials first, symbols sorted, EOS appended, unknowns are UNK', () => {
    const v = Vocabulary.fromSequences([['b', 'a'], ['c', 'a']]);
    expect(v.tokens).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'b', 'c']);
    expect([PAD, BOS, EOS, UNK]).toEqual([0, 1, 2, 3]);
    expect(v.encode(['c', 'a', 'z'])).toEqual([6, 4, UNK, EOS]);
    expect(v.decode([BOS, 6, 4, UNK, EOS, 5])).toEqual(['c', 'a', '?']);
    expect(() => v.decode([99])).toThrow(/token id 99 is outside 0\.\.6/);
    expect(() => new Vocabulary(['x', 'x'])).toThrow(/appears twice/);
  });
});

describe('text sources', () => {
  it('lines:FILE: dedupes, caps length, splits 10 % deterministically, vocabulary from the training split', () => {
    const dir = tmp();
    const file = join(dir, 'l.txt');
    const lines = Array.from({ length: 200 }, (_, i) => `w${i.toString(36)}x`);
    lines.push('w1x', 'this line is far too long for the cap', 'ünïcödé\r');
    writeFileSync(file, lines.join('\n') + '\n\n');
    const d = loadSequenceDataset(`lines:${file}`, { maxLength: 10 });
    expect(d.kind).toBe('text');
    expect(d.maxTokens).toBe(11);
    expect(d.dropped).toBe(1);
    expect(d.train.count + d.test.count).toBe(201);
    expect(d.test.count).toBe(20);
    const train = rows(d, 'train');
    const test = rows(d, 'test');
    expect(new Set([...train, ...test]).size).toBe(201);
    // Padding: every row is symbols, EOS, then PAD.
    const row = sequenceAt(d.train, d.maxTokens, 0);
    const eos = row.indexOf(EOS);
    expect(eos).toBeGreaterThan(0);
    expect(Array.from(row.subarray(eos + 1)).every((t) => t === PAD)).toBe(true);
    // Same file, same split and ids.
    const again = loadSequenceDataset(`lines:${file}`, { maxLength: 10 });
    expect(rows(again, 'test')).toEqual(test);
    expect(again.vocab.tokens).toEqual(d.vocab.tokens);
    // Characters only in held-out lines are not in the vocabulary.
    const trainChars = new Set(train.join(''));
    for (const t of d.vocab.symbols) expect(trainChars.has(t)).toBe(true);
    const limited = loadSequenceDataset(`lines:${file}`, { maxLength: 10, limitTrain: 5, limitTest: 3 });
    expect([limited.train.count, limited.test.count]).toEqual([5, 3]);
  });

  it('bad text inputs give one-line errors', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Uint8Array.of(0x61, 0xff, 0x0a, 0x62));
    expect(() => loadSequenceDataset(`lines:${bad}`)).toThrow(/lines: .*bad\.txt is not valid UTF-8/);
    expect(() => loadSequenceDataset(`lines:${join(dir, 'missing.txt')}`)).toThrow(/cannot read .*missing\.txt \(ENOENT\)/);
    const one = join(dir, 'one.txt');
    writeFileSync(one, 'only\n');
    expect(() => loadSequenceDataset(`lines:${one}`)).toThrow(/need at least 2 sequences/);
    expect(() => loadSequenceDataset('novels')).toThrow(/unknown source \(use words, fortunes, lines:FILE or midi:FOLDER\)/);
    expect(() => loadSequenceDataset(`midi:${dir}`)).toThrow(/no \.mid or \.midi files/);
  });

  it('fortunes: entries split into sentences, overstriking and attributions removed', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'cookies'), 'You will be _\bh_\ba_\bp_\bp_\by.  Or maybe not!\n%\nA long\nline.\n\t-- Someone\n%\nshort.\n');
    writeFileSync(join(dir, 'cookies.dat'), 'binary index, ignored');
    expect(fortuneSentences(dir)).toEqual(['You will be happy.', 'Or maybe not!', 'A long line.']);
  });

  it('words: the Debian word list (wamerican), possessives left out', () => {
    const d = loadSequenceDataset('words');
    expect(d.train.count + d.test.count).toBeGreaterThan(50_000);
    expect(Math.round((d.test.count / (d.train.count + d.test.count)) * 100)).toBe(10);
    expect(rows(d, 'test').slice(0, 200).some((w) => w.endsWith("'s"))).toBe(false);
    expect(d.vocab.symbols).toContain('a');
  });

  it('fortunes: the Debian fortunes-min files give sentences', () => {
    const d = loadSequenceDataset('fortunes');
    expect(d.train.count).toBeGreaterThan(500);
    expect(d.maxTokens).toBe(65);
  });
});

describe('midi:FOLDER', () => {
  it('windows of every file become 90-symbol melody sequences', () => {
    const dir = tmp();
    const H = HOLD;
    for (let f = 0; f < 4; f++) {
      const melody: number[] = [];
      for (let bar = 0; bar < 4; bar++) for (let q = 0; q < 4; q++) melody.push(50 + 7 * f + bar + q, H, H, q % 2 ? OFF : H);
      writeFileSync(join(dir, `song${f}.mid`), writeMidi(melodyToMidi(melody)));
    }
    writeFileSync(join(dir, 'notes.txt'), 'not midi');
    const d = loadSequenceDataset(`midi:${dir}`);
    expect(d.kind).toBe('melody');
    expect(d.vocab.size).toBe(94);
    expect(d.maxTokens).toBe(33);
    // 4 files x 4 windows (the last one padded), all distinct.
    expect(d.train.count + d.test.count).toBe(16);
    const first = rows(d, 'train')[0].split(' ');
    expect(first).toHaveLength(32);
    expect(first[0]).toMatch(/^on\d+$/);
    writeFileSync(join(dir, 'broken.mid'), Uint8Array.of(0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0));
    expect(() => loadSequenceDataset(`midi:${dir}`)).toThrow(/MIDI .*broken\.mid: truncated chunk/);
  });
});
