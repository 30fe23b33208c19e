// Shape of a CLI subcommand. Built-in commands parse flags here; plugin commands (train, parity, bench,
// serve) live in other folders and get the raw arguments.
import type { FlagSpec, Flags } from './args.js';

export interface BuiltinCommand {
  kind: 'builtin';
  summary: string;
  /** full help text printed by --help */
  help: string;
  flags: FlagSpec;
  run(flags: Flags, positionals: string[]): Promise<void>;
}

/**
 * A command implemented by another module: `module` (relative to cli/, as a .js specifier) must export
 * `main(argv: string[]): Promise<number | void>` (or the function named by exportName); it handles its own --help and returns an exit code.
 */
export interface PluginCommand {
  kind: 'plugin';
  summary: string;
  module: string;
  /** name of the exported entry function (default "main") */
  exportName?: string;
  /** the source file to mention when the module is missing */
  source: string;
}

export type Command = BuiltinCommand | PluginCommand;
