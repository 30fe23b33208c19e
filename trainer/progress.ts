// Progress display on stderr: a redrawn bar with images/s and ETA while an epoch runs (only on a
// terminal), and one permanent line per finished epoch.
export interface ProgressSink {
  update(done: number, total: number, extra: string): void;
  line(text: string): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function renderBar(done: number, total: number, width = 24): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** Seconds between progress lines when stderr is a log file rather than a terminal. */
export const LOG_INTERVAL_SECONDS = 60;

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const live = Boolean(stream.isTTY);
  let shown = false;
  let lastLogged = performance.now();
  return {
    update(done, total, extra) {
      if (!live) {
        // A log file gets an occasional plain line instead of carriage-return redraws.
        if (performance.now() - lastLogged < LOG_INTERVAL_SECONDS * 1000) return;
        lastLogged = performance.now();
        stream.write(`${renderBar(done, total)} ${done}/${total} ${extra}\n`);
        return;
      }
      stream.write(`\r${renderBar(done, total)} ${done}/${total} ${extra}\x1b[K`);
      shown = true;
    },
    line(text) {
      if (live && shown) stream.write('\r\x1b[K');
      shown = false;
      stream.write(text + '\n');
    },
  };
}

export const silentProgress: ProgressSink = { update() {}, line() {} };
