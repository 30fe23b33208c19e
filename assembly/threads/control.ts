// The control block a team shares (threaded build): barrier words, the run request member 0 posts, and what
// the other members need to run the loaded model (model.ts state) plus each member's own scratch.
export const C_ARRIVED: usize = 0;      // barrier arrivals (team.ts)
export const C_BARRIER_GEN: usize = 4;  // barrier generation (team.ts)
export const C_WORK_GEN: usize = 8;     // run requests posted so far; members wait on it
export const C_KIND: usize = 12;        // entry of the request
export const C_BATCH: usize = 16;       // samples of the request
export const C_QUIT: usize = 20;        // nonzero: members return from threadServe
export const C_SPIN: usize = 24;        // iterations a member spins at a barrier before it sleeps (team.ts)
export const C_MODEL: usize = 32;       // model.ts state: MODEL_WORDS u32
export const MODEL_WORDS: usize = 10;
export const C_MEMBERS: usize = 80;     // per member: MEMBER_WORDS u32 scratch addresses
export const MEMBER_WORDS: usize = 8;
// member words
export const M_TAPS: usize = 0, M_DUMMY: usize = 1, M_QUAD: usize = 2, M_QUANT: usize = 3, M_INT8_AUX: usize = 4;

@inline export function controlBytes(members: u32): usize { return C_MEMBERS + <usize>members * MEMBER_WORDS * 4; }
@inline export function memberWord(control: usize, k: u32, w: usize): usize {
  return <usize>load<u32>(control + C_MEMBERS + (<usize>k * MEMBER_WORDS + w) * 4);
}
