// `edgevae bench`: the runtime benchmark (bench/run.ts) from the command line. The bench needs the
// repository's dev packages (onnxruntime-web, TensorFlow.js wasm) and fixtures, so it is not part of the
// npm package: the CLI lists it only where this file exists (a source checkout).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_HELP = `Usage: edgevae bench [--quick] [--engines=a,b] [--models=ids] [--no-workers]

Measures edgevae against onnxruntime-web, tfjs-backend-wasm and onnxruntime-node on the benchmark VAEs
and writes bench/results.md and bench/results.json (about 5 minutes; --quick about 30 s). Needs a source
checkout with its dev packages; the training speed is measured by "npx tsx bench/train-speed.ts".

  --quick              the headline model only, short timing windows
  --engines=a,b        ort-node, ort-web, tfjs-wasm, edgevae-f32, edgevae-int8-weights, edgevae-int8
  --models=ids         conv, mlp, bn, conv64 (default all)
  --no-workers         skip the worker-pool scaling measurement`;

/** Options bench/run.ts accepts (it checks them too when run directly). */
export const BENCH_ARG = /^--(quick|no-workers|engines=.+|models=.+)$/;

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(BENCH_HELP);
    return 0;
  }
  const bad = argv.find((a) => !BENCH_ARG.test(a));
  if (bad !== undefined) {
    process.stderr.write(`edgevae bench: unknown argument '${bad}' (see "edgevae bench --help")\n`);
    return 2;
  }
  // Its own process: bench/run.ts reads process.argv and forks engine children itself.
  const script = join(dirname(fileURLToPath(import.meta.url)), 'run.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...argv], { stdio: 'inherit' });
  return r.status ?? 1;
}
