// Limits that keep `edgevae serve` answering for weeks: a connection cap (excess connections are closed at
// once and logged, at most one line per interval), an idle timeout for sockets that send nothing, and
// short header/request deadlines so clients that trickle bytes cannot hold a slot.
import type { Server } from 'node:http';

export interface ServeLimits {
  /** Concurrent connections accepted; the next ones are closed immediately (load shedding). */
  maxConnections: number;
  /** A socket with no traffic for this long is closed (keep-alive and half-sent requests alike). */
  idleMs: number;
  /** Whole request headers must arrive within this time. */
  headersMs: number;
  /** A whole request (headers and, for us, no body) must arrive within this time. */
  requestMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = { maxConnections: 2048, idleMs: 15_000, headersMs: 5_000, requestMs: 10_000 };

/** Node checks the header/request deadlines on this period; its default (30 s) would let slow clients sit. */
export const DEADLINE_CHECK_MS = 1_000;

/** How often at most a "shedding load" line is printed while connections are being refused. */
export const SHED_LOG_INTERVAL_MS = 10_000;

export function guardServer(server: Server, limits: ServeLimits, log: (line: string) => void = (l) => console.error(l)): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersMs;
  server.requestTimeout = limits.requestMs;
  server.keepAliveTimeout = Math.min(5_000, limits.idleMs);
  server.setTimeout(limits.idleMs, (socket) => socket.destroy());

  let dropped = 0;
  let lastLog = -Infinity;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - lastLog < SHED_LOG_INTERVAL_MS) return;
    lastLog = now;
    log(`edgevae serve: shedding load: ${limits.maxConnections} connections open (--max-connections); ` +
      `${dropped} refused so far`);
  });
}
