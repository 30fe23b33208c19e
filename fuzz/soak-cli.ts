// Command-line plumbing shared by the soak scripts (fuzz/soak.ts, soak-sequences.ts, soak-pool.ts): progress lines,
// the pass/fail verdict and exit code, and running only when started as a script.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** A progress callback printing `[done/total] N s`, timed from its creation. */
export function progressPrinter(): (done: number, total: number) => void {
  const t0 = performance.now();
  return (done, total) => console.log(`[${done}/${total}] ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** Prints the soak's summary line (and a FAILED line when memory grew); returns the exit code. */
export function verdict(tool: string, summary: string, grew: boolean): number {
  console.log(summary);
  if (grew) console.log(`${tool}: FAILED: memory grew`);
  return grew ? 1 : 0;
}

/** Runs `cli` when the module at `moduleUrl` is the script node was started with; an error prints one line and exits 2. */
export function runIfMain(moduleUrl: string, cli: () => Promise<number>): void {
  const invoked = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : '';
  if (invoked !== moduleUrl) return;
  cli().then((code) => { process.exitCode = code; }, (e) => { console.error((e as Error).message); process.exitCode = 2; });
}
