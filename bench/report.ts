// Turns the collected measurements into bench/results.md (tables) and bench/results.json. Pure functions.
import type { ChildResult, JobResult } from './child.js';
import { ENGINE_LABEL, type EngineName } from './engines.js';
import type { Payload } from './payload.js';
import type { SimdPeak } from './simd-peak.js';
import type { Timing } from './stats.js';
import type { ScalingRow } from './workers-scaling.js';

export interface GraphInfo {
  id: string;
  model: string;
  modelLabel: string;
  part: 'encoder' | 'decoder';
  /** MACs per sample */
  macs: number;
  inputDims: number[];
}

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  machine: { cpu: string; cores: number; node: string; platform: string; loadBefore: number[]; loadAfter: number[] };
  simdPeak?: SimdPeak;
  batches: number[];
  graphs: GraphInfo[];
  engines: ChildResult[];
  payloads: Payload[];
  scaling: ScalingRow[];
  /** previously published batch-1 medians (ms) for this machine class, by graph id and engine */
  published?: Record<string, Partial<Record<EngineName, number>>>;
  notes: string[];
}

export function markdownTable(headers: string[], rows: string[][], rightAligned: boolean[] = headers.map((_, i) => i > 0)): string {
  for (const r of rows) {
    if (r.length !== headers.length) throw new Error(`table row has ${r.length} cells, the header has ${headers.length}`);
  }
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: string[]) => `| ${cells.map(esc).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (rightAligned[i] ? '---:' : '---')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Milliseconds with 3 significant digits (0.0812, 0.812, 8.12, 81.2, 812). */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 100) return ms.toFixed(0);
  return ms.toPrecision(3);
}

/** A speed ratio, their time / our time: "2.31x" means we are 2.31 times faster. */
export function fmtRatio(ours: number | undefined, theirs: number | undefined): string {
  if (!ours || !theirs) return '–';
  return `${(theirs / ours).toFixed(2)}x`;
}

export function fmtBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '–';
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function gmacsPerSecond(macsPerSample: number, batch: number, medianMs: number): number {
  return (macsPerSample * batch) / (medianMs / 1000) / 1e9;
}

function jobOf(results: BenchResults, engine: EngineName, graphId: string): JobResult | undefined {
  return results.engines.find((e) => e.engine === engine)?.jobs.find((j) => j.id === graphId);
}

function timingOf(results: BenchResults, engine: EngineName, graphId: string, batch: number): Timing | undefined {
  return jobOf(results, engine, graphId)?.timings?.[batch];
}

const COMPETITORS: EngineName[] = ['ort-web', 'tfjs-wasm', 'ort-node'];

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push('# edgevae benchmark results', '');
  out.push(`- date: ${r.date}`, `- machine: ${m.cpu}, ${m.cores} cores (${m.platform}), Node ${m.node}`,
    `- command: \`${r.command}\`${r.quick ? ' (quick mode: short measuring windows, noisier)' : ''}`,
    `- load average before / after: ${m.loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${m.loadAfter.map((x) => x.toFixed(2)).join(' ')}` +
      (m.loadBefore[0]! > m.cores * 0.5 ? ' (a busy machine: latencies are inflated and noisy)' : ''),
    '- every engine runs in its own child process, single-threaded; latency = median (p90) over many calls after a warm-up; ' +
      'outputs are read back into a Float32Array in every call. Speedup = their median / our median (> 1: edgevae is faster).', '');
  if (r.simdPeak) {
    out.push('## WebAssembly SIMD peak (one thread, bench/simd-peak.ts)', '',
      `f32 mul+add (f32x4.mul + f32x4.add, 8 accumulators): **${r.simdPeak.f32Gmacs.toFixed(1)} GMAC/s**; ` +
      `int8 dot (i32x4.dot_i16x8_s + i32x4.add on i16 operands, 8 accumulators): **${r.simdPeak.int8Gmacs.toFixed(1)} GMAC/s**. "% peak" below is relative to these.`, '');
  }

  // "n/a" where an engine cannot run a graph at all (e.g. ops the tfjs mapping lacks), "–" where it was not timed
  const cell = (engine: EngineName, graphId: string, ms: number | undefined, text: string) =>
    ms === undefined && jobOf(r, engine, graphId)?.notAvailable ? 'n/a' : text;
  const headline = (pick: (t: Timing | undefined) => number | undefined, ourEngine: EngineName = 'edgevae-f32'): string => {
    const rows: string[][] = [];
    for (const g of r.graphs) {
      for (const b of r.batches) {
        const ours = pick(timingOf(r, ourEngine, g.id, b));
        const theirs = COMPETITORS.map((c) => pick(timingOf(r, c, g.id, b)));
        rows.push([`${g.model} ${g.part}`, String(b), cell(ourEngine, g.id, ours, fmtMs(ours)),
          ...theirs.map((t, i) => cell(COMPETITORS[i]!, g.id, t, fmtMs(t))), ...theirs.map((t, i) => cell(COMPETITORS[i]!, g.id, t, fmtRatio(ours, t)))]);
      }
    }
    const ourLabel = ourEngine === 'edgevae-f32' ? 'edgevae f32' : ourEngine.replace('edgevae-', 'edgevae ');
    return markdownTable(['graph', 'batch', ourLabel, 'ort-web', 'tfjs-wasm', 'ort-node', 'vs ort-web', 'vs tfjs-wasm', 'vs ort-node'], rows);
  };
  out.push('## Headline: edgevae f32 vs the others (median wall-clock ms per call)', '', headline((t) => t?.median), '');
  out.push('## The same in CPU time per call (median ms)', '',
    'CPU time of the engine\'s process per call: what the call costs when nothing else competes for the core. ' +
    'On a shared machine this is the trustworthy column; wall-clock medians of long calls (batch 64) include time spent preempted.', '',
    headline((t) => t?.cpuMedian), '');
  if (r.engines.some((e) => e.engine === 'edgevae-int8' && e.jobs.some((j) => j.timings))) {
    out.push('## edgevae int8 (weights and activations) vs the others (median wall-clock ms per call)', '', headline((t) => t?.median, 'edgevae-int8'), '');
  }

  if (r.published) {
    const rows: string[][] = [];
    for (const [graphId, byEngine] of Object.entries(r.published)) {
      for (const [engine, ms] of Object.entries(byEngine)) {
        const t = timingOf(r, engine as EngineName, graphId, 1);
        if (!t) continue;
        rows.push([graphId, engine, fmtMs(ms), fmtMs(t.median), fmtMs(t.cpuMedian)]);
      }
    }
    if (rows.length) {
      out.push('## Sanity check against published batch-1 figures (same machine class, quiet)', '',
        'Large gaps mean this run was disturbed (or a competitor is set up differently).', '',
        markdownTable(['graph', 'engine', 'published ms', 'this run wall ms', 'this run cpu ms'], rows, [false, false, true, true, true]), '');
    }
  }

  out.push('## Per model', '');
  for (const g of r.graphs) {
    const macs = Number.isFinite(g.macs) ? `${(g.macs / 1e6).toFixed(2)} M MACs per sample` : 'MACs not counted, see the notes';
    out.push(`### ${g.modelLabel}: ${g.part} (${macs}, input [${g.inputDims.join(', ')}])`, '');
    const rows: string[][] = [];
    for (const e of r.engines) {
      const j = e.jobs.find((x) => x.id === g.id);
      if (!j) continue;
      if (j.error) {
        rows.push([e.engine, j.notAvailable ? j.error : `error: ${j.error}`, ...Array<string>(2 * r.batches.length + 8).fill('')]);
        continue;
      }
      const peak = e.engine === 'edgevae-int8' ? r.simdPeak?.int8Gmacs : e.engine === 'ort-node' ? undefined : r.simdPeak?.f32Gmacs;
      const cells: string[] = [];
      for (const b of r.batches) {
        const t = j.timings?.[b];
        cells.push(t ? `${fmtMs(t.median)} (${fmtMs(t.p90)})` : '–');
      }
      for (const b of r.batches) cells.push(fmtMs(j.timings?.[b]?.cpuMedian));
      const last = r.batches[r.batches.length - 1]!;
      const tl = j.timings?.[last];
      const t1 = j.timings?.[r.batches[0]!];
      // compute rate from CPU time when measured: it does not count time spent preempted
      const g1 = t1 && Number.isFinite(g.macs) ? gmacsPerSecond(g.macs, r.batches[0]!, t1.cpuMedian || t1.median) : undefined;
      const gl = tl && Number.isFinite(g.macs) ? gmacsPerSecond(g.macs, last, tl.cpuMedian || tl.median) : undefined;
      rows.push([
        e.engine, ...cells,
        tl ? (last / (tl.median / 1000)).toFixed(0) : '–',
        g1 !== undefined ? g1.toFixed(2) : '–', gl !== undefined ? gl.toFixed(2) : '–',
        peak && gl !== undefined ? `${((100 * gl) / peak).toFixed(0)}%` : '–',
        fmtMs(j.loadMs), fmtBytes(j.modelBytes), (e.engine === 'ort-node' ? 'native' : fmtBytes(j.wasmMemoryBytes)), j.rssDeltaMb !== undefined ? j.rssDeltaMb.toFixed(1) : '–',
        j.parity ? `${j.parity.map((d) => d.toExponential(1)).join(', ')}${j.parityOk ? '' : ' MISMATCH'}` : '–',
      ]);
    }
    out.push(markdownTable(['engine', ...r.batches.map((b) => `batch ${b} ms (p90)`), ...r.batches.map((b) => `cpu ms @${b}`), `samples/s @${r.batches[r.batches.length - 1]}`,
      `GMAC/s @${r.batches[0]}`, `GMAC/s @${r.batches[r.batches.length - 1]}`, '% peak', 'load ms', 'model bytes', 'wasm memory', 'RSS +MB', 'rel. diff vs ort-node'], rows), '');
  }

  out.push('## Engines', '');
  out.push(markdownTable(['engine', 'what', 'setup ms', 'peak RSS growth (whole child)', 'status'], r.engines.map((e) => [
    e.engine, ENGINE_LABEL[e.engine], fmtMs(e.setupMs), `${e.peakRssDeltaMb.toFixed(0)} MB`,
    e.error ?? (e.jobs.every((j) => j.notAvailable) ? 'not available yet' : 'ok'),
  ]), [false, false, true, true, false]), '');
  out.push('GMAC/s and % peak use the CPU-time medians (wall-clock when CPU time is missing); samples/s uses wall-clock.', '');
  out.push('"load ms" = model bytes in memory -> first output (batch 1; median of up to 3 fresh loads), including the wasm compile for edgevae (one instance per model); ' +
    'ort-web and tfjs compile their runtime once per process ("setup", or inside the first model\'s load for ort-web).', '');

  out.push('## Download size (code + wasm, what a browser fetches besides the model)', '');
  out.push(markdownTable(['engine', 'files', 'bytes', 'gzip'], r.payloads.map((p) => [
    p.engine, p.files.map((f) => `${f.name} ${fmtBytes(f.bytes)}`).join(' + ') + (p.note ? ` (${p.note})` : ''), fmtBytes(p.bytes), fmtBytes(p.gzipBytes),
  ]), [false, false, true, true]), '');

  if (r.scaling.length) {
    out.push('## Multi-core: runtime/workers pool (decode)', '');
    const cores = (t: Timing | undefined) => (t?.cpuMedian !== undefined ? (t.cpuMedian / t.median).toFixed(2) : '–');
    out.push(markdownTable(['model', 'batch', 'single instance ms', '1 worker ms', '2 workers ms', '2 vs 1 worker', '2 workers vs single', 'cores used (cpu/wall, 2 workers)'], r.scaling.map((s) => [
      s.model, String(s.batch), fmtMs(s.single?.median), fmtMs(s.pool[1]?.median), fmtMs(s.pool[2]?.median),
      fmtRatio(s.pool[2]?.median, s.pool[1]?.median), fmtRatio(s.pool[2]?.median, s.single?.median), cores(s.pool[2]),
    ])), '');
    for (const s of r.scaling.filter((x) => x.error)) out.push(`- ${s.model}: ${s.error}`);
    out.push('Target: 2 workers >= 1.8x one worker. Only meaningful when both cores are otherwise idle: "cores used" is the ' +
      'process CPU time (all threads) per wall-clock time of a call; well below 2 means the workers did not get two cores.', '');
  }
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
