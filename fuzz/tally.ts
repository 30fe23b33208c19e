// Counting fuzz results: how many cases ran, were rejected (by which wasm code) or failed (how).
import type { CaseResult } from './check-case.js';
import type { CorpusModel } from './corpus.js';
import type { MutationKind } from './mutate.js';

export interface WorkerJob {
  wasmPath: string;
  corpus: CorpusModel[];
  seed: number;
  start: number;
  end: number;
  casesPerInstance: number;
  freshEvery: number;
  slowMs: number;
  /** SharedArrayBuffer holding the offset of the case in progress */
  progress: SharedArrayBuffer;
  /** test hook: spin forever at this case index, so the watchdog can be tested */
  simulateHangAt?: number;
  /** post {tally, upTo} every few hundred cases instead of one tally at the end */
  partialTallies?: boolean;
  /** apply only this mutation kind */
  forceKind?: MutationKind;
}

export interface Tally {
  cases: number;
  ran: number;
  rejected: number;
  unsupported: number;
  failed: number;
  /** wasm load() result of every case, by code name */
  byCode: Record<string, number>;
  /** rejected cases whose checksum was recomputed (so a validator behind the CRC refused them) */
  rejectedPastChecksum: number;
  failuresByKind: Record<string, number>;
  /** the first failures in full (steps, messages) */
  failures: CaseResult[];
  slowestMs: number;
  slowestCase: number;
}

export const MAX_KEPT_FAILURES = 50;

export function emptyTally(): Tally {
  return { cases: 0, ran: 0, rejected: 0, unsupported: 0, failed: 0, byCode: {}, rejectedPastChecksum: 0, failuresByKind: {}, failures: [], slowestMs: 0, slowestCase: -1 };
}

export function addToTally(t: Tally, r: CaseResult, ms: number, slowMs: number): void {
  if (ms > slowMs && !r.failure) {
    r.outcome = 'failed';
    r.failure = { kind: 'slow', message: `case took ${ms.toFixed(0)} ms (limit ${slowMs} ms)` };
  }
  t.cases++;
  t[r.outcome === 'failed' ? 'failed' : r.outcome]++;
  t.byCode[r.wasmCode] = (t.byCode[r.wasmCode] ?? 0) + 1;
  if (r.outcome === 'rejected' && r.checksum === 'fixed' && r.wasmCode !== 'BAD_CHECKSUM') t.rejectedPastChecksum++;
  if (r.failure) {
    t.failuresByKind[r.failure.kind] = (t.failuresByKind[r.failure.kind] ?? 0) + 1;
    if (t.failures.length < MAX_KEPT_FAILURES) t.failures.push(r);
  }
  if (ms > t.slowestMs) { t.slowestMs = ms; t.slowestCase = r.index; }
}

export function mergeTally(into: Tally, from: Tally): void {
  into.cases += from.cases;
  into.ran += from.ran;
  into.rejected += from.rejected;
  into.unsupported += from.unsupported;
  into.failed += from.failed;
  into.rejectedPastChecksum += from.rejectedPastChecksum;
  for (const [k, v] of Object.entries(from.byCode)) into.byCode[k] = (into.byCode[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.failuresByKind)) into.failuresByKind[k] = (into.failuresByKind[k] ?? 0) + v;
  into.failures.push(...from.failures.slice(0, MAX_KEPT_FAILURES - into.failures.length));
  if (from.slowestMs > into.slowestMs) { into.slowestMs = from.slowestMs; into.slowestCase = from.slowestCase; }
}

/** One line for the README: cases, outcomes, failures, top rejection codes. */
export function summaryLine(t: Tally, seed: number, seconds: number): string {
  const pct = (n: number) => `${((100 * n) / Math.max(1, t.cases)).toFixed(1)}%`;
  const codes = Object.entries(t.byCode).filter(([k]) => k !== 'OK').sort((a, b) => b[1] - a[1]).slice(0, 5)
    .map(([k, v]) => `${k} ${pct(v)}`).join(', ');
  const failures = Object.entries(t.failuresByKind).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  return `fuzz (seed ${seed}): ${t.cases} cases in ${seconds.toFixed(0)} s: ${t.ran} ran (${pct(t.ran)}), ${t.rejected} rejected ` +
    `(${t.rejectedPastChecksum} past the checksum), ${t.unsupported} valid-but-unsupported; failures: ${failures}; ` +
    `slowest case ${t.slowestMs.toFixed(0)} ms; top rejections: ${codes}`;
}
