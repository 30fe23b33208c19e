// edgevae inspect: describe an .evae file (validated by the TypeScript reader).
import type { BuiltinCommand } from '../command.js';
import type { Flags } from '../args.js';
import { usageError } from '../errors.js';
import { readModel, type ModelInfo } from '../../runtime/format.js';
import { ACT_NAME } from '../../runtime/format-constants.js';
import { readInputFile } from '../../runtime/node.js';

export const inspectCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'validate an .evae file and print its entries, tensors and ops',
  help: `Usage: edgevae inspect model.evae [--json]

Validates the whole file (checksum, tables, op shapes) and prints a summary.

  --json    print the parsed model (header, metadata, tensors, entries, ops) as JSON`,
  flags: { json: { type: 'boolean' } },
  async run(flags: Flags, positionals: string[]) {
    if (positionals.length !== 1) throw usageError('inspect: give exactly one model file (see "edgevae inspect --help")');
    const bytes = readInputFile(positionals[0], 'model file');
    const info = readModel(bytes);
    if (flags.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    const external = await loadInspector();
    console.log(external ? external(bytes) : summarize(positionals[0], info));
  },
};

/** converter/inspect.ts (richer, per-layer report) when it exists. */
async function loadInspector(): Promise<((bytes: Uint8Array) => string) | undefined> {
  try {
    const mod = (await import(/* @vite-ignore */ '../../converter/' + 'inspect.js')) as { inspectModel?: (b: Uint8Array) => string };
    return mod.inspectModel;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

export function summarize(path: string, m: ModelInfo): string {
  const lines = [
    `${path}: edgevae model v${m.version}, ${m.fileSize} bytes, checksum 0x${m.checksum.toString(16).padStart(8, '0')} OK`,
    m.metadataError ? `metadata: unreadable (${m.metadataError})` : `metadata: ${JSON.stringify(m.metadata)}`,
    `${m.tensors.length} tensors (${m.constantBytes} constant bytes), ${m.ops.length} ops, arena ${m.arenaPerSample} bytes per sample`,
  ];
  for (const e of m.entries) {
    const shape = (t: number) => `[${m.tensors[t].dims.join(', ')}]`;
    lines.push(`entry ${e.kind}: ops ${e.opStart}..${e.opStart + e.opCount - 1}, input ${shape(e.input)} -> ${e.outputs.map(shape).join(', ')}`);
    for (const op of m.ops.slice(e.opStart, e.opStart + e.opCount)) {
      const out = m.tensors[op.output];
      const act = op.activation ? ` + ${ACT_NAME[op.activation]}` : '';
      lines.push(`  ${String(op.index).padStart(4)} ${op.name}${act} -> ${out.dtype} [${out.dims.join(', ')}]`);
    }
  }
  return lines.join('\n');
}
