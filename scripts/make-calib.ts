// Writes the demo's image sets beside the default model: models/default/{calib.npy, examples.npy, labels.json}
// from the Fashion-MNIST test split (Debian package dataset-fashion-mnist).
//   npx tsx scripts/make-calib.ts [--out models/default] [--calib 256] [--per-class 8]
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { makeExampleSets, writeExampleSets } from '../cli/demo/example-set.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, calib: { type: 'string' }, 'per-class': { type: 'string' } } });
const count = (raw: string | undefined, name: string, fallback: number) => {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${raw}'`);
  return n;
};
const out = values.out ?? 'models/default';
mkdirSync(out, { recursive: true });
const sets = makeExampleSets({ calibCount: count(values.calib, 'calib', 256), perClass: count(values['per-class'], 'per-class', 8) });
for (const f of writeExampleSets(out, sets)) console.log(`wrote ${f}`);
