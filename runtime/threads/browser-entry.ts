// Entry point of a browser Worker running one team member (bundle it as its own script and pass its URL to
// browserMemberSpawner; the page must be cross-origin isolated).
import { memberHandler } from './member.js';
import type { MemberStart } from './protocol.js';

interface WorkerScope { postMessage(message: unknown): void; onmessage: ((event: MessageEvent<MemberStart>) => void) | null }
const scope = globalThis as unknown as WorkerScope;
const handle = memberHandler((r) => scope.postMessage(r));
scope.onmessage = (event) => handle(event.data);
