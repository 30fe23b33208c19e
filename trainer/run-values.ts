// The data part of a training run as a checkpoint stores it (the data source and its limits), and the flag values
// it stands for. Shared by the training loops (which store it) and the resume check in run-definition.ts.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface RunDefinition {
  /** dataset name (fashion-mnist, mnist, words, fortunes), the absolute path of the data file/folder, or lines:/midi: + absolute path */
  data: string;
  limitTrain?: number;
  limitTest?: number;
  /** sequence runs: longest sequence kept, in symbols */
  maxLength?: number;
}

const NAMED_SOURCES = new Set(['fashion-mnist', 'mnist', 'words', 'fortunes']);
const PATH_PREFIXES = ['lines:', 'midi:'];

/** A data source as stored: named datasets stay names, paths become absolute (resume works from any folder). */
export function dataSourceKey(source: string): string {
  if (NAMED_SOURCES.has(source)) return source;
  for (const prefix of PATH_PREFIXES) {
    if (source.startsWith(prefix)) {
      const path = source.slice(prefix.length);
      return existsSync(path) ? prefix + resolve(path) : source;
    }
  }
  return existsSync(source) ? resolve(source) : source;
}

/** Flag values of the data part of a run (shared by both kinds of checkpoint). */
export function runValues(run: RunDefinition | undefined): Record<string, string | undefined> {
  if (!run) return {};
  const values: Record<string, string | undefined> =
    { data: run.data, 'limit-train': run.limitTrain?.toString(), 'limit-test': run.limitTest?.toString() };
  if (run.maxLength !== undefined) values['max-length'] = String(run.maxLength);
  return values;
}
