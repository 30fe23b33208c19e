// Prints README's supported-ops table generated from converter/op-registry.ts; with --write, rewrites the
// block between the supported-ops markers in README.md (atomically: temp file, then rename).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { supportedOpsMarkdown, withSupportedOps } from '../converter/op-table.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const body = supportedOpsMarkdown();
if (process.argv.includes('--write')) {
  const before = readFileSync(readmePath, 'utf8');
  const after = withSupportedOps(before, body);
  if (after === before) console.log('README.md: supported-ops table already up to date');
  else {
    const tmp = `${readmePath}.tmp-${process.pid}`;
    writeFileSync(tmp, after);
    renameSync(tmp, readmePath);
    console.log('README.md: supported-ops table rewritten');
  }
} else console.log(body);
