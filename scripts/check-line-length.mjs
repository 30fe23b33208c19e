#!/usr/bin/env node
// `npm run lint`: no source line longer than 140 characters. Files that were longer before the formatter ran
// are listed in scripts/line-length-baseline.json with their count of long lines; such a file may not gain
// any, every other file may have none. `--update` rewrites the baseline (after `npm run format` it is empty).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MAX_LINE = 140;
const SOURCE = /\.(ts|mts|mjs|js|py)$/;
const SKIP = /^(build|dist|models|tests\/fixtures|node_modules)\//;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASELINE = fileURLToPath(new URL('line-length-baseline.json', import.meta.url));

/** Lines of `text` longer than MAX_LINE characters (code points, so a "µ" counts once). */
export const longLines = (text) => text.split('\n').filter((line) => [...line].length > MAX_LINE).length;

function trackedSources() {
  const out = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => SOURCE.test(f) && !SKIP.test(f)).sort();
}

/** File -> count of long lines, for the files that have any. */
export function measure() {
  const counts = {};
  for (const file of trackedSources()) {
    let text;
    try { text = readFileSync(ROOT + file, 'utf8'); } catch { continue; } // deleted in the work tree
    const n = longLines(text);
    if (n > 0) counts[file] = n;
  }
  return counts;
}

function main() {
  const counts = measure();
  if (process.argv.includes('--update')) {
    writeFileSync(BASELINE, JSON.stringify(counts, null, 2) + '\n');
    console.log(`line-length: baseline has ${Object.keys(counts).length} files`);
    return;
  }
  const baseline = JSON.parse(readFileSync(BASELINE, 'utf8'));
  const problems = Object.entries(counts)
    .filter(([file, n]) => n > (baseline[file] ?? 0))
    .map(([file, n]) => `${file}: ${n} lines over ${MAX_LINE} characters (allowed ${baseline[file] ?? 0})`);
  for (const p of problems) console.error(`line-length: ${p}`);
  if (problems.length > 0) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
