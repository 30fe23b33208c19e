// Intra-op threads of the threaded build (build/edgevae-threads.wasm, docs/threads.md): every member of a team
// is an instance of the same module on one shared memory, runs the same op list, computes its share of each
// heavy op and meets the others at a barrier after it. ASC_FEATURE_THREADS is false in build/edgevae.wasm, so
// inTeam() is a constant false there and every threaded branch folds away.

/** Members in the team (1: no team) and this instance's index (0: the instance the host calls). */
export let teamSize: u32 = 1;
export let teamIndex: u32 = 0;
/** The team's control block in shared memory (threads/control.ts); 0 without a team. */
export let teamControl: usize = 0;
/** False where the host forbids blocking (a browser's main thread): the barrier spins instead of waiting. */
export let teamMayBlock = true;

export function joinTeam(control: usize, size: u32, index: u32, mayBlock: bool): void {
  teamControl = control; teamSize = size; teamIndex = index; teamMayBlock = mayBlock;
}

@inline export function inTeam(): bool { return ASC_FEATURE_THREADS && teamSize > 1; }

/** First item of member k's share when `count` items are cut into teamSize contiguous ranges. */
@inline export function shareStart(count: i32, k: u32): i32 { return <i32>(<u64>count * k / teamSize); }

/**
 * Iterations a member spins before it sleeps at a barrier (the team's default, threads/index.ts threadSpin changes
 * it): ops take tens of microseconds, a sleep and wake-up about as much. Word 24 of the control block.
 */
export const DEFAULT_SPIN: i32 = 20000;

/** Returns once every member has called it (words 0 and 4 of the control block: arrivals, generation). */
export function teamBarrier(): void {
  if (!inTeam()) return;
  const arrived = teamControl, generation = teamControl + 4;
  const gen = atomic.load<i32>(generation);
  if (<u32>atomic.add<i32>(arrived, 1) == teamSize - 1) {
    atomic.store<i32>(arrived, 0); // before the generation moves, so no member can arrive early at the next barrier
    atomic.add<i32>(generation, 1);
    atomic.notify(generation, -1);
    return;
  }
  const spin = load<i32>(teamControl, 24);
  for (let i = 0; i < spin; i++) if (atomic.load<i32>(generation) != gen) return;
  while (atomic.load<i32>(generation) == gen) {
    if (teamMayBlock) atomic.wait<i32>(generation, gen, -1);
  }
}
