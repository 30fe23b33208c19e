// `edgevae kiosk`: the offline page for a model from the bundle the package ships, without a bundler.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { convert } from '../converter/index.js';
import { assembleKiosk, MODEL_OUTPUTS } from '../hosts/kiosk/assemble.js';
import { runKiosk, shippedKioskDir } from '../hosts/node/kiosk-command.js';
import { main } from '../cli/edgevae.js';

const work = mkdtempSync(join(tmpdir(), 'edgevae-kiosk-cmd-'));
const model = join(work, 'm.evae');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  const { bytes } = await convert({ decoder: join(__dirname, 'fixtures', 'conv.decoder.op13.onnx') });
  writeFileSync(model, bytes);
});

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try {
    return { code: await fn(), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('edgevae kiosk', () => {
  it('is a command of the CLI and writes the page, the runtime, the model and a standalone page with all inlined', async () => {
    const out = join(work, 'k1');
    const r = await capture(() => main(['kiosk', '--model', model, '--out', out]));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['index.html', 'app.js', 'edgevae.wasm', 'model.evae', 'kiosk.json', 'standalone.html']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'app.js')).equals(readFileSync(join(shippedKioskDir(), 'app.js')))).toBe(true);
    const page = readFileSync(join(out, 'standalone.html'), 'utf8');
    expect(page).toContain(readFileSync(model).toString('base64'));
    expect(page).not.toContain('src="app.js"');
    expect(r.out).toContain(`standalone    ${join(out, 'standalone.html')}`);
  });

  it('a second run without --model-int8 removes the int8 model of the first; a page-only assemble removes every model file', async () => {
    const out = join(work, 'k2');
    expect(await capture(() => runKiosk(['--model', model, '--model-int8', model, '--out', out])).then((r) => r.code)).toBe(0);
    expect(existsSync(join(out, 'model-int8.evae'))).toBe(true);
    expect(await capture(() => runKiosk(['--model', model, '--out', out])).then((r) => r.code)).toBe(0);
    expect(existsSync(join(out, 'model-int8.evae'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'kiosk.json'), 'utf8'))).toEqual({ models: { float: 'model.evae' } });
    writeFileSync(join(out, 'notes.txt'), 'mine');
    assembleKiosk({ html: readFileSync(join(shippedKioskDir(), 'index.html'), 'utf8'), js: readFileSync(join(shippedKioskDir(), 'app.js')), wasm: new Uint8Array(8) }, out);
    for (const f of MODEL_OUTPUTS) expect(existsSync(join(out, f)), f).toBe(false);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine'); // only its own file names are removed
  });

  it('bad input: one line, exit 2 for usage and 1 for a file that is not a model', async () => {
    const noOut = await capture(() => runKiosk(['--model', model]));
    expect([noOut.code, noOut.err]).toEqual([2, 'edgevae kiosk: --out is required (see "edgevae kiosk --help")\n']);
    writeFileSync(join(work, 'page.evae'), '<!DOCTYPE html><html><body>404</body></html>');
    const bad = await capture(() => runKiosk(['--model', join(work, 'page.evae'), '--out', join(work, 'k3')]));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^edgevae kiosk: --model .*page\.evae is not a valid \.evae model: model file: got text/);
    expect(bad.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(existsSync(join(work, 'k3'))).toBe(false);
    const help = await capture(() => runKiosk(['--help']));
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: edgevae kiosk --model/);
  });
});
