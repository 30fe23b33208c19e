// A wrong model URL gives a web server's HTML page; the loader says it got text, not a magic-number puzzle.
import { describe, expect, it } from 'vitest';
import { readModel } from '../runtime/format.js';
import { textPreview } from '../runtime/text-instead-of-model.js';

const page = new TextEncoder().encode('<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>missing</body></html>\n');

describe('text where a model should be', () => {
  it('an HTML 404 page: one line saying it is text, with its start, and pointing at the URL', () => {
    expect(() => readModel(page)).toThrow('model file: got text, not an .evae model (it starts "<!DOCTYPE html> <html><head><title>404 N"); if it was fetched, check the URL');
  });

  it('short text (a plain "Not Found" body) and JSON are text too; binary files are not', () => {
    expect(textPreview(new TextEncoder().encode('Not Found'))).toBe('Not Found');
    expect(() => readModel(new TextEncoder().encode('{"error":"no such object in this bucket"}'))).toThrow(/got text.*starts "\{"error"/);
    expect(textPreview(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82))).toBeUndefined();
    expect(textPreview(new Uint8Array(0))).toBeUndefined();
    // EVAE magic then a binary version word: not text, so a real model's checks run as before.
    expect(textPreview(Uint8Array.of(0x45, 0x56, 0x41, 0x45, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))).toBeUndefined();
  });
});
