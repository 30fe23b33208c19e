// The `edgevae` command line: dispatches to built-in commands and to plugin commands of other folders.
// User mistakes print one line to stderr and exit 2 (usage) or 1 (runtime); never a stack trace
// unless EDGEVAE_DEBUG=1.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync, realpathSync } from 'node:fs';
import type { Command } from './command.js';
import { parseFlags } from './args.js';
import { EXIT_RUNTIME, EXIT_USAGE, UserError } from './errors.js';
import { convertCommand } from './commands/convert.js';
import { inspectCommand } from './commands/inspect.js';
import { decodeCommand } from './commands/decode.js';
import { encodeCommand } from './commands/encode.js';
import { sampleCommand } from './commands/sample.js';
import { interpolateCommand } from './commands/interpolate.js';
import { InputError, ModelFormatError, RuntimeError } from '../runtime/errors.js';
import { NpyError } from '../runtime/npy.js';
import { packageVersion } from '../runtime/node.js';
import { installSpec, missingPackagesMessage } from './optional-packages.js';

/** Every subcommand. Plugins: add an entry pointing at your module (see PluginCommand in cli/command.ts). */
export const COMMANDS: Record<string, Command> = {
  convert: convertCommand,
  inspect: inspectCommand,
  encode: encodeCommand,
  decode: decodeCommand,
  sample: sampleCommand,
  interpolate: interpolateCommand,
  quantize: { kind: 'plugin', summary: 'quantize an .evae model (f16, int8-weights, int8, mixed)', module: '../converter/quantize/cli.js',
    source: 'converter/quantize/cli.ts' },
  train: { kind: 'plugin', summary: 'train a VAE with TensorFlow.js and export ONNX', module: '../trainer/cli.js',
    source: 'trainer/cli.ts' },
  'train-ui': { kind: 'plugin', summary: 'serve the training page (train in the browser, WebGPU when available)',
    module: '../trainer/ui/command.js', exportName: 'runTrainUi', source: 'trainer/ui/command.ts' },
  parity: { kind: 'plugin', summary: 'compare a (quantized) model against the float ONNX reference', module: '../parity/cli.js',
    exportName: 'runParity', source: 'parity/cli.ts' },
  bench: { kind: 'plugin', summary: 'measure runtime speed (source checkout only)', module: '../bench/cli.js', source: 'bench/cli.ts' },
  serve: { kind: 'plugin', summary: 'serve the offline kiosk page with a model', module: '../hosts/node/serve.js',
    exportName: 'runServe', source: 'hosts/node/serve.ts' },
  kiosk: { kind: 'plugin', summary: 'write the offline kiosk page for a model (standalone.html opens from disk)',
    module: '../hosts/node/kiosk-command.js', exportName: 'runKiosk', source: 'hosts/node/kiosk-command.ts' },
};

/** Whether a command can run here: plugin modules may be absent (bench is not in the npm package). */
export function commandAvailable(command: Command): boolean {
  if (command.kind !== 'plugin') return true;
  const file = fileURLToPath(new URL(command.module, import.meta.url));
  return existsSync(file) || existsSync(file.replace(/\.js$/, '.ts'));
}

export function overallHelp(): string {
  const listed = Object.entries(COMMANDS).filter(([, c]) => commandAvailable(c));
  const width = Math.max(...listed.map(([k]) => k.length));
  return [
    'Usage: edgevae <command> [options]',
    '',
    'Commands:',
    ...listed.map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "edgevae <command> --help" for the options of a command.',
  ].join('\n');
}

/** Runs the CLI and returns the exit code (does not call process.exit, so tests can call it). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      if (topic !== undefined) return main([topic, '--help']);
      console.log(overallHelp());
      return name === undefined ? EXIT_USAGE : 0;
    }
    if (name === '--version' || name === '-v') {
      console.log(packageVersion());
      return 0;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new UserError(`unknown command '${name}' (run "edgevae --help" for the list)`, EXIT_USAGE);
    if (command.kind === 'plugin') return await runPlugin(name, command.module, command.exportName ?? 'main', command.source, rest);
    const { flags, positionals } = parseFlags(rest, command.flags, name);
    if (flags.help) {
      console.log(command.help);
      return 0;
    }
    if (positionals.length > 0 && name !== 'inspect') {
      throw new UserError(`${name}: unexpected argument '${positionals[0]}' (see "edgevae ${name} --help")`, EXIT_USAGE);
    }
    await command.run(flags, positionals);
    return 0;
  } catch (e) {
    return report(name, e);
  }
}

async function runPlugin(name: string, module: string, exportName: string, source: string, argv: string[]): Promise<number> {
  let mod: Record<string, unknown>;
  const url = new URL(module, import.meta.url);
  const missingPackages = missingPackagesMessage(name);
  if (missingPackages) throw new UserError(missingPackages);
  try {
    mod = await import(url.href);
  } catch (e) {
    // Only "this very module is missing" means not available; errors inside it are real errors.
    const err = e as NodeJS.ErrnoException;
    const missing = err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(module.replace(/^\.\.\//, '').replace(/\.js$/, ''));
    if (missing) throw new UserError(`'${name}' is not available in this installation (${source} is missing)`);
    // The trainer and parity need optional peer packages (TensorFlow.js, onnxruntime-node) that a
    // runtime-only install (a Pi, a kiosk) leaves out: say which one to install.
    const pkg = err.code === 'ERR_MODULE_NOT_FOUND' ? /Cannot find package '([^']+)'/.exec(String(err.message))?.[1] : undefined;
    if (pkg) throw new UserError(`'${name}' needs the npm package ${pkg}, which is not installed (npm install ${installSpec(pkg)})`);
    throw e;
  }
  const entry = mod[exportName];
  if (typeof entry !== 'function') throw new UserError(`'${name}' is not available yet (${source} does not export ${exportName}())`);
  const code = await (entry as (argv: string[]) => Promise<number | void>)(argv);
  return typeof code === 'number' ? code : 0;
}

const USER_FACING = [UserError, InputError, ModelFormatError, RuntimeError, NpyError];

/** The one error line of every command: `edgevae <command>: <message>`. */
export function errorLine(command: string | undefined, message: string): string {
  const known = command !== undefined && Object.hasOwn(COMMANDS, command);
  const first = message.split('\n')[0];
  // Many messages already start with the command ("sample: ..."); say it once.
  const own = known ? first.replace(new RegExp(`^(edgevae:? )?${command}: `), '') : first;
  return `edgevae${known ? ` ${command}` : ''}: ${own}`;
}

function report(command: string | undefined, e: unknown): number {
  const debug = process.env.EDGEVAE_DEBUG === '1';
  const err = e instanceof Error ? e : new Error(String(e));
  const known = USER_FACING.some((cls) => err instanceof cls);
  let message = err.message;
  if (!known) {
    const fsCode = (err as NodeJS.ErrnoException).code;
    message = fsCode ? message : `internal error: ${message.split('\n')[0]} (set EDGEVAE_DEBUG=1 for details)`;
  }
  process.stderr.write(errorLine(command, message) + '\n');
  if (debug && err.stack) process.stderr.write(err.stack + '\n');
  return err instanceof UserError ? err.exitCode : EXIT_RUNTIME;
}

// Run when executed directly (tsx cli/edgevae.ts, or through bin/edgevae.js which calls main itself).
const invoked = process.argv[1] ? pathToFileURL(realpathSafe(process.argv[1])).href : '';
if (invoked === import.meta.url) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}

function realpathSafe(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
