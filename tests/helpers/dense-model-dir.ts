// A fresh temporary directory holding the dense test VAE (tests/format-fixtures.ts): where the CLI tests run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { denseVaeBytes } from '../format-fixtures.js';

/** `<tmp>/<prefix>XXXXXX/<modelName>` written with the dense VAE; the caller removes `dir`. */
export function denseModelDir(prefix: string, modelName: string): { dir: string; model: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const model = join(dir, modelName);
  writeFileSync(model, denseVaeBytes());
  return { dir, model };
}
