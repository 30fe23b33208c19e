// Host interface of the threaded build (build/edgevae-threads.wasm, docs/threads.md): the runtime's exports
// (assembly/index.ts) on an imported shared memory, plus the team calls. The host instantiates the module once
// per thread on the same memory: the instance it loads the model into is member 0 (it calls load, then
// threadSetup, then run as usual); every other instance calls threadServe from its own thread and stays there,
// running its share of each run member 0 starts, until threadStop.
import { allocBytes } from '../memory';
import { TAP_BYTES } from '../kernels/conv_tile';
import { setQuadScratch, QUAD_SCRATCH_BYTES } from '../kernels/conv_gather';
import { useConvGeometryBlock, CONV_GEOMETRY_BYTES } from '../kernels/conv_geometry';
import { loadedMaxTaps, loadedMaxChannels } from '../loader';
import { usesQuantWeights } from '../kernels/quant_dispatch';
import { QUANT_SCRATCH_BYTES, useQuantScratch, setMemberAux, memberAuxBytes, pairImage, usePairImage } from '../kernels/int8/scratch';
import * as F from '../format';
import {
  loaded, filePtr, tensorTable, tensorCount, opStream, maxBatch, arenaBase, tensorAddrs, opWeightTable, zeroBuffer,
  setModel, setScratch, setLoaded, tDim, opCode, opA, opKernelH, opKernelW, entryOpStart, entryOpCount,
} from '../model';
import { joinTeam, teamSize, teamIndex, teamControl, DEFAULT_SPIN } from '../team';
import { run as runEntry } from '../executor';
import * as C from './control';

export { alloc, load, errorDetail, entryInput, entryOutput, run, sampleNormal, decodeSequences } from '../index';

/** Largest team (member 0 included). */
const MAX_MEMBERS: u32 = 64;

/**
 * Member 0, after a successful load: makes a team of `members` instances (2..64) and returns the control block's
 * address for threadServe; 0 when nothing is loaded, the size is out of range, a team exists or memory cannot grow.
 * mayBlock: whether this thread may sleep at barriers (false on a browser's main thread: it spins).
 */
export function threadSetup(members: u32, mayBlock: bool): usize {
  if (!loaded || members < 2 || members > MAX_MEMBERS || teamSize > 1) return 0;
  const control = allocBytes(C.controlBytes(members));
  if (control == 0) return 0;
  const model = control + C.C_MODEL;
  store<u32>(model, <u32>filePtr); store<u32>(model, <u32>tensorTable, 4); store<u32>(model, tensorCount, 8);
  store<u32>(model, <u32>opStream, 12); store<u32>(model, maxBatch, 16); store<u32>(model, <u32>arenaBase, 20);
  store<u32>(model, <u32>tensorAddrs, 24); store<u32>(model, <u32>opWeightTable, 28); store<u32>(model, <u32>zeroBuffer, 32);
  store<u32>(model, <u32>pairImage, 36);
  const aux = int8AuxBytes();
  if (aux > 0xFFFF_0000) return 0;
  for (let k: u32 = 0; k < members; k++) {
    const m = control + C.C_MEMBERS + <usize>k * C.MEMBER_WORDS * 4;
    if (aux > 0) {
      const a = allocBytes(<usize>aux), q = k > 0 ? allocBytes(QUANT_SCRATCH_BYTES) : 1;
      if (a == 0 || q == 0) return 0;
      store<u32>(m + C.M_INT8_AUX * 4, <u32>a); store<u32>(m + C.M_QUANT * 4, <u32>q);
    }
    if (k == 0) continue; // member 0 keeps the conv scratch of the load
    const taps = allocBytes(<usize>loadedMaxTaps() * TAP_BYTES + 16);
    const dummy = allocBytes(<usize>loadedMaxChannels() * 4 + 16);
    const quad = allocBytes(QUAD_SCRATCH_BYTES + CONV_GEOMETRY_BYTES); // its quad scratch, then its conv geometry block
    if (taps == 0 || dummy == 0 || quad == 0) return 0;
    store<u32>(m + C.M_TAPS * 4, <u32>taps); store<u32>(m + C.M_DUMMY * 4, <u32>dummy); store<u32>(m + C.M_QUAD * 4, <u32>quad);
  }
  if (aux > 0) setMemberAux(C.memberWord(control, 0, C.M_INT8_AUX));
  store<i32>(control + C.C_SPIN, DEFAULT_SPIN);
  joinTeam(control, members, 0, mayBlock);
  return control;
}

/** Bytes of each member's int8 aux block (kernels/int8/scratch.ts memberAux): the most any integer conv needs; 0 without one. */
function int8AuxBytes(): u64 {
  let bytes: u64 = 0;
  for (let kind: u32 = F.ENTRY_ENCODE; kind <= F.ENTRY_DECODE; kind++) {
    const start = entryOpStart(kind), count = entryOpCount(kind);
    if (count == 0xffffffff) continue;
    for (let i = start; i < start + count; i++) {
      const code = opCode(i);
      if ((code == F.OP_CONV2D || code == F.OP_CONV_TRANSPOSE) && usesQuantWeights(i)) {
        bytes = max(bytes, memberAuxBytes(tDim(opA(i), 0), opKernelH(i), opKernelW(i)));
      }
    }
  }
  return bytes;
}

/** Member `index` (1..members-1), on its own thread: runs its share of every run member 0 starts, until threadStop. */
export function threadServe(control: usize, members: u32, index: u32): void {
  const model = control + C.C_MODEL;
  setModel(load<u32>(model), load<u32>(model, 4), load<u32>(model, 8), load<u32>(model, 12), load<u32>(model, 16),
    load<u32>(model, 20), load<u32>(model, 24));
  setScratch(C.memberWord(control, index, C.M_TAPS), load<u32>(model, 32), C.memberWord(control, index, C.M_DUMMY), load<u32>(model, 28));
  setQuadScratch(C.memberWord(control, index, C.M_QUAD));
  useConvGeometryBlock(C.memberWord(control, index, C.M_QUAD) + QUAD_SCRATCH_BYTES);
  if (C.memberWord(control, index, C.M_INT8_AUX) != 0) {
    useQuantScratch(C.memberWord(control, index, C.M_QUANT));
    usePairImage(load<u32>(model, 36));
    setMemberAux(C.memberWord(control, index, C.M_INT8_AUX));
  }
  setLoaded(true);
  joinTeam(control, members, index, true);
  let seen: i32 = 0; // requests handled; member 0 posts the next only after every member finished the last
  for (;;) {
    while (atomic.load<i32>(control + C.C_WORK_GEN) == seen) atomic.wait<i32>(control + C.C_WORK_GEN, seen, -1);
    seen++;
    if (atomic.load<i32>(control + C.C_QUIT) != 0) return;
    runEntry(load<u32>(control + C.C_KIND), load<u32>(control + C.C_BATCH));
  }
}

/** Member 0: how long members spin at a barrier before sleeping (0: sleep at once, for machines with busy cores). */
export function threadSpin(iterations: i32): void {
  if (teamSize > 1 && teamIndex == 0) store<i32>(teamControl + C.C_SPIN, max(iterations, 0));
}

/** Member 0: releases the other members from threadServe; later runs use this instance alone. */
export function threadStop(): void {
  if (teamSize < 2 || teamIndex != 0) return;
  atomic.store<i32>(teamControl + C.C_QUIT, 1);
  atomic.add<i32>(teamControl + C.C_WORK_GEN, 1);
  atomic.notify(teamControl + C.C_WORK_GEN, -1);
  joinTeam(0, 1, 0, true);
}
