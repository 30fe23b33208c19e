// `edgevae train` killed with SIGKILL at seeded random moments, then resumed with --resume, repeatedly:
// the checkpoint on disk always decodes, never goes back, loses at most the epoch in progress, and the
// final weights equal those of an uninterrupted run (resumption is exact). Also: truncated/malformed
// training data fails with the file named (and the byte offset, for IDX).
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decodeCheckpoint } from '../trainer/checkpoint.js';
import { CHECKPOINT_FILE } from '../trainer/cli.js';
import type { CheckpointMeta } from '../trainer/train.js';
import { loadDataset } from '../data/datasets.js';
import { decodePng } from '../data/png-decode.js';
import { encodePng } from '../runtime/png.js';
import { Rng } from '../fuzz/rng.js';
import { seededIdxDir } from './helpers/train-run.js';

const ROOT = resolve(import.meta.dirname, '..');
const EPOCHS = 16;
const SIDE = 16;
const IMAGES = 256;

// Synthetic IDX images (blobs at seeded positions): small enough that an epoch takes a fraction of a second.
const { dir, data } = seededIdxDir('edgevae-resume-kill-', 'blobs.idx', IMAGES, SIDE, 11, (pixels, rng) => {
  const cx = 3 + rng.int(SIDE - 6), cy = 3 + rng.int(SIDE - 6), r = 2 + rng.int(4);
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    const d = Math.hypot(x - cx, y - cy);
    pixels[y * SIDE + x] = d < r ? 255 : d < r + 1.5 ? 128 : 0;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number | null; signal: NodeJS.Signals | null; stderr: string; epochsPrinted: number; epochTimes: number[] }

/** Runs `edgevae train` as a child; kills it with SIGKILL when `killAt` (given the stderr so far) says so. */
function train(out: string, extra: string[], killAt?: (elapsedMs: number, stderr: string) => boolean): Promise<Run> {
  const args = ['--import', 'tsx', 'trainer/main.ts', '--data', data, '--model', 'mlp', '--widths', '24', '--latent', '3',
    '--epochs', String(EPOCHS), '--batch', '16', '--backend', 'cpu', '--seed', '5', '--out', out, '--no-export', '--no-report', ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const started = performance.now();
  const epochTimes: number[] = [];
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const lines = (stderr.match(/^epoch \d+\/\d+ train/gm) ?? []).length;
    while (epochTimes.length < lines) epochTimes.push(performance.now() - started);
  });
  const timer = killAt ? setInterval(() => { if (killAt(performance.now() - started, stderr)) child.kill('SIGKILL'); }, 10) : undefined;
  return new Promise((resolvePromise) => {
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolvePromise({ code, signal, stderr, epochsPrinted: (stderr.match(/^epoch \d+\/\d+ train/gm) ?? []).length, epochTimes });
    });
  });
}

function readCheckpoint(out: string): { meta: CheckpointMeta; tensors: Map<string, Float32Array> } | undefined {
  const path = join(out, CHECKPOINT_FILE);
  if (!existsSync(path)) return undefined;
  return decodeCheckpoint<CheckpointMeta>(readFileSync(path), path);
}

