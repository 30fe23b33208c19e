// Bookkeeping of the demo: each step is timed and ends ok, skipped (a tool is missing: says which and how
// to get it) or failed (a check did not hold). The demo keeps going after a skip or a failed check so the
// report shows everything; the command's exit code says whether all checks held.

export type StepStatus = 'ok' | 'skipped' | 'failed';

export interface StepRecord {
  title: string;
  status: StepStatus;
  /** wall-clock time */
  ms: number;
  /** CPU time of this process (user + system, all its threads): unlike wall time it does not grow when other programs share the cores */
  cpuMs?: number;
  /** one line: what came out, why it was skipped, or what failed */
  detail: string;
}

/** Thrown inside a step to mark it skipped rather than failed. */
export class SkipStep extends Error {}

/** Thrown inside a step when a check does not hold (the demo carries on). */
export class CheckFailed extends Error {}

export class StepLog {
  readonly steps: StepRecord[] = [];

  constructor(private readonly print: (line: string) => void) {}

  /**
   * Runs `fn`, records its time and outcome. SkipStep and CheckFailed are recorded and swallowed (the
   * result is undefined); any other error is a broken prerequisite and stops the demo.
   */
  async run<T>(title: string, fn: () => Promise<T> | T, describe: (value: T) => string = () => ''): Promise<T | undefined> {
    const start = { wall: performance.now(), cpu: process.cpuUsage() };
    try {
      const value = await fn();
      this.record(title, 'ok', start, describe(value));
      return value;
    } catch (e) {
      if (e instanceof SkipStep) { this.record(title, 'skipped', start, e.message); return undefined; }
      if (e instanceof CheckFailed) { this.record(title, 'failed', start, e.message); return undefined; }
      this.record(title, 'failed', start, (e as Error).message);
      throw e;
    }
  }

  get failed(): StepRecord[] {
    return this.steps.filter((s) => s.status === 'failed');
  }

  private record(title: string, status: StepStatus, start: { wall: number; cpu: NodeJS.CpuUsage }, detail: string): void {
    const ms = performance.now() - start.wall;
    const used = process.cpuUsage(start.cpu);
    const cpuMs = (used.user + used.system) / 1000;
    this.steps.push({ title, status, ms, cpuMs, detail });
    const tag = status === 'ok' ? '  ok  ' : status === 'skipped' ? ' skip ' : ' FAIL ';
    this.print(`[${tag}] ${title.padEnd(40)} ${formatMs(ms).padStart(8)} (cpu ${formatMs(cpuMs)})${detail ? `  ${detail}` : ''}`);
  }
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
