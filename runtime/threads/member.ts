// The member side of a team for browser Workers (runtime/threads/node.ts holds the same steps as plain
// JavaScript for Node): instantiate the threaded module on the team's memory, then serve until member 0 stops the
// team. threadServe blocks this thread (Atomics wait), which Workers allow.
import type { MemberReport, MemberStart, TeamExports } from './protocol.js';

export function memberHandler(report: (r: MemberReport) => void): (message: MemberStart) => void {
  let exports: TeamExports | undefined;
  return (m) => {
    try {
      if (m.type === 'instantiate') {
        exports = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports as unknown as TeamExports;
        report({ type: 'instantiated' });
        return;
      }
      if (!exports) throw new Error('serve before instantiate');
      report({ type: 'ready' });
      exports.threadServe(m.control, m.members, m.index);
      report({ type: 'stopped' });
    } catch (e) {
      report({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  };
}
