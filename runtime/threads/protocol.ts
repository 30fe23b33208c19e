// Messages between a team's member 0 (the thread that loaded the model) and the threads running the other
// members (runtime/threads/team.ts). Browser-safe.

/**
 * Sent to a member thread: first 'instantiate' (`module` on `memory`), then, once member 0 has loaded the model,
 * 'serve' as member `index`. Every instance must exist before the load: with an imported memory the module's
 * (zero) data segments are written again by each instantiation.
 */
export type MemberStart =
  | { type: 'instantiate'; module: WebAssembly.Module; memory: WebAssembly.Memory }
  | { type: 'serve'; control: number; members: number; index: number };

/** From a member thread: 'instantiated', 'ready' just before it enters threadServe, 'stopped' after it returned, or 'failed'. */
export type MemberReport = { type: 'instantiated' } | { type: 'ready' } | { type: 'stopped' } | { type: 'failed'; message: string };

/** A thread that runs one member (a Node worker thread or a browser Worker). */
export interface MemberThread {
  send(message: MemberStart): void;
  /** called with every report, and with a failed report when the thread dies */
  listen(onReport: (report: MemberReport) => void): void;
  terminate(): Promise<void>;
}

/** The threaded build's exports beyond the runtime's (assembly/threads/index.ts). */
export interface TeamExports {
  threadSetup(members: number, mayBlock: number): number;
  threadServe(control: number, members: number, index: number): void;
  threadStop(): void;
  threadSpin(iterations: number): void;
}
