// Node flavour of the member threads: worker_threads running a few lines of plain JavaScript (the member needs
// only WebAssembly, so no module loader or TypeScript hook is involved; runtime/threads/member.ts is the same
// logic for browsers). Workers are unref'd: a process with a loaded model still exits when its work is done.
import { Worker } from 'node:worker_threads';
import type { MemberReport, MemberThread } from './protocol.js';

const MEMBER_SOURCE = `
const { parentPort } = require('node:worker_threads');
let instance;
parentPort.on('message', (m) => {
  try {
    if (m.type === 'instantiate') {
      instance = new WebAssembly.Instance(m.module, { env: { memory: m.memory } });
      parentPort.postMessage({ type: 'instantiated' });
      return;
    }
    parentPort.postMessage({ type: 'ready' });
    instance.exports.threadServe(m.control, m.members, m.index);
    parentPort.postMessage({ type: 'stopped' });
  } catch (e) {
    parentPort.postMessage({ type: 'failed', message: e && e.message ? e.message : String(e) });
  }
});`;

export function nodeMemberSpawner(): () => MemberThread {
  return () => {
    const worker = new Worker(MEMBER_SOURCE, { eval: true });
    worker.unref();
    return {
      send: (message) => worker.postMessage(message),
      listen(onReport) {
        worker.on('message', (r: MemberReport) => onReport(r));
        worker.on('error', (e) => onReport({ type: 'failed', message: e.message }));
      },
      terminate: async () => { await worker.terminate(); },
    };
  };
}
