// `edgevae serve` under load (bench/serve-load.ts, short form): many concurrent connections of mixed kinds
// against the real CLI; valid requests keep being answered, hostile ones get their 4xx or are cut off, no file
// outside the allow-list comes back, descriptors return to where they started, and excess connections are shed
// with a log line. The full 10-minute run's figures are in README (same module, default options).
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatResult, kindOf, prepare, runLoad, startServer } from '../bench/serve-load.js';

describe('edgevae serve under load', () => {
  it('1,000 mixed connections for 20 s: every valid request answered, nothing leaked, descriptors back to start', async () => {
    const r = await runLoad({ connections: 1000, seconds: 20, log: () => undefined });
    console.log(formatResult(r));
    expect(r.validRequests).toBeGreaterThan(1000);
    expect(r.validFailures).toBe(0);
    expect(r.retries).toBeLessThan(r.validRequests * 0.01);
    expect(r.leaks).toBe(0);
    for (const [kind, v] of Object.entries(r.hostile)) {
      expect(v.sent, kind).toBeGreaterThan(0);
      expect(v.handled, kind).toBe(v.sent);
    }
    // The stated p99 (README) is for this machine; here only a bound a healthy server never comes near.
    expect(r.p99Ms).toBeLessThan(10_000);
    expect(r.server.fdsPeak).toBeGreaterThan(r.server.fdsStart + 100); // the load really reached the server
    expect(r.server.fdsEnd).toBeLessThanOrEqual(r.server.fdsStart + 4);
    expect(r.serverStderr).not.toMatch(/shedding/); // 1,000 is under the default cap
  }, 120_000);

  it('slot kinds: three in four are valid clients, every hostile kind is present', () => {
    const kinds = Array.from({ length: 20 }, (_, i) => kindOf(i));
    expect(kinds.filter((k) => k === 'valid')).toHaveLength(15);
    expect(new Set(kinds)).toEqual(new Set(['valid', 'slow', 'abort', 'oversized', 'malformed', 'traversal']));
  });

  it('past --max-connections it sheds load: excess sockets are closed at once, one log line, service resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevae-shed-'));
    const stderr: string[] = [];
    const { model, kiosk } = await prepare(dir);
    const { child, port } = await startServer(model, kiosk, 20, stderr);
    const sockets: Socket[] = [];
    try {
      const closedEarly = await Promise.all(Array.from({ length: 60 }, () => new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        sockets.push(s);
        const timer = setTimeout(() => resolve(false), 5000);
        s.on('close', () => { clearTimeout(timer); resolve(true); });
        s.on('error', () => undefined);
      })));
      const shed = closedEarly.filter(Boolean).length;
      expect(shed).toBeGreaterThanOrEqual(30);
      expect(shed).toBeLessThanOrEqual(40);
      await new Promise((r) => setTimeout(r, 200));
      expect(stderr.join('')).toMatch(/edgevae serve: shedding load: 20 connections open \(--max-connections\); \d+ refused so far/);
      expect(stderr.join('').match(/shedding load/g)).toHaveLength(1);
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const res = await fetch(`http://127.0.0.1:${port}/kiosk.json`);
      expect(res.status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