describe('training killed at random moments', () => {
  it('resumes from an intact checkpoint every time and ends with the uninterrupted weights', async () => {
    const reference = join(dir, 'reference');
    const ref = await train(reference, []);
    expect(ref.code, ref.stderr).toBe(0);
    const refCk = readCheckpoint(reference)!;
    expect(refCk.meta.epoch).toBe(EPOCHS);
    // Kill times scale with this machine's speed: startup = time to the first epoch line, then per epoch.
    const startup = ref.epochTimes[0]!;
    const perEpoch = (ref.epochTimes[EPOCHS - 1]! - startup) / (EPOCHS - 1);

    const out = join(dir, 'killed');
    const rng = new Rng(20261126);
    let done = 0; // epochs the checkpoint on disk holds
    let kills = 0;
    for (let round = 0; round < 8; round++) {
      // Half the kills at a random time after start (often during startup or a checkpoint write),
      // half a random delay after the next epoch line.
      const afterStart = rng.chance(0.5);
      const delay = afterStart ? startup * 0.6 + rng.float() * perEpoch * EPOCHS * 0.5 : rng.float() * perEpoch * 1.5;
      let seenAt = -1;
      const r = await train(out, existsSync(join(out, CHECKPOINT_FILE)) ? ['--resume'] : [], (ms, stderr) => {
        if (afterStart) return ms > delay;
        if (seenAt < 0 && /^epoch \d+\/\d+ train/m.test(stderr)) seenAt = ms;
        return seenAt >= 0 && ms > seenAt + delay;
      });
      const ck = readCheckpoint(out); // throws if a kill left a corrupt checkpoint
      const onDisk = ck?.meta.epoch ?? 0;
      expect(onDisk, `round ${round}: the checkpoint went back`).toBeGreaterThanOrEqual(done);
      // Every epoch line is printed after its checkpoint was written: only the epoch in progress is lost.
      expect(onDisk, `round ${round}: printed epochs missing from the checkpoint`).toBeGreaterThanOrEqual(done + r.epochsPrinted);
      expect(ck?.meta.batchInEpoch ?? 0).toBe(0);
      done = onDisk;
      if (r.signal === 'SIGKILL') kills++;
      else {
        expect(r.code, r.stderr).toBe(0);
        break;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    if (done < EPOCHS) {
      const last = await train(out, ['--resume']);
      expect(last.code, last.stderr).toBe(0);
    }
    const final = readCheckpoint(out)!;
    expect(final.meta.epoch).toBe(EPOCHS);
    expect(final.meta.history.map((h) => h.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    // Exact resumption: bit-identical weights and Adam moments.
    expect([...final.tensors.keys()]).toEqual([...refCk.tensors.keys()]);
    for (const [name, values] of refCk.tensors) expect(Array.from(final.tensors.get(name)!), name).toEqual(Array.from(values));
    const leftovers = readdirSync(out).filter((f) => f.endsWith('.tmp'));
    console.log(`resume-kill: ${kills} kills; temp files left by kills mid-write: ${leftovers.length}`);
  }, 120_000);
});

describe('malformed training data names the file (and the byte offset)', () => {
  it('truncated and malformed IDX files', () => {
    const good = readFileSync(data);
    const cut = join(dir, 'cut.idx');
    writeFileSync(cut, good.subarray(0, 16 + 100));
    expect(() => loadDataset(cut)).toThrow(new RegExp(`IDX file ${cut}: truncated data: dims \\[256, 16, 16\\] need 65552 bytes, file has 116 \\(byte offset 116\\)`));
    const header = join(dir, 'header.idx');
    writeFileSync(header, good.subarray(0, 10));
    expect(() => loadDataset(header)).toThrow(/header\.idx: truncated header: 10 bytes, need 16 for 3 dims \(byte offset 10\)/);
    const rank2 = Uint8Array.from(good.subarray(0, 12));
    rank2[3] = 2;
    new DataView(rank2.buffer).setUint32(4, 2, false);
    new DataView(rank2.buffer).setUint32(8, 2, false);
    const r2 = join(dir, 'rank2.idx');
    writeFileSync(r2, Uint8Array.from([...rank2, 1, 2, 3, 4]));
    expect(() => loadDataset(r2)).toThrow(/rank2\.idx: images need rank 3/);
    const gz = join(dir, 'bad.idx.gz');
    writeFileSync(gz, Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    expect(() => loadDataset(gz)).toThrow(/bad\.idx\.gz: corrupt gzip stream/);
  });

  it('a PNG whose image data inflates far past its header size is refused without inflating it all', () => {
    // 8x8 gray needs 9 * 8 = 72 bytes of scanlines; this IDAT inflates to 64 MiB (a decompression bomb).
    const good = encodePng({ width: 8, height: 8, channels: 1, data: new Uint8Array(64) } as Parameters<typeof encodePng>[0]);
    const bomb = withIdat(good, deflateSync(new Uint8Array(64 << 20), { level: 9 }));
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodePng(bomb, 'bomb.png')).toThrow(/PNG bomb\.png: image data inflates to more than the 72 bytes a 8x8 image needs/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
    const png = join(dir, 'pngs');
    rmSync(png, { recursive: true, force: true });
    // A folder of PNGs: the message names the broken file.
    mkdirSync(png);
    writeFileSync(join(png, 'a.png'), good);
    writeFileSync(join(png, 'b.png'), good.subarray(0, good.length - 20));
    expect(() => loadDataset(png)).toThrow(/PNG .*b\.png: (truncated chunk|missing IDAT|CRC mismatch)/);
  });
});

/** Replaces the IDAT chunks of a PNG with one chunk holding `idat` (CRC recomputed by re-encoding the chunk). */
function withIdat(png: Uint8Array, idat: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [png.subarray(0, 8)];
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let pos = 8;
  while (pos < png.length) {
    const len = v.getUint32(pos, false);
    const type = new TextDecoder().decode(png.subarray(pos + 4, pos + 8));
    if (type === 'IDAT') chunks.push(chunk('IDAT', idat));
    else chunks.push(png.subarray(pos, pos + 12 + len));
    pos += 12 + len;
  }
  return Buffer.concat(chunks);
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, body.length, false);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  v.setUint32(8 + body.length, crc32Of(out.subarray(4, 8 + body.length)), false);
  return out;
}

function crc32Of(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
