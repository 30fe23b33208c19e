#!/usr/bin/env node
// `npm test`: runs vitest (arguments pass through) and ends with one plain summary line,
// "tests: N passed, N failed, N skipped", read from vitest's JSON report. Exits with vitest's code.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const report = join('test-artifacts', 'vitest-results.json');
mkdirSync('test-artifacts', { recursive: true });
rmSync(report, { force: true });
const vitest = join('node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], { stdio: 'inherit' });
let code = run.status ?? 1;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.log('no test ran'); code = code || 1; }
} else {
  console.log('\ntests: 0 passed, 1 failed (vitest wrote no report)');
  code = code || 1;
}
process.exit(code);
